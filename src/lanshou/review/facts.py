"""Load what review needs for a batch of orders in a few set queries: the orders with their shop, lines,
buyer history, blacklist hits and merge candidates; and turn one into the facts the rules read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, and_, case, func, or_, select

from lanshou.buyers.store import blacklisted_orders
from lanshou.orders.countries import destination_country
from lanshou.orders.tables import order_lines, orders
from lanshou.review.model import Line, OrderData, OrderKey
from lanshou.review.tables import review_blacklist, review_state
from lanshou.rules import RuleBuyer, RuleLine, RuleOrder, summarise_lines
from lanshou.shops.tables import shops

CHUNK = 500


def order_columns() -> list[Any]:
    o, s = orders.c, shops.c
    return [
        o.shop_id,
        o.order_no,
        s.platform,
        s.name,
        o.status,
        o.created_at,
        o.paid_at,
        o.is_presale,
        o.promised_ship_by,
        o.buyer_key,
        o.receiver_name,
        o.receiver_phone,
        o.province,
        o.city,
        o.district,
        o.address,
        o.buyer_message,
        o.order_amount,
        o.buyer_data_masked,
        o.seller_remark,  # OrderData's fields after its lines
        o.country,
    ]


_LEAD = 19  # OrderData's fields before its lines


def orders_query() -> Select[Any]:
    return select(*order_columns()).join(shops, shops.c.id == orders.c.shop_id)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def key_filter(table: Any, keys: Sequence[OrderKey]) -> Any:
    """(shop_id, order_no) IN keys, written portably: per shop, order_no IN (...)."""
    by_shop: dict[int, list[str]] = defaultdict(list)
    for shop_id, order_no in keys:
        by_shop[shop_id].append(order_no)
    return or_(*(and_(table.c.shop_id == shop, table.c.order_no.in_(nos)) for shop, nos in by_shop.items()))


def load_orders(conn: Connection, keys: Sequence[OrderKey]) -> list[OrderData]:
    rows: list[Any] = []
    for chunk in _chunks(list(keys)):
        rows += conn.execute(orders_query().where(key_filter(orders, chunk))).all()
    return with_lines(conn, rows)


def with_lines(conn: Connection, rows: Sequence[Any]) -> list[OrderData]:
    """OrderData for order rows (as `orders_query` selects them), with their lines."""
    lines: dict[OrderKey, list[Line]] = defaultdict(list)
    keys = [(row[0], row[1]) for row in rows]
    t = order_lines.c
    for chunk in _chunks(keys):
        query = select(
            t.shop_id, t.order_no, t.sku, t.title, t.category, t.quantity, t.unit_price, t.line_key
        ).where(key_filter(order_lines, chunk))
        for line in conn.execute(query.order_by(t.id)):
            lines[(line.shop_id, line.order_no)].append(
                Line(line.sku, line.title, line.category, line.quantity, line.unit_price, line.line_key)
            )
    make: Any = OrderData  # the row's columns are OrderData's fields in order, its lines in between
    return [make(*row[:_LEAD], tuple(lines[(row[0], row[1])]), *row[_LEAD:]) for row in rows]


History = dict[tuple[int, str], tuple[int, Decimal, int]]


def buyer_history(conn: Connection, batch: Sequence[OrderData]) -> History:
    """(shop id, buyer key) -> (orders, spend, open orders) over the buyer's orders in the shop, this one
    included; open = still paid, not shipped (merge candidates are looked for only when there are two)."""
    o = orders.c
    wanted = sorted({order.buyer_key for order in batch if order.buyer_key})
    found: History = {}
    still_paid = func.sum(case((o.status == "paid", 1), else_=0))
    for chunk in _chunks(wanted):
        query = (
            select(o.shop_id, o.buyer_key, func.count(), func.sum(o.order_amount), still_paid)
            .where(o.buyer_key.in_(chunk))
            .group_by(o.shop_id, o.buyer_key)
        )
        for shop_id, buyer, count, spend, paid in conn.execute(query):
            found[(shop_id, buyer)] = (int(count), Decimal(spend or 0), int(paid or 0))
    return found


def blacklist_hits(conn: Connection, batch: Sequence[OrderData]) -> dict[OrderKey, tuple[str, ...]]:
    """Each order's blacklist hits: its buyer, phone or address on review's list, or its buyer's profile
    blacklisted in the buyers area (`lanshou buyers blacklist`)."""
    hits = _listed_values(conn, batch)
    profiles = blacklisted_orders(
        conn, ((o.key, o.platform, o.buyer_key, o.receiver_phone, o.masked) for o in batch)
    )
    for key in profiles:
        if "buyer" not in hits.get(key, ()):
            hits[key] = (*hits.get(key, ()), "buyer")
    return hits


def _listed_values(conn: Connection, batch: Sequence[OrderData]) -> dict[OrderKey, tuple[str, ...]]:
    b = review_blacklist.c
    if conn.execute(select(b.id).limit(1)).first() is None:
        return {}  # most merchants list nobody: skip the look-up (its IN lists cost more than the rest)
    values = {("buyer", o.buyer_key) for o in batch if o.buyer_key}
    values |= {("phone", o.receiver_phone) for o in batch if o.receiver_phone}
    values |= {("address", o.full_address) for o in batch if o.full_address}
    listed: set[tuple[str, str]] = set()
    for chunk in _chunks(sorted({value for _, value in values})):
        query = select(b.kind, b.value).where(b.value.in_(chunk))
        listed |= {(kind, value) for kind, value in conn.execute(query)}
    if not listed:
        return {}
    hits: dict[OrderKey, tuple[str, ...]] = {}
    for order in batch:
        kinds = [
            kind
            for kind, value in (
                ("buyer", order.buyer_key),
                ("phone", order.receiver_phone),
                ("address", order.full_address),
            )
            if (kind, value) in listed
        ]
        if kinds:
            hits[order.key] = tuple(kinds)
    return hits


def merge_candidates(
    conn: Connection, batch: Sequence[OrderData], history: History
) -> dict[OrderKey, tuple[str, ...]]:
    """Per order, the other open orders (paid, not cancelled in review, not yet merged with it) of the same
    shop, buyer and address: 合单 candidates."""
    o, r = orders.c, review_state.c
    several = {key for key, (_, _, paid) in history.items() if paid > 1}
    candidates = sorted({order.buyer_key for order in batch if (order.shop_id, order.buyer_key) in several})
    open_order = or_(r.state.is_(None), r.state != "cancelled")
    joined = and_(r.shop_id == o.shop_id, r.order_no == o.order_no)
    # first, in SQL, which of these buyers have two open orders to one address (few do): only their orders
    # are fetched one by one
    buyers: set[str] = set()
    for chunk in _chunks(candidates):
        query = (
            select(o.buyer_key)
            .outerjoin(review_state, joined)
            .where(o.buyer_key.in_(chunk), o.status == "paid", open_order)
            .group_by(o.shop_id, o.buyer_key, o.province, o.city, o.district, o.address)
            .having(func.count() > 1)
        )
        buyers.update(conn.execute(query).scalars())
    groups: dict[tuple[int, str, str], list[tuple[str, str]]] = defaultdict(list)
    for chunk in _chunks(sorted(buyers)):
        query = (
            select(
                o.shop_id, o.buyer_key, o.order_no, o.province, o.city, o.district, o.address, r.merge_group
            )
            .outerjoin(review_state, and_(r.shop_id == o.shop_id, r.order_no == o.order_no))
            .where(
                o.buyer_key.in_(chunk),
                o.status == "paid",
                or_(r.state.is_(None), r.state != "cancelled"),
            )
        )
        for row in conn.execute(query):
            place = "".join((row.province, row.city, row.district, row.address))
            groups[(row.shop_id, row.buyer_key, place)].append((row.order_no, row.merge_group or ""))
    found: dict[OrderKey, tuple[str, ...]] = {}
    for order in batch:
        if not order.buyer_key:
            continue
        members = groups.get((order.shop_id, order.buyer_key, order.full_address), [])
        mine = next((group for no, group in members if no == order.order_no), "")
        others = tuple(
            sorted(no for no, group in members if no != order.order_no and not (mine and group == mine))
        )
        if others:
            found[order.key] = others
    return found


def rule_order(
    order: OrderData, history: tuple[int, Decimal, int] | None, blacklisted: bool, tags: Iterable[str] = ()
) -> RuleOrder:
    """The facts the rules read about one order (buyer history: the buyer's other orders in the shop)."""
    rule_lines = tuple(
        RuleLine(line.sku, line.category, line.quantity, line.unit_price or 0) for line in order.lines
    )
    summary = summarise_lines(rule_lines)
    count, spend, _ = history or (1, order.amount or Decimal(0), 1)
    earlier = max(count - 1, 0)
    return RuleOrder(
        platform=order.platform,
        shop=order.shop,
        order_id=order.order_no,
        created_at=order.created_at,
        status=order.status,
        amount=order.amount or 0,
        province=order.province,
        country=destination_country(order.platform, order.country),
        city=order.city,
        district=order.district,
        address=order.address,
        categories=summary.categories,
        skus=summary.skus,
        lines=rule_lines,
        total_quantity=summary.total_quantity,
        weight_g=summary.weight_g,
        buyer=RuleBuyer(
            orders=earlier,
            spend=max(spend - (order.amount or 0), Decimal(0)),
            is_repeat=earlier > 0,
            blacklisted=blacklisted,
        ),
        message=order.buyer_message,
        remark=order.remark,
        is_presale=order.is_presale,
        paid_at=order.paid_at,
        promised_ship_by=order.promised_ship_by,
        tags=tuple(tags),
    )


def now_naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment
