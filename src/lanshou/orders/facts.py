"""What other areas (after-sales, buyers) read of an order: its status, what was paid, its lines, receiver."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from lanshou.orders import tables as ot
from lanshou.orders.keys import OrderKey, by_shop
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
    """The stored orders among `keys`, with their lines; `lock` holds the rows (PostgreSQL) until commit."""
    o, s, ln = ot.orders.c, st.shops.c, ot.order_lines.c
    found: dict[OrderKey, OrderFacts] = {}
    for shop_id, numbers in by_shop(sorted(set(keys))):
        lines: dict[str, list[LineFacts]] = defaultdict(list)
        query = select(ln.order_no, ln.line_key, ln.sku, ln.title, ln.category, ln.quantity, ln.unit_price)
        picked = query.where(ln.shop_id == shop_id, ln.order_no.in_(numbers)).order_by(ln.id)
        for line in conn.execute(picked):
            lines[line.order_no].append(LineFacts(*line[1:]))
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
            .join_from(ot.orders, st.shops, s.id == o.shop_id)
            .where(o.shop_id == shop_id, o.order_no.in_(numbers))
            .order_by(o.order_no)
        )
        if lock and conn.dialect.name == "postgresql":
            orders = orders.with_for_update(of=ot.orders)
        for row in conn.execute(orders):
            found[(shop_id, row.order_no)] = OrderFacts(*row, lines=tuple(lines[row.order_no]))  # type: ignore[call-arg]
    return found


def is_shipped(status: str) -> bool:
    return status in {"shipped", "delivered", "completed"}


def now_utc() -> datetime:
    from datetime import UTC

    return datetime.now(UTC).replace(tzinfo=None)


def buyer_identities(
    conn: Connection, keys: Sequence[OrderKey]
) -> dict[OrderKey, tuple[str, str, str, bool]]:
    """(platform, buyer key, receiver phone, buyer data masked) of the stored orders among `keys`."""
    o, s = ot.orders.c, st.shops.c
    found: dict[OrderKey, tuple[str, str, str, bool]] = {}
    for shop_id, numbers in by_shop(sorted(set(keys))):
        query = (
            select(o.order_no, s.platform, o.buyer_key, o.receiver_phone, o.buyer_data_masked)
            .join_from(ot.orders, st.shops, s.id == o.shop_id)
            .where(o.shop_id == shop_id, o.order_no.in_(numbers))
        )
        for row in conn.execute(query):
            found[(shop_id, row.order_no)] = (
                row.platform,
                row.buyer_key,
                row.receiver_phone,
                row.buyer_data_masked,
            )
    return found
