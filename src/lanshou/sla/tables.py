"""Parcel alerts (物流预警): one row per problem, opened by the scan or by a status change, acknowledged
and resolved by staff (or resolved by the scan once the problem is gone).

A problem is identified by (tracking number, kind, since): a rescan finds the same one and adds nothing,
a resolved one is not raised again, and a parcel has at most one unresolved alert of each kind.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text, UniqueConstraint

from lanshou.db.metadata import metadata

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tracking_no", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("since", DateTime, nullable=False),  # when the problem began (naive UTC)
    Column("due_at", DateTime),  # the deadline it threatens, when it has one
    Column("metric", String(40), nullable=False),  # the metric it threatens (METRICS.md block name)
    Column("reason", Text, nullable=False, server_default=""),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("shop_id", Integer),
    Column("opened_at", DateTime, nullable=False),
    Column("acked_at", DateTime),
    Column("acked_by", String(100), nullable=False, server_default=""),
    Column("resolved_at", DateTime),
    Column("resolved_by", String(100), nullable=False, server_default=""),
    Column("note", Text, nullable=False, server_default=""),
    UniqueConstraint("tracking_no", "kind", "since", name="uq_alerts_problem"),
)
# At most one unresolved alert per parcel and kind; also the index of the open list.
Index(
    "ux_alerts_open",
    alerts.c.tracking_no,
    alerts.c.kind,
    unique=True,
    sqlite_where=alerts.c.resolved_at.is_(None),
    postgresql_where=alerts.c.resolved_at.is_(None),
)
Index("ix_alerts_resolved_opened", alerts.c.resolved_at, alerts.c.opened_at)

# Where the last scan stopped: the next one looks only at parcels whose trouble began since (a window of
# minutes, not the whole in-transit table); a database without a mark gets one full scan.
alert_scans = Table(
    "alert_scans",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("scanned_until", DateTime, nullable=False),
)
