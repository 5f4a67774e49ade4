"""One order in full: `lanshou orders show`, `GET /api/v1/orders/{shop}/{order_id}` and the order page.

The order, its lines, every parcel it travels in (carrier, tracking number, shipping, pickup and delivery
times, the carrier's events) and its timeline, as one JSON-ready dict. Times are ISO 8601 in the shop's
timezone (or the one asked for). The receiver's name, phone and address are masked unless `unmask`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from lanshou.customers.masking import mask_address, mask_email, mask_name, mask_phone
from lanshou.orders import tables as ot
from lanshou.orders import timeline
from lanshou.shops import tables as st
from lanshou.tracking.queries import events_of, orders_carried, parcels_of
from lanshou.tracking.store import load_states, status_value

ORDER_COLUMNS = (
    "status", "created_at", "paid_at", "is_presale", "promised_ship_by", "receiver_name", "receiver_phone",
    "buyer_email", "province", "city", "district", "address", "buyer_message", "order_amount", "updated_at",
    "country", "seller_remark",
)  # fmt: skip


class OrderNotFound(LookupError):
    def __str__(self) -> str:
        return f"未找到订单 no order {self.args[0]!r} in your shops"


class AmbiguousOrder(LookupError):
    """The number exists in several shops: the caller must name one."""

    def __str__(self) -> str:
        order_no, shops = self.args
        where = ", ".join(shops)
        return f"订单号 {order_no!r} 在多个店铺 is in several shops ({where}): name one with --shop"


def iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """Naive UTC → ISO 8601 with the zone's offset."""
    return None if moment is None else moment.replace(tzinfo=UTC).astimezone(tz).isoformat()


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def shops_holding(conn: Connection, order_no: str, shop_ids: Collection[int]) -> list[tuple[int, str]]:
    """(shop id, "platform/name") of the shops among `shop_ids` that have an order numbered `order_no`."""
    if not shop_ids:
        return []
    o, sh = ot.orders.c, st.shops.c
    query = (
        select(sh.id, sh.platform, sh.name)
        .select_from(ot.orders.join(st.shops, sh.id == o.shop_id))
        .where(o.order_no == order_no.strip(), o.shop_id.in_(list(shop_ids)))
        .order_by(sh.id)
    )
    return [(row.id, f"{row.platform}/{row.name}") for row in conn.execute(query)]


def find_order_detail(
    conn: Connection,
    order_no: str,
    shop_ids: Collection[int],
    unmask: bool = False,
    timezone: str | None = None,
) -> dict[str, Any]:
    """The order numbered `order_no` among these shops. Raises OrderNotFound, or AmbiguousOrder when several
    of these shops have that number."""
    holding = shops_holding(conn, order_no, shop_ids)
    if not holding:
        raise OrderNotFound(order_no.strip())
    if len(holding) > 1:
        raise AmbiguousOrder(order_no.strip(), [label for _, label in holding])
    found = order_detail(conn, holding[0][0], order_no.strip(), unmask, timezone)
    assert found is not None  # just seen, and orders are never deleted
    return found


def order_detail(
    conn: Connection, shop_id: int, order_no: str, unmask: bool = False, timezone: str | None = None
) -> dict[str, Any] | None:
    """One order of one shop in full, or None when the shop has no such order."""
    o, sh = ot.orders.c, st.shops.c
    row = conn.execute(
        select(sh.platform, sh.name.label("shop"), sh.timezone, *(o[name] for name in ORDER_COLUMNS))
        .select_from(ot.orders.join(st.shops, sh.id == o.shop_id))
        .where(o.shop_id == shop_id, o.order_no == order_no)
    ).first()
    if row is None:
        return None
    zone_name = timezone or row.timezone
    tz = ZoneInfo(zone_name)
    name, phone, address = row.receiver_name, row.receiver_phone, row.address
    email = row.buyer_email
    if not unmask:
        name, phone, address = mask_name(name), mask_phone(phone), mask_address(address)
        email = mask_email(email)
    return {
        "order_id": order_no,
        "shop": row.shop,
        "platform": row.platform,
        "status": row.status,
        "timezone": zone_name,
        "created_at": iso(row.created_at, tz),
        "paid_at": iso(row.paid_at, tz),
        "promised_ship_by": iso(row.promised_ship_by, tz),
        "updated_at": iso(row.updated_at, tz),
        "is_presale": bool(row.is_presale),
        "amount": _money(row.order_amount),
        "buyer_message": row.buyer_message,
        "seller_remark": row.seller_remark,
        "country": row.country,  # "" when the file gave none (the shop's home country)
        "receiver": {
            "name": name,
            "phone": phone,
            "email": email,
            "province": row.province,
            "city": row.city,
            "district": row.district,
            "address": address,
            "masked": not unmask,
        },
        "lines": _lines(conn, shop_id, order_no),
        "parcels": _parcels(conn, shop_id, order_no, tz),
        "timeline": [
            {"at": iso(entry.at, tz), "kind": entry.kind, "detail": entry.detail, "actor": entry.actor}
            for entry in timeline.read(conn, shop_id, order_no)
        ],
    }


def _lines(conn: Connection, shop_id: int, order_no: str) -> list[dict[str, Any]]:
    ln = ot.order_lines.c
    query = (
        select(ln.line_key, ln.sku, ln.title, ln.category, ln.quantity, ln.unit_price)
        .where(ln.shop_id == shop_id, ln.order_no == order_no)
        .order_by(ln.id)
    )
    return [
        {
            "no": no,  # what `lanshou orders split --lines` names
            "line_key": r.line_key,
            "sku": r.sku,
            "title": r.title,
            "category": r.category,
            "quantity": r.quantity,
            "unit_price": _money(r.unit_price),
        }
        for no, r in enumerate(conn.execute(query), start=1)
    ]


def _parcels(conn: Connection, shop_id: int, order_no: str, tz: ZoneInfo) -> list[dict[str, Any]]:
    stored = parcels_of(conn, shop_id, [order_no]).get(order_no, [])
    numbers = [p.tracking_no for p in stored]
    states = load_states(conn, numbers)
    events = events_of(conn, numbers)
    carried = {
        number: found for (_, number), found in orders_carried(conn, [(shop_id, n) for n in numbers]).items()
    }
    parcels = []
    for parcel in stored:
        state = states.get(parcel.tracking_no)
        parcels.append(
            {
                "carrier": parcel.carrier or (state.carrier if state else ""),
                "tracking_no": parcel.tracking_no,
                "status": state.status.value if state and state.status else None,
                "shipped_at": iso(parcel.shipped_at, tz),
                "pickup_at": iso(state.pickup_at if state else None, tz),
                "delivered_at": iso(state.delivered_at if state else None, tz),
                "returned_at": iso(state.returned_at if state else None, tz),
                "last_event_at": iso(state.last_event_at if state else None, tz),
                "eta": iso(state.eta if state else None, tz),
                # a merged parcel (合并发货) carries other orders of the shop too
                "orders": carried.get(parcel.tracking_no, [order_no]),
                "events": [
                    {
                        "time": iso(e.event_time, tz),
                        "status": s.value if (s := status_value(e.status)) else None,
                        "raw_status": e.raw_status,
                        "location": e.location,
                        "text": e.description,
                    }
                    for e in events.get(parcel.tracking_no, [])
                ],
            }
        )
    return parcels
