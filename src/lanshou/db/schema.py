"""Tables. Times are naive UTC; money is Numeric; natural keys make bulk upserts single statements."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

shops = Table(
    "shops",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="Asia/Shanghai"),
    Column("settings", Text, nullable=False, server_default="{}"),  # JSON: rule-pack overrides, cutoff...
    UniqueConstraint("platform", "name"),
)

buyers = Table(
    "buyers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(20), nullable=False),
    Column("buyer_key", String(200), nullable=False),
    Column("name", String(200), nullable=False, server_default=""),
    Column("phone", String(64), nullable=False, server_default=""),
    Column("address", Text, nullable=False, server_default=""),
    Column("masked", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("platform", "buyer_key"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("order_no", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("paid_at", DateTime),
    Column("is_presale", Boolean, nullable=False, server_default="0"),
    Column("promised_ship_by", DateTime),
    Column("buyer_key", String(200), nullable=False, server_default=""),
    Column("receiver_name", String(200), nullable=False, server_default=""),
    Column("receiver_phone", String(64), nullable=False, server_default=""),
    Column("province", String(64), nullable=False, server_default=""),
    Column("city", String(64), nullable=False, server_default=""),
    Column("district", String(64), nullable=False, server_default=""),
    Column("address", Text, nullable=False, server_default=""),
    Column("buyer_message", Text, nullable=False, server_default=""),
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

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
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

parcels = Table(
    "parcels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("order_no", String(64), nullable=False),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("tracking_no", String(64), nullable=False),
    Column("shipped_at", DateTime),
    UniqueConstraint("tracking_no"),
)
Index("ix_parcels_order", parcels.c.shop_id, parcels.c.order_no)

tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tracking_no", String(64), nullable=False),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("event_time", DateTime, nullable=False),
    Column("status", String(32), nullable=False),
    Column("raw_status", String(64), nullable=False, server_default=""),
    Column("location", String(200), nullable=False, server_default=""),
    Column("description", Text, nullable=False, server_default=""),
    UniqueConstraint("tracking_no", "event_time", "raw_status"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("order_no", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("rating", Integer),
    Column("tags", Text, nullable=False, server_default=""),  # '|'-separated, as in the files
    Column("content", Text, nullable=False, server_default=""),
    UniqueConstraint("shop_id", "order_no", "created_at"),
    CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating_range"),
)
Index("ix_feedback_order", feedback.c.shop_id, feedback.c.order_no)

# The order's timeline: every automatic decision and import change, with its reason.
order_events = Table(
    "order_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("order_no", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
)
Index("ix_order_events_order", order_events.c.shop_id, order_events.c.order_no)


# ---------------------------------------------------------------------------------------------------------
# Metric rollups (revision 0002). Each order and parcel has one derived row holding the keys it contributes
# to; the rollup tables hold counts by those keys and are maintained by deltas (old keys -1, new keys +1).
# Keys are as coarse as the report allows (shop, day, carrier, rule and the day comparisons): a 30-day
# report over millions of orders then sums thousands of rows. Province lives in the scorecard only.
# Days are local dates in the shop's timezone; NEVER (9999-12-31) stands for "has not happened".
# An "eday" is the local date of (time - 1 µs): something happened by D 00:00 exactly when eday < D.

metric_dirty = Table(
    "metric_dirty",
    metadata,
    Column("shop_id", Integer, primary_key=True),
    Column("order_no", String(64), primary_key=True),
)

metric_orders = Table(
    "metric_orders",
    metadata,
    Column("shop_id", Integer, primary_key=True),
    Column("order_no", String(64), primary_key=True),
    Column("pay_day", Date),  # NULL: never paid, counts nowhere
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("province", String(64), nullable=False, server_default=""),
    Column("limit_hours", Integer),  # NULL: not in the M1 population (presale)
    Column("pickup_eday", Date),
    Column("pickup_on_time", Boolean),
    Column("deadline_day", Date),
    Column("closed", Boolean),
    Column("promise_day", Date),
    Column("by_promise", Boolean),
    Column("negative_eday", Date),
    # extra M1 rules: JSON {name: [limit_hours, on_time, deadline_day]}
    Column("extra_m1", Text, nullable=False, server_default="{}"),
)

metric_parcels = Table(
    "metric_parcels",
    metadata,
    Column("tracking_no", String(64), primary_key=True),
    Column("shop_id", Integer, nullable=False),
    Column("order_no", String(64), nullable=False),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("province", String(64), nullable=False, server_default=""),
    Column("pickup_day", Date),
    Column("stale_day", Date),
    Column("delivered_day", Date),
    Column("returned_eday", Date),
    Column("duration_s", Float),
    Column("bucket", Integer),
)
Index(
    "ix_metric_parcels_delivery",
    metric_parcels.c.shop_id,
    metric_parcels.c.bucket,
    metric_parcels.c.delivered_day,
    metric_parcels.c.returned_eday,
    metric_parcels.c.duration_s,  # covering: the exact-percentile look-up reads the index alone
)
Index("ix_tracking_events_time", tracking_events.c.event_time)
Index("ix_metric_parcels_order", metric_parcels.c.shop_id, metric_parcels.c.order_no)


def _rollup(name: str, *keys: Column[object], sums: tuple[str, ...] = ()) -> Table:
    return Table(
        name,
        metadata,
        Column("shop_id", Integer, nullable=False),
        *keys,
        Column("n", Integer, nullable=False),
        *[Column(col, Float, nullable=False, server_default="0") for col in sums],
        UniqueConstraint("shop_id", *[k.name for k in keys]),
    )


rollup_pickup = _rollup(
    "rollup_pickup",
    Column("rule", String(40), nullable=False),  # "pay_to_pickup" or an extra block's name
    Column("pay_day", Date, nullable=False),
    Column("carrier", String(64), nullable=False),
    Column("limit_hours", Integer, nullable=False),
    Column("pickup_eday", Date, nullable=False),
    Column("pickup_on_time", Boolean, nullable=False),
    Column("deadline_day", Date, nullable=False),
    Column("closed", Boolean, nullable=False),
)
rollup_promise = _rollup(
    "rollup_promise",
    Column("promise_day", Date, nullable=False),
    Column("carrier", String(64), nullable=False),
    Column("pickup_eday", Date, nullable=False),
    Column("by_promise", Boolean, nullable=False),
    Column("closed", Boolean, nullable=False),
)
rollup_feedback = _rollup(
    "rollup_feedback",
    Column("pay_day", Date, nullable=False),
    Column("negative_eday", Date, nullable=False),
)
rollup_delivery = _rollup(  # the M2 histogram: hour buckets, a few hundred rows per shop-day
    "rollup_delivery",
    Column("delivered_day", Date, nullable=False),
    Column("returned_eday", Date, nullable=False),
    Column("bucket", Integer, nullable=False),
    sums=("sum_s",),
)
# The carrier scorecard, one table per grouping: a table keyed by both carrier and province would hold their
# product, ~5x the rows a 30-day report sums (measured: the scorecards were the report's largest reads).
rollup_delivery_carrier = _rollup(
    "rollup_delivery_carrier",
    Column("delivered_day", Date, nullable=False),
    Column("carrier", String(64), nullable=False),
    Column("returned_eday", Date, nullable=False),
    sums=("sum_s",),
)
rollup_delivery_province = _rollup(  # by destination province
    "rollup_delivery_province",
    Column("delivered_day", Date, nullable=False),
    Column("province", String(64), nullable=False),
    Column("returned_eday", Date, nullable=False),
    sums=("sum_s",),
)
rollup_freshness = _rollup(
    "rollup_freshness",
    Column("pickup_day", Date, nullable=False),
    Column("carrier", String(64), nullable=False),
    Column("stale_day", Date, nullable=False),
)
