"""Shipping's tables: the merchant-loaded waybill number pool, the waybill each shipment holds, and the
carrier configuration (price tables, coverage, cutoffs, strategy rules) as loaded from TOML.

A pool number is `available` until a shipment claims it (`used`, with its holder), or retired for good
(`cancelled`: its label may exist, so it is never handed out again). The claim is one conditional UPDATE
(… WHERE status = 'available', SKIP LOCKED on PostgreSQL), so two processes never hand out one number.

`shipment_waybills` is written in the transaction that takes the waybill, before any label is printed: a
run that stops after it finds the waybill there and reuses it (never a second number for one shipment).
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lanshou.db.metadata import metadata

waybill_numbers = Table(
    "waybill_numbers",
    metadata,
    Column("id", Integer, primary_key=True),  # load order: numbers are handed out oldest first
    Column("carrier", String(64), nullable=False),
    Column("tracking_no", String(64), nullable=False),
    Column("status", String(16), nullable=False, server_default="available"),
    Column("holder", String(160)),  # who holds a used number: "<shop id>:<order no>"
    Column("source", String(255), nullable=False, server_default=""),  # the file it was loaded from
    Column("loaded_at", DateTime, nullable=False),
    Column("changed_at", DateTime),
    UniqueConstraint("carrier", "tracking_no"),
    CheckConstraint("status IN ('available','used','cancelled')", name="waybill_status_known"),
)
Index("ix_waybill_numbers_free", waybill_numbers.c.carrier, waybill_numbers.c.status, waybill_numbers.c.id)
Index("ix_waybill_numbers_holder", waybill_numbers.c.carrier, waybill_numbers.c.holder)

shipment_waybills = Table(
    "shipment_waybills",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("order_no", String(64), primary_key=True),  # the shipment's main order
    # 0: the whole order (or a merge); n: shipment part n of a split order (拆单, review's shipment_parts)
    Column("part", Integer, primary_key=True, server_default="0", autoincrement=False),
    Column("order_nos", Text, nullable=False),  # every order in the parcel, comma-separated (合单)
    Column("carrier", String(64), nullable=False),
    Column("service", String(64), nullable=False, server_default=""),
    Column("provider", String(32), nullable=False),  # pool | kuaidi100
    Column("tracking_no", String(64), nullable=False),
    Column("sorting_code", String(64), nullable=False, server_default=""),
    Column("provider_ref", String(128), nullable=False, server_default=""),
    Column("reason", Text, nullable=False, server_default=""),  # why this carrier (the timeline's words)
    Column("taken_at", DateTime, nullable=False),
    Column("shipped_at", DateTime),  # NULL until the orders were marked shipped
)
Index("ix_shipment_waybills_tracking", shipment_waybills.c.carrier, shipment_waybills.c.tracking_no)

carrier_configs = Table(
    "carrier_configs",
    metadata,
    Column("id", Integer, primary_key=True),  # the newest row is the configuration in force
    Column("source", Text, nullable=False),  # the TOML text as loaded (validated before it is stored)
    Column("loaded_from", String(255), nullable=False, server_default=""),
    Column("loaded_at", DateTime, nullable=False),
)

# One `lanshou ship` run at a time per shop: two operators printing the same orders would print every label
# twice. A run holds its shops' leases while it works (renewed by each batch); a run that died leaves a lease
# that expires by itself.
ship_leases = Table(
    "ship_leases",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("holder", String(128), nullable=False),  # host:pid:random of the run
    Column("expires_at", DateTime, nullable=False),
)

# The labels PDF of a batch shipped from the dashboard or the API, kept in the database so that any API
# process, on any machine, can serve it (nothing is kept on a server's disk). `shop_ids` names the shops
# whose parcels it holds ("1,2"): it is served only to a user granted every one of them.
batch_labels = Table(
    "batch_labels",
    metadata,
    Column("label_id", String(32), primary_key=True),  # random, 128 bits (never a path)
    Column("shop_ids", Text, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("pdf", LargeBinary, nullable=False),
)
Index("ix_batch_labels_created_at", batch_labels.c.created_at)

# the other files of a dashboard or API ship run, served as its labels are (same shops, same id): each
# platform's batch-ship upload file (how the marketplace learns what shipped), the pick and packing lists
batch_files = Table(
    "batch_files",
    metadata,
    Column("label_id", String(32), primary_key=True),  # the run's batch_labels row
    Column("position", Integer, primary_key=True),  # 0, 1, …: the file's number in its run
    Column("name", String(200), nullable=False),  # e.g. 淘宝批量发货.csv: the download's file name
    Column("data", LargeBinary, nullable=False),
)
