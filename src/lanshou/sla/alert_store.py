"""Alerts in the database: open (idempotent), close, acknowledge, resolve; each lands in the timeline of
the parcel's orders (order_events)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from lanshou.db.bulk import insert_rows, upsert
from lanshou.events import AlertsRaised, EventBus, RaisedAlert, bus
from lanshou.orders.tables import order_events
from lanshou.sla.alerts import Finding
from lanshou.sla.tables import alert_scans, alerts
from lanshou.tracking.queries import numbers_of_shops, orders_by_parcel
from lanshou.tracking.tables import parcel_state

SYSTEM = "system"


class AlertNotFound(LookupError):
    def __str__(self) -> str:
        return f"没有这条预警 no alert with id {self.args[0]}"


class AlertClosed(ValueError):
    def __str__(self) -> str:
        return f"预警 {self.args[0]} 已处理 alert {self.args[0]} is already resolved"


@dataclass(frozen=True, slots=True)
class OpenAlert:
    id: int
    tracking_no: str
    kind: str
    since: datetime


def open_alerts_of(
    conn: Connection, kinds: Iterable[str], numbers: Sequence[str] | None = None
) -> list[OpenAlert]:
    """Unresolved alerts of these kinds (of these parcels, when given)."""
    a = alerts
    query = select(a.c.id, a.c.tracking_no, a.c.kind, a.c.since).where(
        a.c.resolved_at.is_(None), a.c.kind.in_(list(kinds))
    )
    if numbers is None:
        return [OpenAlert(*row) for row in conn.execute(query)]
    found: list[OpenAlert] = []
    for start in range(0, len(numbers), 500):
        chunk = query.where(a.c.tracking_no.in_(numbers[start : start + 500]))
        found.extend(OpenAlert(*row) for row in conn.execute(chunk))
    return found


def _insert_ignoring_conflicts(conn: Connection, rows: list[dict[str, Any]]) -> list[Any]:
    """A problem already known (open, or resolved with the same since) is not raised again; returns the
    (tracking_no, kind, reason, since, metric) of the rows inserted."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    a = alerts
    stmt = (
        dialect.insert(a)
        .on_conflict_do_nothing()
        .returning(a.c.tracking_no, a.c.kind, a.c.reason, a.c.since, a.c.metric)
    )
    return list(conn.execute(stmt, rows).all())


def raise_alerts(
    conn: Connection,
    found: Sequence[Finding],
    carriers: dict[str, str],
    shops: dict[str, int | None],
    now: datetime,
    events: EventBus = bus,
) -> int:
    """Open the findings not open yet; returns how many were opened (each noted in its orders' timeline
    and told as one AlertsRaised: notifications tell the buyer, sla knows nothing of it)."""
    if not found:
        return 0
    rows = [
        {
            "tracking_no": f.tracking_no,
            "kind": f.kind.value,
            "since": f.since,
            "due_at": f.due_at,
            "metric": f.metric,
            "reason": f.reason,
            "carrier": carriers.get(f.tracking_no, ""),
            "shop_id": shops.get(f.tracking_no),
            "opened_at": now,
        }
        for f in found
    ]
    opened = _insert_ignoring_conflicts(conn, rows)
    _timeline(conn, [(r.tracking_no, "alert_opened", f"{r.kind}: {r.reason}") for r in opened], now)
    if opened:
        raised = (RaisedAlert(r.tracking_no, r.kind, r.since, r.reason, r.metric) for r in opened)
        events.publish(conn, AlertsRaised(tuple(raised)))
    return len(opened)


def close_alerts(conn: Connection, ids: Sequence[int], now: datetime, note: str) -> None:
    """Resolve alerts whose problem is gone (by the system, not in the timeline: nobody acted)."""
    for start in range(0, len(ids), 500):
        conn.execute(
            update(alerts)
            .where(alerts.c.id.in_(ids[start : start + 500]), alerts.c.resolved_at.is_(None))
            .values(resolved_at=now, resolved_by=SYSTEM, note=note)
        )


