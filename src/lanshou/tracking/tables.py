"""Parcels, the orders each parcel carries, and the carrier events of each tracking number,
each parcel's current state (folded from its events), the lanes' measured delivery times and the push
subscriptions.

A parcel is the physical thing a carrier scans, known by its tracking number within a shop. One parcel may
carry several orders (合并发货: two orders of one buyer in one box) and one order may travel in several
parcels (拆单), so which orders a parcel carries is a link table of its own. Carrier events belong to the
tracking number: every order the parcel carries sees them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
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

parcels = Table(
    "parcels",
    metadata,
    Column("id", Integer, primary_key=True),  # the order parcels were first seen in: a stable sort key
    Column("shop_id", Integer, nullable=False),  # no FOREIGN KEY to shops: see migration 0031
    Column("tracking_no", String(64), nullable=False),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("shipped_at", DateTime),  # when the waybill was printed / the orders were marked shipped
    UniqueConstraint("shop_id", "tracking_no"),
)
# A tracking number's parcels whatever the shop (the alert scan's shop of a parcel, `tracking show`, the
# unscanned parcels): the unique key above starts with the shop, so without it each look-up read the whole
# key index (SQLite: a tracking import's status alerts took 10 s at 75k parcels).
Index("ix_parcels_tracking_no", parcels.c.tracking_no)

# Which orders a parcel carries: written by lanshou.tracking.store, read through lanshou.tracking.queries.
parcel_orders = Table(
    "parcel_orders",
    metadata,
    Column("tracking_no", String(64), primary_key=True),
    Column("shop_id", Integer, primary_key=True),  # no FOREIGN KEY to shops: see migration 0031
    Column("order_no", String(64), primary_key=True),
)
Index("ix_parcel_orders_order", parcel_orders.c.shop_id, parcel_orders.c.order_no)

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

# One row per tracking number with events, kept as events are stored (lanshou.tracking.state). Events may
# come before the order that carries the number: the state is keyed by the number alone.
parcel_state = Table(
    "parcel_state",
    metadata,
    Column("tracking_no", String(64), primary_key=True),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("status", String(32)),  # newest readable normalised status; NULL while none was readable
    Column("status_at", DateTime),  # when the parcel entered that status
    Column("status_seen_at", DateTime),  # newest readable event
    Column("pickup_at", DateTime),
    Column("last_event_at", DateTime),
    Column("delivered_at", DateTime),
    Column("returned_at", DateTime),
    Column("finished", Boolean, nullable=False, server_default="0"),  # delivered or returned
    Column("eta", DateTime),
    Column("pickup_eta", DateTime),
    Column("late_after", DateTime),
    Column("polled_at", DateTime),  # last real-time query (carriers without push)
    Column("updated_at", DateTime, nullable=False),
)
# The alert scan's selections: silent parcels, parcels past their lane's norm, parcels waiting at a locker;
# and delivered parcels. Each query compares the column a partial index needs (revision 0032): a parcel's
# bare row, written with its order before any carrier event, goes into none of them.
_s = parcel_state.c
partial_index("ix_parcel_state_silent", _s.finished, _s.last_event_at, where=_s.last_event_at.is_not(None))
partial_index("ix_parcel_state_late", _s.finished, _s.late_after, where=_s.late_after.is_not(None))
partial_index("ix_parcel_state_status", _s.status, _s.status_at, where=_s.status.is_not(None))
partial_index("ix_parcel_state_delivered", _s.delivered_at, where=_s.delivered_at.is_not(None))
Index("ix_parcel_state_unscanned", _s.pickup_at)  # pickup_at IS NULL: waiting for the carrier
Index("ix_parcel_state_updated", _s.updated_at)  # what moved since the last alert scan

# Delivery times per lane (carrier × origin province → destination province), measured from history;
# "*" stands for any (the wider lanes an ETA falls back to when a lane has few deliveries).
lane_stats = Table(
    "lane_stats",
    metadata,
    Column("carrier", String(64), primary_key=True),
    Column("origin", String(16), primary_key=True),
    Column("destination", String(16), primary_key=True),
    Column("parcels", Integer, nullable=False),
    Column("median_hours", Float, nullable=False),
    Column("p90_hours", Float, nullable=False),
    Column("refreshed_at", DateTime, nullable=False),
)

# Kuaidi100 watches a number after a subscription and pushes its track; its word on the watch is kept
# here (polling / shutdown / abort) with when to subscribe again after an abort.
tracking_subscriptions = Table(
    "tracking_subscriptions",
    metadata,
    Column("tracking_no", String(64), primary_key=True),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("provider", String(20), nullable=False, server_default="kuaidi100"),
    Column("state", String(20), nullable=False),  # subscribed | polling | updateall | shutdown | abort
    Column("message", Text, nullable=False, server_default=""),
    Column("resubscribe_at", DateTime),
    Column("updated_at", DateTime, nullable=False),
)
Index("ix_tracking_subscriptions_resubscribe", tracking_subscriptions.c.resubscribe_at)

# Carrier pushes as received, waiting to be ingested (lanshou.tracking.inbox): the endpoint answers once its
# raw payload is committed here; a drain ingests rows in batches and deletes them in the same transaction.
# `error` is set on a row that failed to ingest on its own: it stays for an operator, the drain skips it.
tracking_inbox = Table(
    "tracking_inbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(20), nullable=False),  # kuaidi100 (payload: the raw param) | generic (raw body)
    Column("payload", Text, nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("error", Text),
)
