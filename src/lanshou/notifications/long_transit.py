"""The in_transit_long stage: a parcel in transit for longer than its shop allows (default 72 h) is news the
buyer should hear before they worry. No event says "still in transit", so a periodic job looks: parcels
whose in-transit spell passed the threshold within the last LOOKBACK (older ones were looked at before),
for shops with a rule for the stage. The outbox key makes a second look send nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select

from lanshou.db.engine import run_transaction
from lanshou.notifications.model import Stage
from lanshou.notifications.outbox import Queued, Trigger, queue_messages
from lanshou.notifications.settings_store import load_settings
from lanshou.notifications.store import rules_for
from lanshou.shops.tables import shops
from lanshou.tracking.status import TrackingStatus
from lanshou.tracking.tables import parcel_orders, parcel_state

LOOKBACK = timedelta(days=3)


def long_transit_triggers(conn: Connection, now: datetime) -> list[Trigger]:
    shop_ids = sorted(rules_for(conn, _all_shops(conn), Stage.IN_TRANSIT_LONG))
    triggers: list[Trigger] = []
    for shop_id in shop_ids:
        timezone = conn.execute(select(shops.c.timezone).where(shops.c.id == shop_id)).scalar_one()
        limit = load_settings(conn, shop_id, timezone).long_transit
        s, link = parcel_state.c, parcel_orders.c
        query = (
            select(link.order_no, link.tracking_no)
            .select_from(parcel_orders.join(parcel_state, s.tracking_no == link.tracking_no))
            .where(
                link.shop_id == shop_id,
                s.status == TrackingStatus.IN_TRANSIT.value,
                s.finished.is_(False),
                s.status_at <= now - limit,
                s.status_at > now - limit - LOOKBACK,
            )
        )
        triggers.extend(
            Trigger(shop_id, r.order_no, Stage.IN_TRANSIT_LONG, r.tracking_no) for r in conn.execute(query)
        )
    return triggers


def _all_shops(conn: Connection) -> list[int]:
    return [r.id for r in conn.execute(select(shops.c.id))]


def queue_long_transit(engine: Engine, now: datetime) -> Queued:
    """Queue the in_transit_long messages due at `now` (naive UTC)."""
    return run_transaction(engine, lambda conn: queue_messages(conn, long_transit_triggers(conn, now), now))