def close_cleared(conn: Connection, since: datetime, now: datetime, note: str) -> int:
    """Close, set-based, the open alerts whose parcel has moved on since `since`: silent ones that heard
    from it again, locker waits that ended, pickups that happened, any parcel now delivered or returned.
    Only parcels whose state changed since then are looked at (indexed updated_at)."""
    a, s = alerts, parcel_state
    moved = select(s.c.tracking_no).where(s.c.updated_at >= since)
    same = s.c.tracking_no == a.c.tracking_no
    gone = {
        ("stalled", "probably_lost"): s.c.last_event_at > a.c.since,
        ("locker_waiting",): (s.c.status != "available_for_pickup") | (s.c.status_at != a.c.since),
        ("pickup_overdue",): s.c.pickup_at.is_not(None),
        ("delivery_late",): s.c.delivered_at.is_not(None),
    }
    closed = 0
    for kinds, condition in gone.items():
        cleared = select(s.c.tracking_no).where(same, (s.c.finished == true()) | condition).exists()
        result = conn.execute(
            update(a)
            .where(a.c.resolved_at.is_(None), a.c.kind.in_(kinds), a.c.tracking_no.in_(moved), cleared)
            .values(resolved_at=now, resolved_by=SYSTEM, note=note)
        )
        closed += max(result.rowcount, 0)
    return closed


def read_mark(conn: Connection, name: str) -> datetime | None:
    return conn.execute(select(alert_scans.c.scanned_until).where(alert_scans.c.name == name)).scalar()


def write_mark(conn: Connection, name: str, until: datetime) -> None:
    upsert(conn, alert_scans, [{"name": name, "scanned_until": until}], ["name"], ["scanned_until"])


def _timeline(conn: Connection, entries: list[tuple[str, str, str]], now: datetime) -> None:
    """(tracking_no, kind, detail) → one timeline row per order carrying the parcel."""
    if not entries:
        return
    orders = orders_by_parcel(conn, {number for number, _, _ in entries})
    rows = [
        {"shop_id": shop_id, "order_no": order_no, "at": now, "kind": kind, "detail": f"[{number}] {detail}"}
        for number, kind, detail in entries
        for shop_id, order_no in orders.get(number, ())
    ]
    insert_rows(conn, order_events, rows)


def _staff_action(
    engine: Engine,
    alert_id: int,
    user: str,
    note: str,
    now: datetime,
    resolve: bool,
    shop_ids: Collection[int] | None,
) -> None:
    a = alerts
    with engine.begin() as conn:
        query = select(a.c.tracking_no, a.c.kind, a.c.resolved_at).where(a.c.id == alert_id)
        if shop_ids is not None:  # another shop's alert is one that does not exist
            query = query.where(a.c.tracking_no.in_(numbers_of_shops(shop_ids)))
        row = conn.execute(query).first()
        if row is None:
            raise AlertNotFound(alert_id)
        if row.resolved_at is not None:
            raise AlertClosed(alert_id)
        if resolve:
            values: dict[str, Any] = {"resolved_at": now, "resolved_by": user, "note": note}
            kind, words = "alert_resolved", "已处理 resolved"
        else:
            values = {"acked_at": now, "acked_by": user, "note": note}
            kind, words = "alert_acked", "已确认 acknowledged"
        conn.execute(update(a).where(a.c.id == alert_id).values(**values))
        detail = f"{row.kind} {words} by {user}" + (f": {note}" if note else "")
        _timeline(conn, [(row.tracking_no, kind, detail)], now)


def acknowledge(
    engine: Engine,
    alert_id: int,
    user: str,
    now: datetime,
    note: str = "",
    shop_ids: Collection[int] | None = None,
) -> None:
    """Staff saw it and are on it (an alert of these shops, when given).
    Raises AlertNotFound / AlertClosed."""
    _staff_action(engine, alert_id, user, note, now, False, shop_ids)


def resolve(
    engine: Engine,
    alert_id: int,
    user: str,
    now: datetime,
    note: str = "",
    shop_ids: Collection[int] | None = None,
) -> None:
    """Staff dealt with it (an alert of these shops, when given). Raises AlertNotFound / AlertClosed."""
    _staff_action(engine, alert_id, user, note, now, True, shop_ids)
