"""What review hands on: accepted orders not yet shipped, as ready shipments (most urgent first), and the
review state of orders for lists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, case, exists, func, or_, select

from lanshou.inventory.mapping import load_map
from lanshou.inventory.tables import stock, warehouses
from lanshou.orders.countries import destination_country
from lanshou.orders.tables import orders
from lanshou.review.facts import orders_query, with_lines
from lanshou.review.model import OrderData
from lanshou.review.ready import ReadyLine, ReadyShipment
from lanshou.review.tables import review_state, shipment_parts

FAR = datetime.max


def ready_shipments(
    conn: Connection, *, shop_ids: Sequence[int] | None = None, limit: int | None = None
) -> list[ReadyShipment]:
    """Accepted, still-paid (not shipped, not cancelled) orders, merged ones (合单) as one shipment, a split
    one (拆单) as one shipment per part not shipped yet (the order is `shipped` once its first part left):
    highest priority first, then the earliest deadline. Lines carry stock SKUs (mappings and bundles
    applied)."""
    o, r = orders.c, review_state.c
    query = accepted_to_ship().order_by(r.priority.desc(), r.ship_by, o.id)
    if shop_ids is not None:
        query = query.where(o.shop_id.in_(list(shop_ids)))

    def group_of(key: tuple[int, str], merge_group: str) -> tuple[int, str]:
        return (key[0], merge_group or f"{key[0]}:{key[1]}")

    shipments = build_shipments(conn, conn.execute(query).all(), group_of, limit=limit)
    return sorted(shipments, key=lambda s: (-s.priority, s.promised_ship_by or FAR, s.pickup_deadline or FAR))


def still_to_ship() -> ColumnElement[bool]:
    """A paid order, or a split one (拆单) whose first part left and whose other parts wait."""
    o, p = orders.c, shipment_parts.c
    part_waiting = exists().where(p.shop_id == o.shop_id, p.order_no == o.order_no, p.shipped_at.is_(None))
    return or_(o.status == "paid", and_(o.status == "shipped", part_waiting))


def accepted_to_ship() -> Select[Any]:
    """The accepted orders still to ship, each with the five review columns `build_shipments` reads."""
    o, r = orders.c, review_state.c
    return (
        orders_query()
        .add_columns(r.priority, r.warehouse, r.pickup_deadline, r.ship_by, r.merge_group)
        .join(review_state, and_(r.shop_id == o.shop_id, r.order_no == o.order_no))
        .where(r.state == "accepted", still_to_ship())
    )


def build_shipments(
    conn: Connection,
    rows: Sequence[Any],
    group_of: Callable[[tuple[int, str], str], Hashable],
    groups: Sequence[Hashable] | None = None,
    limit: int | None = None,
) -> list[ReadyShipment]:
    """The shipments of `rows` (of `accepted_to_ship`): the orders `group_of(key, merge_group)` puts
    together become one shipment, a split order one per part to go. In the order of `groups` when given
    (a group without rows is left out), else in the rows' order of first appearance, up to `limit`."""
    extra = {(row.shop_id, row.order_no): row[-5:] for row in rows}
    members: dict[Hashable, list[OrderData]] = defaultdict(list)
    for order in with_lines(conn, [row[:-5] for row in rows]):
        members[group_of(order.key, extra[order.key][4])].append(order)
    chosen = list(groups) if groups is not None else list(members)[:limit]
    skus = load_map(conn)
    bins = _locations(conn)
    parts = split_parts(conn, list(extra))
    shipments: list[ReadyShipment] = []
    for group in chosen:
        found = members.get(group)
        if found and len(found) == 1 and found[0].key in parts:
            shipments += _parts_of(found[0], parts[found[0].key], extra, skus, bins)
        elif found:
            shipments.append(_shipment(found, extra, skus, bins))
    return shipments


def _locations(conn: Connection) -> dict[tuple[str, str], str]:
    s, w = stock.c, warehouses.c
    query = select(s.sku, w.code, s.location).join(warehouses, w.id == s.warehouse_id).where(s.location != "")
    return {(row.sku, row.code): row.location for row in conn.execute(query)}


@dataclass(frozen=True, slots=True)
class Share:
    """Where (some of) one line of a split order travels."""

    part: int
    quantity: int | None  # units of the line in this part; None: the whole line
    shipped: bool


