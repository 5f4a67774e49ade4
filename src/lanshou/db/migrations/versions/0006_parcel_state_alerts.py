"""parcel state, lane statistics, push subscriptions and parcel alerts

parcel_state is filled from the stored events so a database upgraded in place shows its parcels at once;
their ETAs come with the next lane refresh and events.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parcel_state",
        sa.Column("tracking_no", sa.String(length=64), primary_key=True),
        sa.Column("carrier", sa.String(length=64), server_default="", nullable=False),
        sa.Column("status", sa.String(length=32)),
        sa.Column("status_at", sa.DateTime()),
        sa.Column("status_seen_at", sa.DateTime()),
        sa.Column("pickup_at", sa.DateTime()),
        sa.Column("last_event_at", sa.DateTime()),
        sa.Column("delivered_at", sa.DateTime()),
        sa.Column("returned_at", sa.DateTime()),
        sa.Column("finished", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("eta", sa.DateTime()),
        sa.Column("pickup_eta", sa.DateTime()),
        sa.Column("late_after", sa.DateTime()),
        sa.Column("polled_at", sa.DateTime()),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_parcel_state_silent", "parcel_state", ["finished", "last_event_at"])
    op.create_index("ix_parcel_state_late", "parcel_state", ["finished", "late_after"])
    op.create_index("ix_parcel_state_status", "parcel_state", ["status", "status_at"])
    op.create_index("ix_parcel_state_delivered", "parcel_state", ["delivered_at"])
    op.create_index("ix_parcel_state_unscanned", "parcel_state", ["pickup_at"])
    op.create_index("ix_parcel_state_updated", "parcel_state", ["updated_at"])
    op.create_table(
        "lane_stats",
        sa.Column("carrier", sa.String(length=64), primary_key=True),
        sa.Column("origin", sa.String(length=16), primary_key=True),
        sa.Column("destination", sa.String(length=16), primary_key=True),
        sa.Column("parcels", sa.Integer(), nullable=False),
        sa.Column("median_hours", sa.Float(), nullable=False),
        sa.Column("p90_hours", sa.Float(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "tracking_subscriptions",
        sa.Column("tracking_no", sa.String(length=64), primary_key=True),
        sa.Column("carrier", sa.String(length=64), server_default="", nullable=False),
        sa.Column("provider", sa.String(length=20), server_default="kuaidi100", nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column("resubscribe_at", sa.DateTime()),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_tracking_subscriptions_resubscribe", "tracking_subscriptions", ["resubscribe_at"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tracking_no", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime()),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("carrier", sa.String(length=64), server_default="", nullable=False),
        sa.Column("shop_id", sa.Integer()),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("acked_at", sa.DateTime()),
        sa.Column("acked_by", sa.String(length=100), server_default="", nullable=False),
        sa.Column("resolved_at", sa.DateTime()),
        sa.Column("resolved_by", sa.String(length=100), server_default="", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.UniqueConstraint("tracking_no", "kind", "since", name="uq_alerts_problem"),
    )
    open_only = sa.text("resolved_at IS NULL")
    op.create_index(
        "ux_alerts_open",
        "alerts",
        ["tracking_no", "kind"],
        unique=True,
        sqlite_where=open_only,
        postgresql_where=open_only,
    )
    op.create_index("ix_alerts_resolved_opened", "alerts", ["resolved_at", "opened_at"])
    op.create_table(
        "alert_scans",
        sa.Column("name", sa.String(length=40), primary_key=True),
        sa.Column("scanned_until", sa.DateTime(), nullable=False),
    )
    _fill_parcel_state()


def _fill_parcel_state() -> None:
    """States of the parcels already tracked: times by aggregate; the status is the newest readable
    event's (ties broken by the higher id). Unreadable statuses are stored as "" (see tracking.store)."""
    op.execute(
        """
        INSERT INTO parcel_state (tracking_no, carrier, pickup_at, last_event_at, delivered_at,
                                  returned_at, finished, updated_at)
        SELECT tracking_no, MAX(carrier),
               MIN(CASE WHEN status NOT IN ('', 'info_received') THEN event_time END),
               MAX(event_time),
               MIN(CASE WHEN status = 'delivered' THEN event_time END),
               MIN(CASE WHEN status = 'returned' THEN event_time END),
               MAX(CASE WHEN status IN ('delivered', 'returned') THEN 1 ELSE 0 END) = 1,
               CURRENT_TIMESTAMP
        FROM tracking_events GROUP BY tracking_no
        """
    )
    op.execute(
        """
        UPDATE parcel_state SET
          status = (SELECT e.status FROM tracking_events e
                    WHERE e.tracking_no = parcel_state.tracking_no AND e.status <> ''
                    ORDER BY e.event_time DESC, e.id DESC LIMIT 1),
          status_seen_at = (SELECT MAX(e.event_time) FROM tracking_events e
                            WHERE e.tracking_no = parcel_state.tracking_no AND e.status <> '')
        """
    )
    op.execute("UPDATE parcel_state SET status_at = status_seen_at")
    op.execute(  # parcels not scanned yet: a bare state each (what tracking.store.save_parcels keeps)
        "INSERT INTO parcel_state (tracking_no, carrier, finished, updated_at) "
        "SELECT tracking_no, carrier, false, CURRENT_TIMESTAMP FROM parcels "
        "WHERE tracking_no NOT IN (SELECT tracking_no FROM parcel_state)"
    )


def downgrade() -> None:
    op.drop_table("alert_scans")
    op.drop_table("alerts")
    op.drop_table("tracking_subscriptions")
    op.drop_table("lane_stats")
    op.drop_table("parcel_state")
