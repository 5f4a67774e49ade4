"""`tracking show`: one parcel as every face returns it (carrier, status, times, ETA, orders, events)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.shops.store import load_shops
from lanshou.tracking.inbox import catch_up
from lanshou.tracking.queries import orders_by_parcel, parcel_shops
from lanshou.tracking.store import load_states, status_value
from lanshou.tracking.tables import parcels, tracking_events


class UnknownParcel(LookupError):
    def __str__(self) -> str:
        return f"未找到运单 no parcel or event for tracking number {self.args[0]!r}"


def iso(value: datetime | None, tz: ZoneInfo) -> str | None:
    """Naive UTC → ISO 8601 with the zone's offset, e.g. 2026-11-03T17:31:57+08:00."""
    return None if value is None else value.replace(tzinfo=UTC).astimezone(tz).isoformat()


def parcel_view(
    engine: Engine, tracking_no: str, timezone: str | None = None, shop_ids: Collection[int] | None = None
) -> dict[str, Any]:
    """The parcel's state and its whole track, newest event first. Raises UnknownParcel.

    Pushes waiting in the inbox are ingested first. With `shop_ids` (a user's grants): a parcel of none
    of these shops is unknown, and only their orders are named."""
    number = tracking_no.strip()
    catch_up(engine)  # pushes received but not ingested yet are part of the track
    with engine.connect() as conn:
        if shop_ids is not None and not parcel_shops(conn, number) & set(shop_ids):
            raise UnknownParcel(number)
        state = load_states(conn, [number]).get(number)
        keys = orders_by_parcel(conn, [number]).get(number, [])
        if shop_ids is not None:
            keys = [key for key in keys if key[0] in shop_ids]
        shops = load_shops(conn) if keys else {}
        shipped_query = select(parcels.c.carrier, parcels.c.shipped_at).where(parcels.c.tracking_no == number)
        if shop_ids is not None:
            shipped_query = shipped_query.where(parcels.c.shop_id.in_(list(shop_ids)))
        shipped = conn.execute(shipped_query).first()
        e = tracking_events
        rows = conn.execute(
            select(e.c.event_time, e.c.status, e.c.raw_status, e.c.description, e.c.location, e.c.carrier)
            .where(e.c.tracking_no == number)
            .order_by(e.c.event_time.desc(), e.c.id.desc())
        ).all()
    if state is None and not keys and not rows:
        raise UnknownParcel(number)
    zone_name = timezone or (shops[keys[0][0]].timezone if keys else DEFAULT_TIMEZONE)
    tz = ZoneInfo(zone_name)
    status = state.status.value if state and state.status else None
    return {
        "tracking_no": number,
        "carrier": (state.carrier if state else "") or (shipped.carrier if shipped else ""),
        "status": status,
        "shipped_at": iso(shipped.shipped_at if shipped else None, tz),
        "pickup_at": iso(state.pickup_at if state else None, tz),
        "delivered_at": iso(state.delivered_at if state else None, tz),
        "returned_at": iso(state.returned_at if state else None, tz),
        "last_event_at": iso(state.last_event_at if state else None, tz),
        "eta": iso(state.eta if state else None, tz),
        "timezone": zone_name,
        "orders": [
            {"platform": shops[shop_id].platform, "shop": shops[shop_id].shop, "order_no": order_no}
            for shop_id, order_no in keys
        ],
        "events": [
            {
                "time": iso(r.event_time, tz),
                "status": s.value if (s := status_value(r.status)) else None,
                "raw_status": r.raw_status,
                "text": r.description,
                "location": r.location,
                "carrier": r.carrier,
            }
            for r in rows
        ],
    }
