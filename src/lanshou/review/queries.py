"""What review hands on: accepted orders not yet shipped, as ready shipments (most urgent first), and the
review state of orders for lists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, select

from lanshou.inventory.mapping import load_map
from lanshou.inventory.tables import stock, warehouses
from lanshou.orders.tables import orders
from lanshou.review.facts import orders_query, with_lines
from lanshou.review.model import OrderData
from lanshou.review.ready import ReadyLine, ReadyShipment
from lanshou.review.tables import review_state

FAR = datetime.max


def ready_shipments(
    conn: Connection, *, shop_ids: Sequence[int] | None = None, limit: int | None = None
) -> list[ReadyShipment]:
    """Accepted, still-paid (not shipped, not cancelled) orders, merged ones (合单) as one shipment: highest
    priority first, then the earliest deadline. Lines carry stock SKUs (mappings and bundles applied)."""
    o, r = orders.c, review_state.c
    query = (
        orders_query()
        .add_columns(r.priority, r.warehouse, r.pickup_deadline, r.ship_by, r.merge_group)
        .join(review_state, and_(r.shop_id == o.shop_id, r.order_no == o.order_no))
        .where(r.state == "accepted", o.status == "paid")
        .order_by(r.priority.desc(), r.ship_by, o.id)
    )
    if shop_ids is not None:
        query = query.where(o.shop_id.in_(list(shop_ids)))
    rows = conn.execute(query).all()
    extra = {(row.shop_id, row.order_no): row[-5:] for row in rows}
    data = with_lines(conn, [row[:-5] for row in rows])
    groups: dict[tuple[int, str], list[OrderData]] = defaultdict(list)
    ordered: list[tuple[int, str]] = []
    for order in data:
        group = extra[order.key][4] or f"{order.shop_id}:{order.order_no}"
        if (order.shop_id, group) not in groups:
            ordered.append((order.shop_id, group))
        groups[(order.shop_id, group)].append(order)
    chosen = ordered[:limit] if limit is not None else ordered
    skus = load_map(conn)
    bins = _locations(conn)
    shipments = [_shipment(groups[g], extra, skus, bins) for g in chosen]
    return sorted(shipments, key=lambda s: (-s.priority, s.promised_ship_by or FAR, s.pickup_deadline or FAR))


def _locations(conn: Connection) -> dict[tuple[str, str], str]:
    s, w = stock.c, warehouses.c
    query = select(s.sku, w.code, s.location).join(warehouses, w.id == s.warehouse_id).where(s.location != "")
    return {(row.sku, row.code): row.location for row in conn.execute(query)}


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
        country="CN" if main.platform != "aliexpress" else "",
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
    return [
        {
            "shop_id": row.shop_id,
            "order_id": row.order_no,
            "state": row.state,
            "reasons": [reason for reason in row.reasons.split("\n") if reason],
            "priority": row.priority,
            "tags": [tag for tag in row.tags.split("|") if tag],
            "warehouse": row.warehouse,
            "actor": row.actor,
        }
        for row in conn.execute(query)
    ]


def not_shippable(conn: Connection, keys: Sequence[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """Why each of these orders must not ship now (absent: it may): a guard for shipping to check in its own
    transaction, so an order cancelled after it was picked never gets a waybill."""
    from lanshou.review.facts import key_filter

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
        elif status != "paid":
            reasons[key] = f"订单状态 the order is {status}, not waiting to ship"
        elif state != "accepted":
            reasons[key] = "未审核通过 not accepted in review" + (f" ({state})" if state else "")
    return reasons


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
