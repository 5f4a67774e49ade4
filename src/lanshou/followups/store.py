"""Opening follow-ups for negative feedback, listing and closing them (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, select, update

from lanshou.customers.store import feedback_of
from lanshou.db.bulk import insert_rows
from lanshou.db.paging import rows_after
from lanshou.followups.tables import followups
from lanshou.followups.themes import is_negative, recognise
from lanshou.orders.keys import by_shop
from lanshou.orders.timeline import TimelineEntry, record
from lanshou.shops.store import load_shops

DEFAULT_DUE_HOURS = 24
KEY = ("shop_id", "order_no", "feedback_at")


def themes_of(tags: str, content: str) -> tuple[str, ...]:
    """The platform's tags when it gave some; otherwise what the text names."""
    given = tuple(tag for tag in tags.split("|") if tag)
    return given or recognise(content)


def _shop_terms(settings: dict[str, object]) -> tuple[str, int]:
    raw = settings.get("followups") or {}
    if not isinstance(raw, dict):
        return "", DEFAULT_DUE_HOURS
    hours = raw.get("due_hours", DEFAULT_DUE_HOURS)
    return str(raw.get("owner", "")), hours if isinstance(hours, int) and hours > 0 else DEFAULT_DUE_HOURS


# when a follow-up falls due, from its feedback's time and its shop's `due_hours`
DueAt = Callable[[datetime, int], datetime]


def due_after_feedback(feedback_at: datetime, hours: int) -> datetime:
    """The shop's terms: `due_hours` after the buyer wrote."""
    return feedback_at + timedelta(hours=hours)


def open_for_feedback(
    conn: Connection, keys: Sequence[tuple[int, str]], now: datetime, due_at: DueAt = due_after_feedback
) -> int:
    """A follow-up for each negative feedback of these orders that has none yet; returns how many opened.
    `due_at` decides when each falls due (a history caught up at once, as the demo's, spreads them)."""
    stored = feedback_of(conn, keys)
    if not stored:
        return 0
    known = _existing(conn, keys)
    shops = load_shops(conn)
    rows: list[dict[str, Any]] = []
    entries: list[TimelineEntry] = []
    for fb in stored:
        key = (fb["shop_id"], fb["order_no"], fb["created_at"])
        themes = themes_of(fb["tags"], fb["content"])
        if key in known or not is_negative(fb["rating"], themes):
            continue
        known.add(key)
        shop = shops.get(fb["shop_id"])
        owner, hours = _shop_terms(shop.settings if shop else {})
        due = due_at(fb["created_at"], hours)
        rows.append(
            {
                "shop_id": key[0],
                "order_no": key[1],
                "feedback_at": key[2],
                "rating": fb["rating"],
                "themes": "|".join(themes),
                "owner": owner,
                "due_at": due,
                "status": "open",
                "opened_at": now,
            }
        )
        why = f"差评回访 follow-up: rating {fb['rating'] or '-'}, {', '.join(themes) or 'low rating'}"
        entries.append(
            TimelineEntry(key[0], key[1], now, "followup_opened", f"{why}; due {due:%Y-%m-%d %H:%M} UTC")
        )
    insert_rows(conn, followups, rows)
    record(conn, entries)
    return len(rows)


def _existing(conn: Connection, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str, datetime]]:
    c = followups.c
    found: set[tuple[int, str, datetime]] = set()
    for shop_id, numbers in by_shop(sorted(set(keys))):
        query = select(c.shop_id, c.order_no, c.feedback_at).where(
            c.shop_id == shop_id, c.order_no.in_(numbers)
        )
        found.update((r.shop_id, r.order_no, r.feedback_at) for r in conn.execute(query))
    return found


