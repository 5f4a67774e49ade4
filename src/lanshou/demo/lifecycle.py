"""What happens to one demo order after it is placed: payment, holds, waybill, pickup, the parcel's journey,
cancellation or refund, feedback. Shop-local naive times; pure (random generator in, plan out).
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lanshou.demo import catalog as c
from lanshou.demo.catalog import DemoShop, Product
from lanshou.demo.feedback import feedback_for
from lanshou.demo.journey import Journey, Place, journey

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
UNPAID_CLOSE = {"taobao": DAY, "tmall": DAY, "jd": DAY}  # others close unpaid orders after 30 minutes


@dataclass(slots=True)
class ParcelPlan:
    carrier: str
    tracking_no: str
    waybill: datetime
    pickup: datetime | None
    journey: Journey


@dataclass(slots=True)
class Fate:
    status: str = "paid"
    paid_at: datetime | None = None
    presale: bool = False
    promised: datetime | None = None
    closed_at: datetime | None = None  # cancelled / refunded
    timeline: list[tuple[datetime, str, str]] = field(default_factory=list)
    parcels: list[ParcelPlan] = field(default_factory=list)
    feedback: list[tuple[datetime, int | None, str, str]] = field(default_factory=list)
    late_pickup: bool = False


@dataclass(frozen=True, slots=True)
class OrderSeed:
    shop: DemoShop
    created: datetime
    products: list[Product]
    dest: Place
    parcel_seq: int  # unique per order: tracking numbers are built from it
    now: datetime  # the end of the demo period: nothing may happen later


def day_start(t: datetime) -> datetime:
    return datetime(t.year, t.month, t.day)


def _pay(rng: random.Random, o: OrderSeed, fate: Fate) -> bool:
    if rng.random() < 0.06:
        close = o.created + UNPAID_CLOSE.get(o.shop.platform, timedelta(minutes=30))
        fate.status, fate.closed_at = ("cancelled", close) if close <= o.now else ("pending_payment", None)
        return False
    roll = rng.random()
    seconds = (
        rng.uniform(10, 120)
        if roll < 0.8
        else rng.uniform(120, 1800)
        if roll < 0.95
        else rng.uniform(1800, 6 * 3600)
    )
    paid = (o.created + timedelta(seconds=seconds)).replace(microsecond=0)
    if paid > o.now:
        fate.status = "pending_payment"
        return False
    fate.paid_at = paid
    return True


def _promise(rng: random.Random, o: OrderSeed, fate: Fate, paid: datetime) -> None:
    if rng.random() < o.shop.presale_share:
        fate.presale = True
        fate.promised = day_start(paid) + timedelta(days=rng.randint(7, 15), hours=23, minutes=59, seconds=59)
    elif o.shop.promise_hours is not None:
        fate.promised = paid + timedelta(hours=o.shop.promise_hours)


def _ready_time(rng: random.Random, o: OrderSeed, fate: Fate, paid: datetime) -> datetime | None:
    """When the goods are packed; None when the order will never ship (cancelled, refunded, forgotten)."""
    ready = paid + timedelta(minutes=rng.uniform(5, 60))
    if fate.presale and fate.promised is not None:
        ready = fate.promised - timedelta(hours=rng.uniform(4, 72))
        if rng.random() < 0.08:
            ready = fate.promised + timedelta(hours=rng.uniform(6, 48))
    if rng.random() < 0.015:
        reason = rng.choice(c.HOLD_REASONS)
        fate.timeline.append((paid + timedelta(minutes=rng.uniform(1, 20)), "held_for_review", reason))
        ready += timedelta(hours=rng.uniform(4, 30))
    if rng.random() < 0.02:
        sku = rng.choice(o.products).sku
        at = paid + timedelta(minutes=rng.uniform(10, 120))
        fate.timeline.append((at, "out_of_stock", c.OUT_OF_STOCK_REASON.format(sku=sku)))
        if rng.random() < 0.25:
            _close(fate, "refunded", at + timedelta(hours=rng.uniform(12, 72)), o.now)
            return None
        ready += timedelta(hours=rng.uniform(24, 96))
    if rng.random() < 0.025:
        cancel = paid + timedelta(minutes=rng.uniform(3, 600))
        if cancel < ready:
            _close(fate, "cancelled", cancel, o.now)
            return None
    if rng.random() < 0.003:
        return None  # forgotten: paid, never shipped
    return ready


def _close(fate: Fate, status: str, at: datetime, now: datetime) -> None:
    if at <= now:
        fate.status, fate.closed_at = status, at.replace(microsecond=0)


def waybill_time(rng: random.Random, shop: DemoShop, ready: datetime) -> datetime:
    """The merchant prints the waybill (marks the order shipped) during working hours."""
    hour = ready.hour + ready.minute / 60
    if hour < 8.5:
        return day_start(ready) + timedelta(hours=rng.uniform(8.5, 11))
    if hour < shop.cutoff_hour or rng.random() < 0.3:
        return ready + timedelta(minutes=rng.uniform(5, 60))
    return day_start(ready) + DAY + timedelta(hours=rng.uniform(8.5, 11))


def pickup_time(rng: random.Random, shop: DemoShop, waybill: datetime) -> datetime:
    """The carrier's first scan: a midday round and the daily collection after the shop's cutoff; a waybill
    printed after the cutoff waits for the next day; slower at weekends; now and then the carrier is late."""
    day = day_start(waybill)
    if waybill.hour >= shop.cutoff_hour:
        day += DAY
    if day.weekday() == 5 and rng.random() < 0.15:
        day += DAY
    if day.weekday() == 6 and (not shop.sunday_pickup or rng.random() < 0.3):
        day += DAY
    if rng.random() < 0.03:
        day += DAY * rng.choice((1, 1, 2))  # the carrier came late
    midday = day + timedelta(hours=rng.uniform(12, 14))
    if midday > waybill + HOUR and rng.random() < 0.6:
        return midday
    return max(
        day + timedelta(hours=shop.cutoff_hour + rng.uniform(0.5, 2.0)), waybill + timedelta(minutes=20)
    )


def tracking_no(shop: DemoShop, carrier: str, seq: int) -> str:
    """Waybill numbers come from a range the carrier's outlet (网点) allotted to the shop: rising numbers."""
    outlet = zlib.crc32(f"{shop.name}/{carrier}".encode()) % 9000 + 1000
    return f"{c.TRACKING_PREFIX[carrier]}{outlet}{seq:010d}"


