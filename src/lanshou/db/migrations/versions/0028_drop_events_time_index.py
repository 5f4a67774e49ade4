"""tracking_events: no index by event time (it served one look-up, now read from parcel_state, and cost a
quarter of every tracking import: events arrive at random times, so each batch dirtied pages all over it)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01 03:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_tracking_events_time", table_name="tracking_events")


def downgrade() -> None:
    op.create_index("ix_tracking_events_time", "tracking_events", ["event_time"])
