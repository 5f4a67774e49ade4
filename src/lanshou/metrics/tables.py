"""Metric rollups (revision 0002 onwards): derived keys per order and parcel, and the counts by them."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lanshou.db.metadata import metadata, partial_index

# ---------------------------------------------------------------------------------------------------------
# Metric rollups (revision 0002). Each order and parcel has one derived row holding the keys it contributes
# to; the rollup tables hold counts by those keys and are maintained by deltas (old keys -1, new keys +1).
# Keys are as coarse as the report allows (shop, day, carrier, rule and the day comparisons): a 30-day
# report over millions of orders then sums thousands of rows. Province lives in the scorecard only.
# Days are local dates in the shop's timezone; NEVER (9999-12-31) stands for "has not happened".
# An "eday" is the local date of (time - 1 µs): something happened by D 00:00 exactly when eday < D.

# Dirty marks (revision 0005): what must be re-derived. Writers only append (no row is ever updated, so an
# import never waits on a refresh nor a refresh on an import); a refresh deletes exactly the marks it read,
# by id, so a mark added while it worked stays. An order may hold several marks: one re-derivation clears
# all it read. Carrier events mark their tracking number; the refresh finds the orders under its lock.
metric_dirty_orders = Table(
    "metric_dirty_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, nullable=False),
    Column("order_no", String(64), nullable=False),
    sqlite_autoincrement=True,  # ids never reused (migration 0030): lanshou.metrics.rollups keys on them
)
Index("ix_metric_dirty_orders_order", metric_dirty_orders.c.shop_id, metric_dirty_orders.c.order_no)

metric_dirty_tracking = Table(
    "metric_dirty_tracking",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tracking_no", String(64), nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_metric_dirty_tracking_number", metric_dirty_tracking.c.tracking_no)

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

# The misses page selects a window's orders by pay day or promise day (revision 0023): without these SQLite
# walked every derived row of the shops (the key starts with the shop), 0.4 s of the page at 200k orders.
Index("ix_metric_orders_pay_day", metric_orders.c.shop_id, metric_orders.c.pay_day)
Index("ix_metric_orders_promise_day", metric_orders.c.shop_id, metric_orders.c.promise_day)
# Only the orders that can miss M1 / M5 (revision 0027; ~18 % / ~7 % of the rows): the misses read of one
# metric walks these instead of every order of the window (M1 at 200k orders: 141 -> 75 ms in SQLite). The
# read's WHERE repeats each predicate word for word, which is what lets SQLite use a partial index.
M1_CAN_MISS = metric_orders.c.limit_hours.is_not(None) & metric_orders.c.pickup_on_time.is_not(True)
M5_CAN_MISS = metric_orders.c.by_promise.is_not(True)
partial_index(
    "ix_metric_orders_m1_can_miss", metric_orders.c.shop_id, metric_orders.c.pay_day, where=M1_CAN_MISS
)
partial_index(
    "ix_metric_orders_m5_can_miss", metric_orders.c.shop_id, metric_orders.c.promise_day, where=M5_CAN_MISS
)

# Why an order missed M1 / M5 (revision 0022), kept by the rollup upkeep for every order that can miss M1,
# M5 or M4 (lanshou.metrics.miss_store): the reason as if scanned by any evaluation time (the reader turns a
# scan-dependent reason into shipped_no_scan when the first scan comes after it), and what a Miss shows.
metric_misses = Table(
    "metric_misses",
    metadata,
    Column("shop_id", Integer, primary_key=True),
    Column("order_no", String(64), primary_key=True),
    Column("m1_reason", String(32)),  # NULL: picked up on time (or not in M1)
    Column("m1_detail", Text),
    Column("m5_reason", String(32)),  # NULL: picked up by the promise (or no promise)
    Column("m5_detail", Text),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("skus", Text, nullable=False, server_default="[]"),  # JSON list, in line order
    Column("warehouse", String(64), nullable=False, server_default=""),
    Column("pay_hour", Integer),
    Column("province", String(64), nullable=False, server_default=""),
)

# What the at-risk queue needs of an open order (revision 0023), kept by the rollup upkeep for every paid
# order whose status was open (paid or shipped) when derived (lanshou.metrics.queue_store): its first scan
# and what its deadlines are made of, so the queue reads the open orders of its window here instead of
# loading their facts. The deadlines themselves are made at read time with the shop's current rule pack.
# Times are naive UTC, known from every event.
metric_queue = Table(
    "metric_queue",
    metadata,
    Column("shop_id", Integer, primary_key=True),
    Column("order_no", String(64), primary_key=True),
    Column("paid_at", DateTime, nullable=False),
    Column("first_scan_at", DateTime),  # NULL: no carrier scan yet
    Column("delivered_at", DateTime),  # every parcel delivered by then; NULL: not all (or none)
    Column("oldest_last_event", DateTime),  # the earliest of its parcels' last events (NULL: no event)
    Column("newest_event", DateTime),  # its latest event of any parcel
    Column("categories", Text, nullable=False, server_default="[]"),  # JSON list: L, so M1's deadline
    Column("has_waybill", Boolean, nullable=False),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("skus", Text, nullable=False, server_default="[]"),  # JSON list, in line order
    Column("warehouse", String(64), nullable=False, server_default=""),
)
Index("ix_metric_queue_paid", metric_queue.c.shop_id, metric_queue.c.paid_at)

# One row per parcel of a shop (revision 0005: keyed by shop and tracking number). A parcel carrying several
# orders counts once, under the paid order with the smallest number (its province is the destination);
# a parcel no paid order carries has no row, nor has one never scanned (it counts in no rollup: rows for the
# parcels of every order not yet picked up were written and deleted again when the first scan came).
metric_parcels = Table(
    "metric_parcels",
    metadata,
    Column("shop_id", Integer, primary_key=True),
    Column("tracking_no", String(64), primary_key=True),
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
Index("ix_metric_parcels_order", metric_parcels.c.shop_id, metric_parcels.c.order_no)


def _rollup(name: str, *keys: Column[object], sums: tuple[str, ...] = ()) -> Table:
    """A rollup table; its first key is the day a report's window selects on, indexed with the shop
    (revision 0014): the report reads the window's rows, not every row of the shops' whole history (the
    unique key starts with the shop and, for rollup_pickup, the rule, so it cannot range over the day)."""
    table = Table(
        name,
        metadata,
        Column("shop_id", Integer, nullable=False),
        *keys,
        Column("n", Integer, nullable=False),
        *[Column(col, Float, nullable=False, server_default="0") for col in sums],
        UniqueConstraint("shop_id", *[k.name for k in keys]),
    )
    day = next(k for k in keys if k.name.endswith("_day"))
    Index(f"ix_{name}_window", table.c[day.name], table.c.shop_id)
    return table


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
