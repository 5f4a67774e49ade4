"""What other areas (after-sales, buyers) read of an order: its status, what was paid, its lines, receiver."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from lanshou.db.keyset import ORDER_KEY, keyset
from lanshou.orders import tables as ot
from lanshou.orders.keys import OrderKey
from lanshou.shops import tables as st


@dataclass(frozen=True, slots=True)
class LineFacts:
    line_key: str
    sku: str
    title: str
    category: str
    quantity: int
    unit_price: Decimal | None


@dataclass(frozen=True, slots=True)
class OrderFacts:
    shop_id: int
    platform: str
    shop: str
    order_no: str
    status: str
    order_amount: Decimal | None
    buyer_key: str
    receiver_name: str
    receiver_phone: str
    province: str
    city: str
    district: str
    address: str
    buyer_data_masked: bool
    created_at: datetime | None = None
    paid_at: datetime | None = None
    buyer_email: str = ""
    lines: tuple[LineFacts, ...] = field(default=())

    @property
    def paid(self) -> Decimal | None:
        """What the buyer paid: the order amount, else the lines' sum when every line has a price."""
        if self.order_amount is not None:
            return self.order_amount
        if self.lines and all(line.unit_price is not None for line in self.lines):
            return sum((line.unit_price or Decimal(0)) * line.quantity for line in self.lines) or None
        return None


def order_facts(conn: Connection, keys: Sequence[OrderKey], lock: bool = False) -> dict[OrderKey, OrderFacts]:
    """The stored orders among `keys`, with their lines; `lock` holds the rows (PostgreSQL) until commit.
    Each table is read once, joined on the keys (lanshou.db.keyset), not in per-shop IN lists."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    o, s, ln = ot.orders.c, st.shops.c, ot.order_lines.c
    k = keyset(conn, wanted, ORDER_KEY)
    lines: dict[OrderKey, list[LineFacts]] = defaultdict(list)
    query = select(
        ln.shop_id, ln.order_no, ln.line_key, ln.sku, ln.title, ln.category, ln.quantity, ln.unit_price
    ).select_from(ot.order_lines.join(k, (ln.shop_id == k.c.shop_id) & (ln.order_no == k.c.order_no)))
    for line in conn.execute(query.order_by(ln.id)).all():
        lines[(line[0], line[1])].append(LineFacts(*line[2:]))
    orders = (
        select(
            o.shop_id,
            s.platform,
            s.name,
            o.order_no,
            o.status,
            o.order_amount,
            o.buyer_key,
            o.receiver_name,
            o.receiver_phone,
            o.province,
            o.city,
            o.district,
            o.address,
            o.buyer_data_masked,
            o.created_at,
            o.paid_at,
            o.buyer_email,
        )
        .select_from(ot.orders.join(k, (o.shop_id == k.c.shop_id) & (o.order_no == k.c.order_no)))
        .join(st.shops, s.id == o.shop_id)
        .order_by(o.shop_id, o.order_no)
    )
    if lock and conn.dialect.name == "postgresql":
        orders = orders.with_for_update(of=ot.orders)
    found: dict[OrderKey, OrderFacts] = {}
    for row in conn.execute(orders).all():
        key = (row.shop_id, row.order_no)
        found[key] = OrderFacts(*row, lines=tuple(lines.get(key, ())))  # type: ignore[call-arg]
    return found


def receivers(conn: Connection, keys: Sequence[OrderKey]) -> dict[OrderKey, tuple[str, str]]:
    """(receiver name, receiver phone) of the stored orders among `keys`, as stored (unmasked): whom a
    follow-up calls, without reading the orders' lines."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    o = ot.orders.c
    k = keyset(conn, wanted, ORDER_KEY)
    query = select(o.shop_id, o.order_no, o.receiver_name, o.receiver_phone).select_from(
        ot.orders.join(k, (o.shop_id == k.c.shop_id) & (o.order_no == k.c.order_no))
    )
    return {(shop_id, number): (name, phone) for shop_id, number, name, phone in conn.execute(query)}


def is_shipped(status: str) -> bool:
    return status in {"shipped", "delivered", "completed"}


def now_utc() -> datetime:
    from datetime import UTC

    return datetime.now(UTC).replace(tzinfo=None)


def buyer_identities(
    conn: Connection, keys: Sequence[OrderKey]
) -> dict[OrderKey, tuple[str, str, str, bool]]:
    """(platform, buyer key, receiver phone, buyer data masked) of the stored orders among `keys`."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    o, s = ot.orders.c, st.shops.c
    k = keyset(conn, wanted, ORDER_KEY)
    query = (
        select(o.shop_id, o.order_no, s.platform, o.buyer_key, o.receiver_phone, o.buyer_data_masked)
        .select_from(ot.orders.join(k, (o.shop_id == k.c.shop_id) & (o.order_no == k.c.order_no)))
        .join(st.shops, s.id == o.shop_id)
    )
    return {(row[0], row[1]): (row[2], row[3], row[4], row[5]) for row in conn.execute(query).all()}