def _ship(rng: random.Random, o: OrderSeed, fate: Fate, ready: datetime, origin: Place) -> None:
    carrier = rng.choices([k for k, _ in o.shop.carriers], weights=[w for _, w in o.shop.carriers])[0]
    count = 2 if len(o.products) >= 2 and rng.random() < 0.05 else 1
    waybill = waybill_time(rng, o.shop, ready)
    for n in range(count):
        if n:
            waybill += timedelta(hours=rng.uniform(2, 40))
        pickup = None if rng.random() < 0.01 else pickup_time(rng, o.shop, waybill)
        trip = journey(rng, carrier, waybill, pickup, origin, o.dest, o.shop.abroad)
        fate.parcels.append(
            ParcelPlan(carrier, tracking_no(o.shop, carrier, o.parcel_seq * 4 + n), waybill, pickup, trip)
        )


def _final_status(rng: random.Random, o: OrderSeed, fate: Fate) -> None:
    """Status as of `now`; also drops the parcels, events and entries that lie after it."""
    fate.timeline = [e for e in fate.timeline if e[0] <= o.now]
    fate.parcels = [p for p in fate.parcels if p.waybill <= o.now]
    for p in fate.parcels:
        p.journey.events = [e for e in p.journey.events if e.time <= o.now]
    if fate.closed_at is not None or not fate.parcels:
        return
    fate.status = "shipped"
    first = fate.parcels[0].journey
    if first.failed_at is not None and first.failed_at <= o.now:
        fate.status, fate.closed_at = "refunded", first.failed_at + timedelta(hours=rng.uniform(1, 48))
        if fate.closed_at > o.now:
            fate.status, fate.closed_at = "shipped", None
        return
    delivered = first.delivered_at
    if delivered is None or delivered > o.now:
        return
    fate.status = "delivered"
    if rng.random() < 0.015 and delivered + 3 * DAY <= o.now:
        fate.status, fate.closed_at = "refunded", delivered + timedelta(hours=rng.uniform(4, 72))
    elif delivered + timedelta(days=rng.uniform(2, 10)) <= o.now:
        fate.status = "completed"


def plan_order(rng: random.Random, o: OrderSeed) -> Fate:
    fate = Fate()
    if not _pay(rng, o, fate) or fate.paid_at is None:
        return fate
    paid = fate.paid_at
    _promise(rng, o, fate, paid)
    ready = _ready_time(rng, o, fate, paid)
    if ready is not None:
        _ship(rng, o, fate, ready, Place(*o.shop.origin))
    _final_status(rng, o, fate)
    _late(o, fate, paid)
    fate.feedback = [f for f in feedback_for(rng, o, fate) if f[0] <= o.now]
    return fate


def plan_companion(rng: random.Random, o: OrderSeed, first: Fate) -> Fate | None:
    """A second order of the first one's buyer, paid before the first one's parcel was packed: it rides in
    that parcel (合并发货, the same tracking number on both). None when the first has no such parcel."""
    if first.presale or first.closed_at is not None or not first.parcels:
        return None
    parcel = first.parcels[0]
    paid = (o.created + timedelta(seconds=rng.uniform(10, 120))).replace(microsecond=0)
    if paid >= parcel.waybill or paid > o.now:
        return None
    fate = Fate(paid_at=paid, parcels=[parcel])
    if o.shop.promise_hours is not None:
        fate.promised = paid + timedelta(hours=o.shop.promise_hours)
    _final_status(rng, o, fate)
    _late(o, fate, paid)
    fate.feedback = [f for f in feedback_for(rng, o, fate) if f[0] <= o.now]
    return fate


def _late(o: OrderSeed, fate: Fate, paid: datetime) -> None:
    limit = fate.promised or paid + 2 * DAY
    first = min((p.pickup for p in fate.parcels if p.pickup is not None), default=None)
    fate.late_pickup = (first is None and limit <= o.now and bool(fate.parcels)) or (
        first is not None and first > limit
    )
