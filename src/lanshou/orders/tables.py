"""Orders, their lines and their timeline (order_events)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal_column,
)

from lanshou.db.metadata import metadata

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, nullable=False),  # no FOREIGN KEY to shops: see migration 0031
    Column("order_no", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("paid_at", DateTime),
    Column("is_presale", Boolean, nullable=False, server_default="0"),
    Column("promised_ship_by", DateTime),
    Column("buyer_key", String(200), nullable=False, server_default=""),
    Column("receiver_name", String(200), nullable=False, server_default=""),
    Column("receiver_phone", String(64), nullable=False, server_default=""),
    # the buyer's e-mail when the file gives one (generic `buyer_email`); masked when shown, like phones
    Column("buyer_email", String(254), nullable=False, server_default=""),
    Column("province", String(64), nullable=False, server_default=""),
    Column("city", String(64), nullable=False, server_default=""),
    Column("district", String(64), nullable=False, server_default=""),
    Column("address", Text, nullable=False, server_default=""),
    Column("buyer_message", Text, nullable=False, server_default=""),
    Column(
        "country", String(64), nullable=False, server_default=""
    ),  # ISO code when known, e.g. US; "" = home
    Column("seller_remark", Text, nullable=False, server_default=""),  # 卖家备注 / 商家备注
    Column("order_amount", Numeric(14, 2)),
    Column("buyer_data_masked", Boolean, nullable=False, server_default="0"),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("shop_id", "order_no"),
    CheckConstraint(
        "status IN ('pending_payment','paid','shipped','delivered','completed','cancelled','refunded')",
        name="status_known",
    ),
)
Index("ix_orders_paid_at", orders.c.paid_at)
Index("ix_orders_promised_ship_by", orders.c.promised_ship_by)

# The receiver's phone's last 4 digits, the part buyers tell staff on the phone (lanshou.orders.search).
# Written the same on SQLite and PostgreSQL, with a literal 3 (not a bound parameter), so a query compares
# exactly the expression the index holds; both databases then look it up instead of reading every order.
_phone = orders.c.receiver_phone
receiver_phone_tail = func.substr(_phone, func.length(_phone) - literal_column("3"))
Index("ix_orders_phone_tail", receiver_phone_tail)  # serves a whole phone too: its tail, then the number
Index("ix_orders_receiver_name", orders.c.receiver_name)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, nullable=False),  # no FOREIGN KEY to shops: see migration 0031
    Column("order_no", String(64), nullable=False),
    Column("line_key", String(128), nullable=False),
    Column("sku", String(128), nullable=False),
    Column("title", Text, nullable=False, server_default=""),
    Column("category", String(128), nullable=False, server_default=""),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Numeric(14, 2)),
    UniqueConstraint("shop_id", "order_no", "line_key"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)
# the SKUs a shop sells (lanshou.orders.queries.line_skus), the orders of a SKU (lanshou.orders.search)
Index("ix_order_lines_sku", order_lines.c.shop_id, order_lines.c.sku)


# The order's timeline: every automatic decision and import change, with its reason.
order_events = Table(
    "order_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, nullable=False),  # no FOREIGN KEY to shops: see migration 0031
    Column("order_no", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("actor", String(64), nullable=False, server_default="system"),  # a user name, or "system"
)
Index("ix_order_events_order", order_events.c.shop_id, order_events.c.order_no)
