"""The at-risk queue (METRICS.md): every paid, open order with no carrier scan yet, most urgent first.

Staff work from this all day, so it is evaluated at `now` (not at a report's D 00:00): scans after `now`
cannot exist yet, and a scan up to `now` takes the order off the queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from lanshou.metrics.facts import OrderFact
from lanshou.metrics.packs import RulePack, pack_for
from lanshou.metrics.rules import (
    CLOSED,
    is_stalled,
    order_pickup,
    parcel_pickup,
    pickup_deadline,
    promised_ship_time,
)
from lanshou.shops.model import ShopInfo


@dataclass(frozen=True)
class QueueEntry:
    platform: str
    shop: str
    order_no: str
    paid_at: datetime  # naive UTC
    pickup_deadline: datetime | None  # M1: pay + L; None for presale (not in M1)
    promised_ship_by: datetime | None  # M5: the platform's promise, else pay + default promise
    hours_to_pickup_deadline: float | None  # negative when overdue
    hours_to_promise: float | None
    hours_left: float  # to the earliest of the two: what the queue sorts by
    deadline_kind: str  # "pay_to_pickup" or "late_shipment": which deadline hours_left refers to
    at_risk: bool  # not yet overdue, but due within the horizon
    overdue: bool
    has_waybill: bool  # a tracking number exists (a scan is what is missing)
    carrier: str
    skus: tuple[str, ...]
    warehouse: str


def _hours_between(later: datetime | None, now: datetime) -> float | None:
    return None if later is None else (later - now).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class Waiting:
    """What a queue entry shows of an order waiting for its pickup, however it was found (from its facts, or
    from the row the rollup upkeep keeps: lanshou.metrics.queue_store)."""

    platform: str
    shop: str
    order_no: str
    paid_at: datetime
    pickup_deadline: datetime | None
    promised_ship_by: datetime | None
    has_waybill: bool
    carrier: str
    skus: tuple[str, ...]
    warehouse: str


def queue_entry(
    order: OrderFact, pack: RulePack, now: datetime, within_hours: float = 4.0
) -> QueueEntry | None:
    """The order's place in the queue, or None when it needs no pickup (unpaid, closed, already scanned)."""
    paid = order.paid_at
    if paid is None or paid > now or order.status in CLOSED or order_pickup(order, now) is not None:
        return None
    waiting = Waiting(
        platform=order.platform,
        shop=order.shop,
        order_no=order.order_no,
        paid_at=paid,
        pickup_deadline=pickup_deadline(order, pack),
        promised_ship_by=promised_ship_time(order, pack),
        has_waybill=bool(order.parcels),
        carrier=next((p.carrier for p in order.parcels), ""),
        skus=order.skus,
        warehouse=order.warehouse,
    )
    return waiting_entry(waiting, now, within_hours)


def waiting_entry(waiting: Waiting, now: datetime, within_hours: float) -> QueueEntry:
    """The queue entry of an order not picked up by `now`: the earliest of its two deadlines counts."""
    deadline, promised = waiting.pickup_deadline, waiting.promised_ship_by
    to_deadline, to_promise = _hours_between(deadline, now), _hours_between(promised, now)
    candidates = [
        (h, k) for h, k in ((to_deadline, "pay_to_pickup"), (to_promise, "late_shipment")) if h is not None
    ]
    hours_left, kind = min(candidates)
    return QueueEntry(
        platform=waiting.platform,
        shop=waiting.shop,
        order_no=waiting.order_no,
        paid_at=waiting.paid_at,
        pickup_deadline=deadline,
        promised_ship_by=promised,
        hours_to_pickup_deadline=to_deadline,
        hours_to_promise=to_promise,
        hours_left=hours_left,
        deadline_kind=kind,
        at_risk=0 <= hours_left <= within_hours,
        overdue=hours_left < 0,
        has_waybill=waiting.has_waybill,
        carrier=waiting.carrier,
        skus=waiting.skus,
        warehouse=waiting.warehouse,
    )


def queue_order(entry: QueueEntry) -> tuple[float, datetime, str]:
    """The queue's order: smallest time left first (overdue ones lead), then the earliest paid."""
    return (entry.hours_left, entry.paid_at, entry.order_no)


def at_risk_queue(
    orders: Iterable[OrderFact], shops: Sequence[ShopInfo], now: datetime, within_hours: float = 4.0
) -> list[QueueEntry]:
    """Open orders of the given shops not yet picked up, smallest time left first (overdue ones lead).
    Orders of shops not listed are ignored, as in compute_report."""
    packs = {(s.platform, s.shop): pack_for(s) for s in shops}
    entries = []
    for order in orders:
        pack = packs.get((order.platform, order.shop))
        entry = None if pack is None else queue_entry(order, pack, now, within_hours)
        if entry is not None:
            entries.append(entry)
    return sorted(entries, key=queue_order)


@dataclass(frozen=True)
class StalledParcel:
    """轨迹停滞 alert: picked up, not delivered, no event for more than the pack's G hours."""

    platform: str
    shop: str
    order_no: str
    tracking_no: str
    carrier: str
    last_event: datetime  # naive UTC
    hours_silent: float


def stalled_parcels(
    orders: Iterable[OrderFact], shops: Sequence[ShopInfo], now: datetime
) -> list[StalledParcel]:
    """Every parcel stalled at `now`, longest silence first."""
    packs = {(s.platform, s.shop): pack_for(s) for s in shops}
    found = []
    seen: set[tuple[str, str, str]] = set()  # a parcel carrying several orders is listed once
    for order in orders:
        pack = packs.get((order.platform, order.shop))
        for parcel in order.parcels if pack is not None else ():
            pickup = parcel_pickup(parcel, now)
            key = (order.platform, order.shop, parcel.tracking_no)
            if pack is None or pickup is None or key in seen or not is_stalled(parcel, pack, now):
                continue
            seen.add(key)
            last = max(e.time for e in parcel.events if pickup <= e.time <= now)
            silent = (now - last).total_seconds() / 3600
            found.append(
                StalledParcel(
                    order.platform,
                    order.shop,
                    order.order_no,
                    parcel.tracking_no,
                    parcel.carrier,
                    last,
                    silent,
                )
            )
    return sorted(found, key=lambda p: (-p.hours_silent, p.order_no, p.tracking_no))