Parts = dict[str, list[Share]]  # line key -> its shares (one per part it travels in)


def part_numbers(parts: Parts) -> set[int]:
    return {share.part for shares in parts.values() for share in shares}


def units_in_part(parts: Parts, line_key: str, quantity: int, part: int) -> int:
    """How many of the line's `quantity` units travel in `part` (0: none). Counted parts take their units
    first (never more than the line has: the platform may have lowered it since), a part holding the line
    "whole" or "the rest" takes what they leave."""
    shares = sorted(parts.get(line_key, ()), key=lambda x: (x.quantity is None, x.part))
    left = quantity
    for share in shares:
        units = left if share.quantity is None else min(share.quantity, left)
        left -= units
        if share.part == part:
            return units
    return 0


def split_parts(conn: Connection, keys: Sequence[tuple[int, str]]) -> dict[tuple[int, str], Parts]:
    """The split orders (拆单) among keys: each line's shares, and whether their part has shipped."""
    from lanshou.review.facts import key_filter

    found: dict[tuple[int, str], Parts] = defaultdict(dict)
    p = shipment_parts.c
    if not keys or conn.execute(select(p.part).limit(1)).first() is None:
        return found  # most merchants never split: no look-up
    for start in range(0, len(keys), 500):
        query = select(p.shop_id, p.order_no, p.line_key, p.part, p.quantity, p.shipped_at).where(
            key_filter(shipment_parts, list(keys[start : start + 500]))
        )
        for row in conn.execute(query.order_by(p.part)):
            share = Share(row.part, row.quantity, row.shipped_at is not None)
            found[(row.shop_id, row.order_no)].setdefault(row.line_key, []).append(share)
    return found


def _parts_of(
    order: OrderData, parts: Parts, extra: dict[Any, Any], skus: Any, bins: dict[Any, str]
) -> list[ReadyShipment]:
    """One shipment per part of a split order that has not shipped, with that part's lines (a line divided
    between parts carries only this part's units)."""
    numbers = sorted({x.part for shares in parts.values() for x in shares if not x.shipped})
    made = []
    for number in numbers:
        mine = tuple(
            replace(line, quantity=units)
            for line in order.lines
            if (units := units_in_part(parts, line.line_key, line.quantity, number)) > 0
        )
        if mine:
            made.append(replace(_shipment([replace(order, lines=mine)], extra, skus, bins), part=number))
    return made


def _shipment(
    members: list[OrderData], extra: dict[Any, Any], skus: Any, bins: dict[Any, str]
) -> ReadyShipment:
    main = members[0]
    priority, site, pickup, ship_by, _ = extra[main.key]
    for order in members[1:]:
        more = extra[order.key]
        priority = max(priority, more[0])
        pickup = min((d for d in (pickup, more[2]) if d is not None), default=None)
        ship_by = min((d for d in (ship_by, more[3]) if d is not None), default=None)
    lines = []
    for order in members:
        for line in order.lines:
            for stock_sku, units in skus.components(order.shop_id, line.sku):
                location = bins.get((stock_sku, site), "")
                lines.append(
                    ReadyLine(
                        order.order_no,
                        stock_sku,
                        line.title,
                        line.quantity * units,
                        line.category,
                        0,
                        location,
                    )
                )
    amounts = [order.amount for order in members]
    return ReadyShipment(
        keys=tuple(order.key for order in members),
        platform=main.platform,
        shop=main.shop,
        shop_id=main.shop_id,
        warehouse=site,
        priority=priority,
        pickup_deadline=pickup,
        promised_ship_by=ship_by,
        receiver_name=main.receiver_name,
        receiver_phone=main.receiver_phone,
        country=destination_country(main.platform, main.country),
        province=main.province,
        city=main.city,
        district=main.district,
        address=main.address,
        buyer_data_masked=main.masked,
        shipping_method="",
        amount=None if any(a is None for a in amounts) else sum((a for a in amounts if a), Decimal(0)),
        lines=tuple(lines),
        remark=main.remark,
    )