@dataclass(frozen=True)
class FollowupPosition:
    """Where a page of the list ends: the last follow-up's place in the list's order (open first, then
    soonest due, then id, which is unique). A follow-up opened or closed before it does not shift a row onto
    the next page twice, or past it, as an offset did."""

    closed: bool
    due_at: datetime
    id: int

    def as_cursor(self) -> dict[str, Any]:
        return {"c": int(self.closed), "d": self.due_at.isoformat(), "i": self.id}

    @classmethod
    def of(cls, row: dict[str, Any]) -> FollowupPosition:
        """The position of a follow-up as `followup_json` gave it."""
        return cls(row["status"] != "open", datetime.fromisoformat(row["due_at"]), row["id"])

    @classmethod
    def from_cursor(cls, value: dict[str, Any]) -> FollowupPosition | None:
        """The position a decoded cursor holds; None when it is not one (a value the columns cannot hold)."""
        try:
            due_at = datetime.fromisoformat(value["d"]).replace(tzinfo=None)
        except (KeyError, TypeError, ValueError):
            return None
        closed, row_id = value.get("c"), value.get("i")
        if closed not in (0, 1) or not isinstance(row_id, int) or not 0 < row_id < 2**31:
            return None
        return cls(bool(closed), due_at, row_id)


FOLLOWUP_CURSOR = {"c": int, "d": str, "i": int}


def list_rows(
    conn: Connection,
    shop_ids: Sequence[int] | None,
    include_closed: bool,
    owner: str | None,
    overdue_at: datetime | None,
    limit: int,
    after: FollowupPosition | None = None,
) -> list[dict[str, Any]]:
    c = followups.c
    still_open = case((c.status == "open", 0), else_=1)  # with the closed ones, the open come first
    # open ones only: the first column is the same for every row, left out so that the (status, due_at, id)
    # index gives the order and ranges from the position
    first = [(still_open, False)] if include_closed else []
    order = [*first, (c.due_at, False), (c.id, False)]
    query = select(followups).order_by(*(column for column, _ in order)).limit(limit)
    if shop_ids is not None:
        query = query.where(c.shop_id.in_(shop_ids))
    if not include_closed:
        query = query.where(c.status == "open")
    if owner is not None:
        query = query.where(c.owner == owner)
    if overdue_at is not None:
        query = query.where(c.due_at < overdue_at, c.status == "open")
    if after is not None:
        at = [int(after.closed)] if include_closed else []
        query = query.where(rows_after(order, [*at, after.due_at, after.id]))
    return [dict(row._mapping) for row in conn.execute(query)]


def get(conn: Connection, followup_id: int, lock: bool = False) -> dict[str, Any] | None:
    query = select(followups).where(followups.c.id == followup_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return dict(row._mapping) if row else None


def change(conn: Connection, followup_id: int, **values: Any) -> None:
    conn.execute(update(followups).where(followups.c.id == followup_id).values(**values))


def negatives_by_order(conn: Connection, keys: Sequence[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """How many negative feedbacks (follow-ups opened) each order has."""
    from sqlalchemy import func

    c = followups.c
    found: dict[tuple[int, str], int] = {}
    for shop_id, numbers in by_shop(sorted(set(keys))):
        query = (
            select(c.order_no, func.count())
            .where(c.shop_id == shop_id, c.order_no.in_(numbers))
            .group_by(c.order_no)
        )
        found.update(((shop_id, order_no), int(count)) for order_no, count in conn.execute(query))
    return found


def theme_counts(conn: Connection, bounds: dict[int, tuple[datetime, datetime]]) -> list[tuple[str, int]]:
    """How often each shipping problem was named in negative feedback: per shop, feedback in [start, end)
    (naive UTC: the shop's local days); most frequent first. Feedback naming none counts as "low rating"."""
    from collections import Counter

    c = followups.c
    counted: Counter[str] = Counter()
    for shop_id, (start, end) in bounds.items():
        query = select(c.themes).where(c.shop_id == shop_id, c.feedback_at >= start, c.feedback_at < end)
        for themes in conn.execute(query).scalars():
            counted.update([t for t in themes.split("|") if t] or ["低评分 low rating"])
    return sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))
