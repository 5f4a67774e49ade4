"""Buyer use cases for the faces: list, show, segment (live, with export), blacklist, refresh.
Names and phones are masked unless the caller asks otherwise. JSON shapes live here. Given `shop_ids` (a
user's grants), each shows the buyers as those shops' staff may see them (lanshou.buyers.seen)."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, select

from lanshou.bilingual import Bilingual
from lanshou.buyers.profile import PROFILE_FACTS
from lanshou.buyers.rules import default_rules
from lanshou.buyers.seen import biggest_first, bought_in, narrowed, only_in, seen, seen_from, spanning
from lanshou.buyers.store import (
    blacklist_history,
    catch_up_buyers,
    orders_of_profiles,
    profile_from_row,
    recompute,
    refresh_orders,
    set_blacklist,
)
from lanshou.buyers.tables import buyer_orders, buyer_profiles
from lanshou.customers.masking import mask_email, mask_name, mask_phone
from lanshou.customers.store import feedback_of
from lanshou.db.engine import run_transaction
from lanshou.db.paging import cut, rows_after
from lanshou.followups.store import themes_of
from lanshou.orders.facts import now_utc, order_facts
from lanshou.rules.language import RuleRuntimeError
from lanshou.shops.model import select_shops
from lanshou.shops.store import load_shops

EXPORT_HEADERS = [
    "客户 buyer",
    "姓名 name",
    "手机 phone",
    "邮箱 email",
    "等级 tier",
    "订单数 orders",
    "消费 spend",
    "最近下单 last order (UTC)",
    "偏好类目 categories",
    "分群 segments",
]


def rule_names() -> tuple[list[str], list[str]]:
    """The tiers and the segments the buyer rules define, in their order (the faces' choices)."""
    rules = default_rules()
    return [name for name, _ in rules.tiers], [name for name, _ in rules.segments]


def profile_json(row: Any, unmask: bool = False) -> dict[str, Any]:
    return {
        "key": row.key,
        "platform": row.platform,
        "name": row.name if unmask else mask_name(row.name),
        "phone": row.phone if unmask else mask_phone(row.phone),
        "email": row.email if unmask else mask_email(row.email),
        "orders": row.orders,
        "spend": str(row.spend),
        "first_order_at": row.first_order_at.isoformat(sep=" ") if row.first_order_at else None,
        "last_order_at": row.last_order_at.isoformat(sep=" ") if row.last_order_at else None,
        "is_repeat": row.orders >= 2,
        "categories": [c for c in row.categories.split("|") if c],
        "shops": [s for s in row.shops.split("|") if s],
        "province": row.province,
        "refunds": row.refunds,
        "refunded": str(row.refunded),
        "negative_feedback": row.negative_feedback,
        "tier": row.tier,
        "segments": [s for s in row.segments.split("|") if s],
        "blacklisted": bool(row.blacklisted),
        "blacklist_reason": row.blacklist_reason,
        # who put the buyer on the blacklist or took them off, and when (the last change)
        "blacklisted_by": row.blacklisted_by,
        "blacklisted_at": row.blacklisted_at.isoformat(sep=" ") if row.blacklisted_at else None,
    }


@dataclass(frozen=True)
class BuyerPosition:
    """Where a page of the buyers list ends: the last buyer's spend and key, the list's own order (spend,
    most first, then the key, which is unique). A buyer added or grown above it does not push a row onto
    the next page twice, as an offset did; only a buyer whose own spend moves across it while someone
    pages may be seen twice or not at all, as in any list ordered by a changing value."""

    spend: Decimal
    key: str

    def as_cursor(self) -> dict[str, Any]:
        return {"s": str(self.spend), "k": self.key}

    @classmethod
    def of(cls, row: dict[str, Any]) -> BuyerPosition:
        """The position of a buyer as `profile_json` gave it."""
        return cls(Decimal(row["spend"]), row["key"])

    @classmethod
    def from_cursor(cls, value: dict[str, Any]) -> BuyerPosition | None:
        """The position a decoded cursor holds; None when it is not one (a value the columns cannot hold)."""
        spend, key = value.get("s"), value.get("k")
        if not isinstance(spend, str) or not SPEND.fullmatch(spend) or not isinstance(key, str):
            return None
        return cls(Decimal(spend), key) if 0 < len(key) <= KEY_LENGTH and "\x00" not in key else None

    def precedes(self, row: Any) -> bool:
        """Whether a profile row comes after this position (for the rows computed outside SQL)."""
        return biggest_first(row) > (-self.spend, self.key)

    def in_sql(self) -> ColumnElement[bool]:
        p = buyer_profiles.c
        return rows_after([(p.spend, True), (p.key, False)], (self.spend, self.key))


BUYER_CURSOR: dict[str, type] = {"s": str, "k": str}
SPEND = re.compile(r"-?[0-9]{1,18}(\.[0-9]{1,2})?")  # what buyer_profiles.spend, Numeric(20, 2), holds
KEY_LENGTH = 80  # buyer_profiles.key is String(80)


def list_page(
    engine: Engine,
    limit: int,
    after: BuyerPosition | None = None,
    unmask: bool = False,
    shop_ids: Collection[int] | None = None,
    **filters: Any,
) -> tuple[list[dict[str, Any]], BuyerPosition | None]:
    """Up to `limit` buyers after `after` (list_json's order and `filters`), and the position to go on
    from (None: no more)."""
    rows = list_json(engine, limit=limit + 1, unmask=unmask, shop_ids=shop_ids, after=after, **filters)
    return cut(rows, limit, BuyerPosition.of)


def list_json(
    engine: Engine,
    tier: str | None = None,
    repeat: bool | None = None,
    blacklisted: bool | None = None,
    limit: int = 200,
    unmask: bool = False,
    shop_ids: Collection[int] | None = None,
    segment: str | None = None,
    after: BuyerPosition | None = None,
) -> list[dict[str, Any]]:
    """Buyers, biggest spend first, filtered; only those in `segment` now when given (as `segment_rows`,
    LookupError for a segment the rules do not define); of `shop_ids`, the filters apply to what they see;
    only those after `after` when given."""
    p = buyer_profiles.c
    query = select(buyer_profiles).order_by(p.spend.desc(), p.key)
    if tier is not None:
        query = query.where(p.tier == tier)
    if repeat is not None:
        query = query.where(p.orders >= 2 if repeat else p.orders < 2)
    if blacklisted is not None:
        query = query.where(p.blacklisted.is_(blacklisted))
    if after is not None:
        query = query.where(after.in_sql())
    now = now_utc()
    member = _member_of(segment, now) if segment is not None else None
    catch_up_buyers(engine)
    with engine.connect() as conn:
        keeps = partial(_keeps, tier=tier, repeat=repeat, blacklisted=blacklisted, after=after)
        whole = query if member is not None else query.limit(limit)
        rows = _in_view(conn, whole, narrowed(conn, shop_ids), now, keeps)
        wanted = filter(member, rows) if member is not None else rows  # a segment: row by row, not in SQL
        return [profile_json(row, unmask) for row in islice(wanted, limit)]


def _keeps(
    row: Any, tier: str | None, repeat: bool | None, blacklisted: bool | None, after: BuyerPosition | None
) -> bool:
    """list_json's filters, for a profile computed for some shops (the stored ones are filtered in SQL)."""
    return (
        (after is None or after.precedes(row))
        and (tier is None or row.tier == tier)
        and (repeat is None or (row.orders >= 2) == repeat)
        and (blacklisted is None or bool(row.blacklisted) == blacklisted)
    )


def _in_view(
    conn: Connection,
    query: Select[Any],
    ids: frozenset[int] | None,
    now: datetime,
    keeps: Callable[[Any], bool] = lambda row: True,
) -> Iterable[Any]:
    """The rows of a query of profiles (biggest spend first, filtered in SQL by what `keeps` checks) as the
    shops `ids` see them: the stored rows of their own buyers, and the others computed for them."""
    if ids is None:
        return conn.execute(query)
    others = [row for row in seen_from(conn, spanning(conn, ids), ids, now) if keeps(row)]
    return sorted([*conn.execute(query.where(only_in(ids))), *others], key=biggest_first)


class AmbiguousBuyer(LookupError):
    """The order number is an order of several shops, of different buyers: the caller must name the shop.
    The message names them as the CLI's --shop takes them; `message` words it for another face."""

    def __init__(self, order_no: str, shops: Sequence[tuple[str, str]]) -> None:
        self.order_no, self.shops = order_no, tuple(shops)  # (platform, shop name)
        super().__init__(self.message(":", "--shop"))

    def message(self, separator: str, option: str) -> str:
        where = ", ".join(f"{platform}{separator}{name}" for platform, name in self.shops)
        return (
            f"订单号 {self.order_no!r} 在多个店铺 is an order of several shops ({where}), "
            f"of different buyers: name one with {option}"
        )


def _find(
    conn: Connection,
    key_or_order: str,
    shop_ids: Collection[int] | None = None,
    order_shops: Collection[int] | None = None,
) -> Any:
    """The profile with this key, else the one of this order (of `order_shops` when given); only a buyer of
    `shop_ids` when given."""
    query = select(buyer_profiles).where(buyer_profiles.c.key == key_or_order)
    if shop_ids is not None:
        query = query.where(bought_in(shop_ids))
    row = conn.execute(query).first()
    if row is None:
        key = _buyer_of_order(conn, key_or_order, shop_ids, order_shops)
        row = conn.execute(select(buyer_profiles).where(buyer_profiles.c.key == key)).first()
    return row


def _buyer_of_order(
    conn: Connection, order_no: str, shop_ids: Collection[int] | None, order_shops: Collection[int] | None
) -> str:
    """The key of the buyer of this order. Order numbers are unique only within a shop: when the number is
    an order of several shops and they are different buyers', which one is meant is refused, never guessed
    (blacklisting the wrong person would hold their orders)."""
    b = buyer_orders.c
    link = select(b.shop_id, b.profile_key).where(b.order_no == order_no).order_by(b.shop_id)
    for ids in (shop_ids, order_shops):
        if ids is not None:
            link = link.where(b.shop_id.in_(ids))
    found = conn.execute(link).all()
    if not found:
        raise LookupError(f"没有这个客户 no buyer {order_no!r} (a buyer key, or one of their order numbers)")
    if len({row.profile_key for row in found}) > 1:
        shops = load_shops(conn)
        raise AmbiguousBuyer(order_no, [(shops[r.shop_id].platform, shops[r.shop_id].shop) for r in found])
    return str(found[0].profile_key)


def _order_shops(conn: Connection, shop: str | None) -> frozenset[int] | None:
    """The shops `--shop` names (a name, or platform:name), whose order the number is; None: any."""
    return None if shop is None else frozenset(select_shops(load_shops(conn), shop))


def show_json(
    engine: Engine,
    key_or_order: str,
    unmask: bool = False,
    shop_ids: Collection[int] | None = None,
    shop: str | None = None,
) -> dict[str, Any]:
    """One buyer with their orders and feedback; given `shop_ids`, only what those shops may see. `shop`
    (the CLI's --shop) names the shop of an order number that several shops have."""
    catch_up_buyers(engine)
    with engine.connect() as conn:
        ids = narrowed(conn, shop_ids)
        found = _find(conn, key_or_order, ids, _order_shops(conn, shop))
        row = seen(conn, found, ids, now_utc())
        data = profile_json(row, unmask)
        data["blacklist_history"] = blacklist_history(conn, row.key)
        keys = orders_of_profiles(conn, [row.key]).get(row.key, [])
        if ids is not None:
            keys = [key for key in keys if key[0] in ids]
        feedback = feedback_of(conn, keys)
        orders = sorted(
            order_facts(conn, keys).values(),
            key=lambda o: (o.paid_at or o.created_at or datetime.min, o.order_no),
        )
    data["order_list"] = [
        {
            "shop": f"{o.platform}/{o.shop}",
            "order_no": o.order_no,
            "status": o.status,
            "amount": None if o.order_amount is None else str(o.order_amount),
            "at": (o.paid_at or o.created_at or datetime.min).isoformat(sep=" "),
        }
        for o in orders
    ]
    shop_of = {(o.shop_id, o.order_no): f"{o.platform}/{o.shop}" for o in orders}
    data["feedback"] = [
        {
            "shop": shop_of.get((f["shop_id"], f["order_no"]), ""),
            "order_no": f["order_no"],
            "at": f["created_at"].isoformat(sep=" "),
            "rating": f["rating"],
            "themes": list(themes_of(f["tags"], f["content"])),
            "content": f["content"],
        }
        for f in feedback
    ]
    return data


def segment_rows(
    engine: Engine,
    name: str,
    now: datetime,
    unmask: bool = False,
    shop_ids: Collection[int] | None = None,
) -> Iterator[dict[str, Any]]:
    """The buyers in a segment now (the rule is evaluated live, so `days_since_last_order` is current);
    given `shop_ids`, over what those shops see of each buyer."""
    member = _member_of(name, now)
    catch_up_buyers(engine)
    query = select(buyer_profiles).order_by(buyer_profiles.c.spend.desc(), buyer_profiles.c.key)
    with engine.connect() as conn:
        for row in filter(member, _in_view(conn, query, narrowed(conn, shop_ids), now)):
            yield profile_json(row, unmask)


def _member_of(segment: str, now: datetime) -> Callable[[Any], bool]:
    """Whether a profile row is in the segment at `now`; LookupError for a segment not defined."""
    condition = default_rules().segment(segment)

    def member(row: Any) -> bool:
        try:
            return condition.check(PROFILE_FACTS.activation(profile_from_row(row), now))
        except RuleRuntimeError:  # the rule cannot decide for this buyer: not in the segment
            return False

    return member


def export_segment(engine: Engine, name: str, now: datetime, path: Path, unmask: bool = False) -> int:
    """The segment to CSV (masked unless asked; no cell can start a formula: lanshou.files.export)."""
    from lanshou.files.export import write_csv

    cells = (
        [
            b["key"],
            b["name"],
            b["phone"],
            b["email"],
            b["tier"],
            b["orders"],
            b["spend"],
            b["last_order_at"] or "",
            "|".join(b["categories"]),
            "|".join(b["segments"]),
        ]
        for b in segment_rows(engine, name, now, unmask)
    )
    return write_csv(path, EXPORT_HEADERS, cells)


def blacklist(
    engine: Engine,
    key_or_order: str,
    on: bool,
    reason: str,
    actor: str,
    now: datetime,
    shop_ids: Collection[int] | None = None,
    shop: str | None = None,
) -> dict[str, Any]:
    """Put a buyer on the blacklist (a reason is required) or take them off; `actor` is kept as who did
    it. Given `shop_ids`, only a buyer of those shops (else not found), answered as they see them. `shop`
    names the shop of an order number that several shops have, as in show_json."""
    if on and not reason.strip():
        raise ValueError(Bilingual.slashed("拉黑须写明原因", "blacklisting needs a reason (--reason)"))

    catch_up_buyers(engine)  # the order named may be marked only: its profile is built first

    def work(conn: Connection) -> dict[str, Any]:
        ids = narrowed(conn, shop_ids)
        row = _find(conn, key_or_order, ids, _order_shops(conn, shop))
        set_blacklist(conn, row.key, on, reason, actor, now)
        recompute(conn, [row.key], now)  # segments and tiers may read `blacklisted`
        fresh = conn.execute(select(buyer_profiles).where(buyer_profiles.c.key == row.key)).one()
        return {
            **profile_json(seen(conn, fresh, ids, now)),
            "blacklist_history": blacklist_history(conn, row.key),
        }

    return run_transaction(engine, work)


def _refresh(keys: list[tuple[int, str]], now: datetime, conn: Connection) -> int:
    return refresh_orders(conn, keys, now)


def refresh_all(engine: Engine, now: datetime, chunk: int = 2000) -> int:
    """Link every stored order and recompute every profile (a database from before the buyers area)."""
    from lanshou.orders.tables import orders

    with engine.connect() as conn:
        keys = [
            (r.shop_id, r.order_no)
            for r in conn.execute(select(orders.c.shop_id, orders.c.order_no).order_by(orders.c.id))
        ]
    done = 0
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        done += run_transaction(engine, partial(_refresh, part, now))
    return done
