"""Shipping's SQL: the carrier configuration in force, the lane history the scorecard measures, the waybill
each shipment holds, and the orders' state as shipping must see it."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, func, insert, select, update

from lanshou.db.bulk import insert_new
from lanshou.orders.keys import CHUNK, OrderKey, by_shop
from lanshou.orders.tables import orders
from lanshou.shipping.choice import LanePerformance, Lanes
from lanshou.shipping.config import ShippingConfig, parse_config
from lanshou.shipping.pool_store import utc_now
from lanshou.shipping.scorecard import ParcelTimes, measure_lanes
from lanshou.shipping.tables import carrier_configs, shipment_waybills
from lanshou.tracking.provinces import province_of
from lanshou.tracking.tables import parcel_orders, parcel_state, parcels


def load_config_file(engine: Engine, path: Path) -> ShippingConfig:
    """Check the file (ConfigError) and store it as the configuration in force."""
    text = path.read_text(encoding="utf-8")
    config = parse_config(text)
    with engine.begin() as conn:
        conn.execute(insert(carrier_configs).values(source=text, loaded_from=str(path), loaded_at=utc_now()))
    return config


def config_in_force(conn: Connection) -> ShippingConfig | None:
    newest = select(carrier_configs.c.source).order_by(carrier_configs.c.id.desc()).limit(1)
    text = conn.execute(newest).scalar_one_or_none()
    return None if text is None else parse_config(text)


def lane_history(
    conn: Connection, since: datetime, shop_ids: Sequence[int] | None = None
) -> Iterator[ParcelTimes]:
    """Each parcel shipped or picked up since `since`, with its destination (its first order's province);
    only those of `shop_ids` when given."""
    p, s, link, o = parcels, parcel_state, parcel_orders, orders
    first_order = (
        select(link.c.shop_id, link.c.tracking_no, func.min(link.c.order_no).label("order_no"))
        .group_by(link.c.shop_id, link.c.tracking_no)
        .subquery()
    )
    query = (
        select(p.c.carrier, p.c.shipped_at, s.c.pickup_at, s.c.delivered_at, o.c.province)
        .select_from(
            p.join(s, s.c.tracking_no == p.c.tracking_no, isouter=True)
            .join(
                first_order,
                (first_order.c.shop_id == p.c.shop_id) & (first_order.c.tracking_no == p.c.tracking_no),
            )
            .join(o, (o.c.shop_id == first_order.c.shop_id) & (o.c.order_no == first_order.c.order_no))
        )
        .where(func.coalesce(p.c.shipped_at, s.c.pickup_at) >= since)
    )
    if shop_ids is not None:
        query = query.where(p.c.shop_id.in_(list(shop_ids)))
    for row in conn.execute(query.execution_options(yield_per=5000)):
        destination = province_of(row.province) or row.province.strip()
        yield ParcelTimes(row.carrier, destination, row.shipped_at, row.pickup_at, row.delivered_at)


@dataclass(frozen=True, slots=True)
class HeldWaybill:
    shop_id: int
    order_no: str
    order_nos: tuple[str, ...]
    carrier: str
    service: str
    provider: str
    tracking_no: str
    sorting_code: str
    reason: str
    shipped_at: datetime | None
    taken_at: datetime | None = None
    part: int = 0  # part n of a split order (拆单); 0: the whole shipment

    @property
    def key(self) -> ShipmentKey:
        return (self.shop_id, self.order_no, self.part)


ShipmentKey = tuple[int, str, int]  # (shop id, main order no, part): what a waybill is held for


def held_waybills(conn: Connection, keys: Sequence[OrderKey]) -> dict[ShipmentKey, HeldWaybill]:
    """The waybill each shipment of these main orders already holds (one per part of a split order)."""
    w = shipment_waybills.c
    found: dict[ShipmentKey, HeldWaybill] = {}
    for shop_id, numbers in by_shop(list(dict.fromkeys(keys))):
        query = select(shipment_waybills).where(w.shop_id == shop_id, w.order_no.in_(numbers))
        for r in conn.execute(query):
            found[(r.shop_id, r.order_no, r.part)] = HeldWaybill(
                r.shop_id,
                r.order_no,
                tuple(r.order_nos.split(",")),
                r.carrier,
                r.service,
                r.provider,
                r.tracking_no,
                r.sorting_code,
                r.reason,
                r.shipped_at,
                r.taken_at,
                r.part,
            )
    return found


def adopt_waybill(
    conn: Connection, held: dict[ShipmentKey, HeldWaybill], key: OrderKey, part: int, current: Collection[int]
) -> HeldWaybill | None:
    """A waybill this order took as it was before a split (拆单) or before the split was undone (held for a
    part it no longer has) and never shipped: shipment part `part` takes it over, so no number is left
    taken and unused. `held`: the order's held waybills (updated); `current`: the parts the order has now."""
    orphans = sorted(
        (h for h in held.values() if (h.shop_id, h.order_no) == key and h.shipped_at is None),
        key=lambda h: h.part,
    )
    orphans = [h for h in orphans if h.part not in current]
    if not orphans:
        return None
    old = orphans[0]
    w = shipment_waybills.c
    conn.execute(
        update(shipment_waybills)
        .where(w.shop_id == key[0], w.order_no == key[1], w.part == old.part, w.shipped_at.is_(None))
        .values(part=part)
    )
    del held[old.key]
    adopted = replace(old, part=part)
    held[adopted.key] = adopted
    return adopted


def held_by_tracking(conn: Connection, carrier: str, tracking_nos: Sequence[str]) -> list[HeldWaybill]:
    w = shipment_waybills.c
    query = select(w.shop_id, w.order_no).where(w.carrier == carrier, w.tracking_no.in_(tracking_nos))
    keys = [(r.shop_id, r.order_no) for r in conn.execute(query)]
    wanted = set(tracking_nos)
    return [h for h in held_waybills(conn, keys).values() if h.carrier == carrier and h.tracking_no in wanted]


def record_waybills(conn: Connection, taken: Sequence[tuple[HeldWaybill, str]]) -> set[ShipmentKey]:
    """Store each shipment's waybill (with the provider's reference); returns the shipments whose waybill
    is ours. The others already held one (another run stored it first): keep theirs."""
    now = utc_now()
    rows = [
        {
            "shop_id": held.shop_id,
            "order_no": held.order_no,
            "part": held.part,
            "order_nos": ",".join(held.order_nos),
            "carrier": held.carrier,
            "service": held.service,
            "provider": held.provider,
            "tracking_no": held.tracking_no,
            "sorting_code": held.sorting_code,
            "provider_ref": provider_ref,
            "reason": held.reason,
            "taken_at": now,
        }
        for held, provider_ref in taken
    ]
    insert_new(conn, shipment_waybills, rows, ["shop_id", "order_no", "part"])
    keys = [held.key for held, _ in taken]
    stored = held_waybills(conn, [(held.shop_id, held.order_no) for held, _ in taken])
    return {
        key
        for key, (held, _) in zip(keys, taken, strict=True)
        if key in stored
        and stored[key].tracking_no == held.tracking_no
        and stored[key].carrier == held.carrier
    }


def mark_waybills_shipped(conn: Connection, keys: Sequence[ShipmentKey], at: datetime) -> None:
    w = shipment_waybills.c
    by_part: dict[int, list[OrderKey]] = {}
    for shop_id, order_no, part in keys:
        by_part.setdefault(part, []).append((shop_id, order_no))
    for part, orders_of_part in by_part.items():
        for shop_id, numbers in by_shop(orders_of_part):
            for start in range(0, len(numbers), CHUNK):
                conn.execute(
                    update(shipment_waybills)
                    .where(
                        w.shop_id == shop_id,
                        w.order_no.in_(numbers[start : start + CHUNK]),
                        w.part == part,
                    )
                    .values(shipped_at=at)
                )


def order_statuses(conn: Connection, keys: Sequence[OrderKey], lock: bool = False) -> dict[OrderKey, str]:
    """Each order's status; `lock` holds the rows to the end of the transaction (PostgreSQL), taken in key
    order (shop, then number), as review's staff actions and after-sales take them
    (lanshou.review.stops.order_states): two transactions locking some of the same orders then wait for
    each other instead of each holding what the other wants."""
    o = orders.c
    found: dict[OrderKey, str] = {}
    for shop_id, numbers in by_shop(sorted(set(keys))):
        for start in range(0, len(numbers), CHUNK):
            query = select(o.order_no, o.status).where(
                o.shop_id == shop_id, o.order_no.in_(numbers[start : start + CHUNK])
            )
            if lock:
                query = query.order_by(o.order_no).with_for_update()
            found.update({(shop_id, n): status for n, status in conn.execute(query)})
    return found


def set_shipped(conn: Connection, keys: Sequence[OrderKey], at: datetime) -> list[OrderKey]:
    """paid → shipped, conditionally (never read-then-write); returns the keys that were still paid."""
    o = orders.c
    done: list[OrderKey] = []
    for shop_id, numbers in by_shop(keys):
        for start in range(0, len(numbers), CHUNK):
            result = conn.execute(
                update(orders)
                .where(
                    o.shop_id == shop_id, o.order_no.in_(numbers[start : start + CHUNK]), o.status == "paid"
                )
                .values(status="shipped", updated_at=at)
                .returning(o.order_no)
            )
            done.extend((shop_id, order_no) for order_no in result.scalars())
    return done


def mark_info_received(conn: Connection, tracking_nos: Sequence[str], at: datetime) -> None:
    """The parcel waits for the carrier's first scan: `info_received` unless an event already said more."""
    s = parcel_state.c
    for start in range(0, len(tracking_nos), CHUNK):
        conn.execute(
            update(parcel_state)
            .where(s.tracking_no.in_(tracking_nos[start : start + CHUNK]), s.status.is_(None))
            .values(status="info_received", status_at=at, updated_at=at)
        )


def measured_lanes(
    conn: Connection, now: datetime, days: int = 60, shop_ids: Sequence[int] | None = None
) -> list[LanePerformance]:
    """The scorecard: every carrier × destination shipped in the last `days` (of `shop_ids` only if given)."""
    return measure_lanes(lane_history(conn, now - timedelta(days=days), shop_ids), now)


def lane_table(lanes: Sequence[LanePerformance]) -> Lanes:
    return {(lane.carrier, lane.destination): lane for lane in lanes}