def review_states(conn: Connection, state: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Reviewed orders (optionally of one state), most urgent first, for `lanshou review list`."""
    r = review_state.c
    query = select(r.shop_id, r.order_no, r.state, r.reasons, r.priority, r.tags, r.warehouse, r.actor)
    if state is not None:
        query = query.where(r.state == state)
    query = query.order_by(r.priority.desc(), r.id).limit(limit)
    return [reviewed(row) for row in conn.execute(query)]


def held_counts(conn: Connection) -> tuple[int, int]:
    """Held orders still waiting (paid), and how many of them are held for stock alone (缺货)."""
    o, r = orders.c, review_state.c
    query = (
        select(func.count(), func.count(case((r.stock_only.is_(True), 1))))
        .select_from(review_state)
        .join(orders, and_(o.shop_id == r.shop_id, o.order_no == r.order_no))
        .where(r.state == "held", o.status == "paid")
    )
    held, for_stock = conn.execute(query).one()
    return int(held), int(for_stock)


def reviewed(row: Any) -> dict[str, Any]:
    """One review_state row as the lists show it (CLI, pages, API)."""
    return {
        "shop_id": row.shop_id,
        "order_id": row.order_no,
        "state": row.state,
        "reasons": [reason for reason in row.reasons.split("\n") if reason],
        "priority": row.priority,
        "tags": [tag for tag in row.tags.split("|") if tag],
        "warehouse": row.warehouse,
        "actor": row.actor,
    }


def not_shippable(
    conn: Connection, keys: Sequence[tuple[int, str]], parts: Mapping[tuple[int, str], int] | None = None
) -> dict[tuple[int, str], str]:
    """Why each of these orders must not ship now (absent: it may): a guard for shipping to check in its own
    transaction, so an order cancelled after it was picked never gets a waybill. `parts`: the orders
    shipped as one part of a split (拆单), and which part: it may leave after the order's first part did,
    but only once."""
    from lanshou.review.facts import key_filter

    parts = parts or {}
    waiting = _parts_waiting(conn, [key for key in keys if parts.get(key)])

    o, r = orders.c, review_state.c
    query = (
        select(o.shop_id, o.order_no, o.status, r.state)
        .outerjoin(review_state, and_(r.shop_id == o.shop_id, r.order_no == o.order_no))
        .where(key_filter(orders, list(keys)))
    )
    found = {(row.shop_id, row.order_no): (row.status, row.state) for row in conn.execute(query)}
    reasons: dict[tuple[int, str], str] = {}
    for key in keys:
        if key not in found:
            reasons[key] = "订单不存在 no such order"
            continue
        status, state = found[key]
        if status in ("cancelled", "refunded"):
            reasons[key] = f"订单已{'取消' if status == 'cancelled' else '退款'} the order is {status}"
        elif state == "cancelled":
            reasons[key] = "审单已取消 cancelled in review"
        elif parts.get(key) and (key, parts[key]) not in waiting:
            reasons[key] = (
                f"包裹 {parts[key]} 已发货或已不在拆单中 part {parts[key]} shipped already, or not a part"
            )
        elif status != "paid" and not (status == "shipped" and parts.get(key)):
            reasons[key] = f"订单状态 the order is {status}, not waiting to ship"
        elif state != "accepted":
            reasons[key] = "未审核通过 not accepted in review" + (f" ({state})" if state else "")
    return reasons


def _parts_waiting(conn: Connection, keys: Sequence[tuple[int, str]]) -> set[tuple[tuple[int, str], int]]:
    """(order, part) of the split parts of these orders that have not shipped."""
    waiting: set[tuple[tuple[int, str], int]] = set()
    for key, lines in split_parts(conn, keys).items():
        waiting |= {(key, x.part) for shares in lines.values() for x in shares if not x.shipped}
    return waiting


QUEUE_STATES = ("held", "accepted")


def scoped_keys(
    conn: Connection, shop_ids: Sequence[int], order_nos: Sequence[str]
) -> dict[str, list[tuple[int, str]]]:
    """Each order number's keys among these shops (several when shops share a number; none: not theirs)."""
    o = orders.c
    found: dict[str, list[tuple[int, str]]] = defaultdict(list)
    if not shop_ids or not order_nos:
        return found
    query = select(o.shop_id, o.order_no).where(
        o.shop_id.in_(list(shop_ids)), o.order_no.in_(list(dict.fromkeys(order_nos)))
    )
    for row in conn.execute(query):
        found[row.order_no].append((row.shop_id, row.order_no))
    return found
