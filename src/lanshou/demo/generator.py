"""Seeded, streaming demo data: orders with lines, parcels, tracking events, feedback and timeline entries.

`demo_orders(config)` yields one `DemoOrder` at a time in time order, drawing everything from one
`random.Random(seed)`, so the same config always gives the same data and memory stays flat whatever the
order count (only one day's order times are held at once). Now and then an order is its predecessor's
buyer ordering again before that parcel left, and rides in it (合并发货: one tracking number on two
orders); a few orders of several products ship in two parcels (拆单). `table_batches` turns them into row
dicts per table, in batches, for the writer (lanshou.demo.writer) or anything else (the import benchmark).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.demo import catalog as c
from lanshou.demo.catalog import DemoShop, Product
from lanshou.demo.journey import Place, raw_status
from lanshou.demo.lifecycle import Fate, OrderSeed, plan_companion, plan_order
from lanshou.demo.people import Buyer, buyer
from lanshou.platforms.values import zone

# Orders per local hour: quiet at night, peaks at 10–11 h and 20–22 h.
HOUR_WEIGHTS = (1.2, 0.6, 0.3, 0.2, 0.15, 0.2, 0.5, 1.2, 2.5, 4.0, 6.0, 6.0,
                4.5, 4.0, 4.5, 4.5, 4.5, 4.0, 4.0, 5.0, 7.0, 7.5, 6.5, 3.0)  # fmt: skip
HOUR_CUM = tuple(accumulate(HOUR_WEIGHTS))
WEEKDAY_WEIGHTS = (0.95, 0.95, 1.0, 1.0, 1.05, 1.3, 1.25)  # Monday … Sunday: weekends are busier
PROMO_DAYS = {(11, 11): 3.5, (11, 10): 1.5, (12, 12): 2.0, (6, 18): 2.5}
MERGE_SHARE = 0.04  # chance that an order is its predecessor's buyer again, packed into the same parcel
TABLES = (
    "buyers",
    "orders",
    "order_lines",
    "parcels",
    "parcel_orders",
    "tracking_events",
    "feedback",
    "order_events",
)


def default_end() -> date:
    """Yesterday in China: platforms publish at T+1."""
    return (datetime.now(zone(DEFAULT_TIMEZONE)) - timedelta(days=1)).date()


@dataclass(frozen=True, slots=True)
class DemoConfig:
    orders: int = 20_000
    days: int = 90
    seed: int = 7
    end: date = field(default_factory=default_end)  # last day with orders (local); nothing happens after it
    mean_lines: float = 1.6
    batch_orders: int = 1_000

    def __post_init__(self) -> None:
        if self.orders < 0 or self.days < 1:
            raise ValueError("orders must be >= 0 and days >= 1")
        if self.mean_lines < 1:
            raise ValueError("mean_lines must be >= 1")

    @property
    def first_day(self) -> date:
        return self.end - timedelta(days=self.days - 1)

    def end_of_period(self, timezone: str = DEFAULT_TIMEZONE) -> datetime:
        """Naive UTC instant the period ends at: the end date's midnight in the shop's timezone."""
        return to_utc(datetime.combine(self.end + timedelta(days=1), datetime.min.time()), timezone)


@dataclass(slots=True)
class DemoOrder:
    shop_index: int
    shop: DemoShop
    order_no: str
    created: datetime  # naive local time of the shop
    buyer: Buyer
    message: str
    lines: list[tuple[Product, int]]
    fate: Fate

    @property
    def amount(self) -> Decimal:
        return sum((p.price * q for p, q in self.lines), Decimal("0.00"))


def to_utc(local: datetime, timezone: str) -> datetime:
    offset = zone(timezone).utcoffset(local)
    return local - offset if offset is not None else local


def _day_counts(config: DemoConfig) -> Iterator[tuple[date, int]]:
    weights = []
    for i in range(config.days):
        day = config.first_day + timedelta(days=i)
        trend = 1.0 + 0.3 * i / max(config.days - 1, 1)
        weights.append(WEEKDAY_WEIGHTS[day.weekday()] * PROMO_DAYS.get((day.month, day.day), 1.0) * trend)
    total, done, cum = sum(weights), 0, 0.0
    for i, w in enumerate(weights):
        cum += w
        target = round(config.orders * cum / total)
        yield config.first_day + timedelta(days=i), target - done
        done = target


def _order_no(platform: str, seq: int, day: date, rng: random.Random) -> str:
    ymd = day.strftime("%y%m%d")
    if platform in ("taobao", "tmall"):
        return f"{rng.randint(1, 4)}{ymd}{seq:09d}{rng.randint(100, 999)}"
    if platform == "douyin":
        return f"69{seq:011d}{rng.randint(100000, 999999)}"
    if platform == "pdd":
        return f"{ymd}-{seq:09d}{rng.randint(100000, 999999)}"
    if platform == "jd":
        return f"3{seq:09d}{rng.randint(10, 99)}"
    return f"8{seq:09d}{rng.randint(100000, 999999)}"


def _lines(rng: random.Random, shop: DemoShop, mean_lines: float) -> list[tuple[Product, int]]:
    more = (mean_lines - 1) / mean_lines
    count = 1
    while count < len(shop.products) and rng.random() < more:
        count += 1
    products = rng.sample(shop.products, count)
    return [(p, rng.choices((1, 2, 3, 4), weights=(75, 18, 5, 2))[0]) for p in products]


class _World:
    """The per-run state: shop weights, buyer pools, the running order sequence."""

    def __init__(self, config: DemoConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.shop_cum = tuple(accumulate(s.weight for s in c.SHOPS))
        self.pools = {s.platform: max(200, int(config.orders * s.weight * 0.75)) for s in c.SHOPS}
        self.now = {s.timezone: _local_end(config, s.timezone) for s in c.SHOPS}
        self.seq = 0

    def order(self, day: date, seconds: float) -> DemoOrder:
        rng = self.rng
        index = rng.choices(range(len(c.SHOPS)), cum_weights=self.shop_cum)[0]
        shop = c.SHOPS[index]
        self.seq += 1
        created = datetime.combine(day, datetime.min.time()) + timedelta(seconds=int(seconds))
        person = buyer(self.config.seed, shop.platform, rng.randrange(self.pools[shop.platform]), shop.abroad)
        lines = _lines(rng, shop, self.config.mean_lines)
        seed = OrderSeed(
            shop=shop,
            created=created,
            products=[p for p, _ in lines],
            dest=Place(person.province, person.city, person.district),
            parcel_seq=self.seq,
            now=self.now[shop.timezone],
        )
        return DemoOrder(
            shop_index=index,
            shop=shop,
            order_no=_order_no(shop.platform, self.seq, day, rng),
            created=created,
            buyer=person,
            message=rng.choice(c.BUYER_MESSAGES),
            lines=lines,
            fate=plan_order(rng, seed),
        )

    def companion(self, first: DemoOrder, day: date, seconds: float) -> DemoOrder | None:
        """The first order's buyer orders again in the same shop; None when it cannot share the parcel."""
        rng, shop = self.rng, first.shop
        created = datetime.combine(day, datetime.min.time()) + timedelta(seconds=int(seconds))
        lines = _lines(rng, shop, self.config.mean_lines)
        person = first.buyer
        seed = OrderSeed(
            shop=shop,
            created=created,
            products=[p for p, _ in lines],
            dest=Place(person.province, person.city, person.district),
            parcel_seq=self.seq + 1,
            now=self.now[shop.timezone],
        )
        fate = plan_companion(rng, seed, first.fate)
        if fate is None:
            return None
        self.seq += 1
        order_no = _order_no(shop.platform, self.seq, day, rng)
        message = rng.choice(c.BUYER_MESSAGES)
        return DemoOrder(first.shop_index, shop, order_no, created, person, message, lines, fate)


def _local_end(config: DemoConfig, timezone: str) -> datetime:
    return datetime.combine(config.end + timedelta(days=1), datetime.min.time())


def demo_orders(config: DemoConfig) -> Iterator[DemoOrder]:
    world = _World(config)
    for day, count in _day_counts(config):
        hours = world.rng.choices(range(24), cum_weights=HOUR_CUM, k=count)
        times = sorted(h * 3600 + world.rng.random() * 3600 for h in hours)
        previous: DemoOrder | None = None
        for seconds in times:
            order = None
            if previous is not None and world.rng.random() < MERGE_SHARE:
                order = world.companion(previous, day, seconds)
            order = order or world.order(day, seconds)
            yield order
            previous = order


# ---------------------------------------------------------------------------------------------------------
# Rows per table (naive UTC), for the database writer


@dataclass(slots=True)
class Batch:
    orders: int = 0
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {t: [] for t in TABLES})

    @property
    def row_count(self) -> int:
        return sum(len(r) for r in self.rows.values())


def table_batches(config: DemoConfig, shop_ids: Sequence[int]) -> Iterator[Batch]:
    """Batches of about `config.batch_orders` orders as row dicts; `shop_ids[i]` is the id of SHOPS[i]."""
    batch = Batch()
    seen_buyers: set[tuple[str, str]] = set()
    previous: set[str] = set()  # the tracking numbers of the order before: a merged parcel is written once
    for order in demo_orders(config):
        previous = add_order(batch, order, shop_ids[order.shop_index], seen_buyers, previous)
        if batch.orders >= config.batch_orders:
            yield batch
            batch, seen_buyers = Batch(), set()
    if batch.orders:
        yield batch


def add_order(
    batch: Batch, o: DemoOrder, shop_id: int, seen_buyers: set[tuple[str, str]], written: set[str]
) -> set[str]:
    """Add the order's rows; parcels in `written` (and their events) are linked only. Returns the order's
    tracking numbers."""
    tz, f, rows = o.shop.timezone, o.fate, batch.rows
    batch.orders += 1
    key = (o.shop.platform, o.buyer.key)
    if key not in seen_buyers:
        seen_buyers.add(key)
        rows["buyers"].append(_buyer_row(o))
    rows["orders"].append(_order_row(o, shop_id))
    for product, qty in o.lines:
        rows["order_lines"].append(
            {"shop_id": shop_id, "order_no": o.order_no, "line_key": product.sku, "sku": product.sku,
             "title": product.title, "category": product.category, "quantity": qty,
             "unit_price": product.price}
        )  # fmt: skip
    for p in f.parcels:
        rows["parcel_orders"].append(
            {"tracking_no": p.tracking_no, "shop_id": shop_id, "order_no": o.order_no}
        )
        if p.tracking_no in written:
            continue
        rows["parcels"].append(
            {"shop_id": shop_id, "tracking_no": p.tracking_no, "carrier": p.carrier,
             "shipped_at": to_utc(p.waybill, tz)}
        )  # fmt: skip
        for e in p.journey.events:
            rows["tracking_events"].append(
                {"tracking_no": p.tracking_no, "carrier": p.carrier, "event_time": to_utc(e.time, tz),
                 "status": e.status.value, "raw_status": raw_status(p.carrier, e.status),
                 "location": e.location, "description": e.description}
            )  # fmt: skip
    for at, rating, tags, content in f.feedback:
        rows["feedback"].append(
            {"shop_id": shop_id, "order_no": o.order_no, "created_at": to_utc(at, tz), "rating": rating,
             "tags": tags, "content": content}
        )  # fmt: skip
    for at, kind, detail in f.timeline:
        rows["order_events"].append(
            {"shop_id": shop_id, "order_no": o.order_no, "at": to_utc(at.replace(microsecond=0), tz),
             "kind": kind, "detail": detail}
        )  # fmt: skip
    return {p.tracking_no for p in f.parcels}


def _buyer_row(o: DemoOrder) -> dict[str, Any]:
    b = o.buyer
    return {"platform": o.shop.platform, "buyer_key": b.key, "name": b.name, "phone": b.phone,
            "address": b.full_address(), "masked": False}  # fmt: skip


def last_change(o: DemoOrder) -> datetime:
    """The latest moment anything happened to the order (its `updated_at`), local time."""
    f = o.fate
    times = [o.created, f.paid_at, f.closed_at, *(p.waybill for p in f.parcels)]
    times += [p.journey.events[-1].time for p in f.parcels if p.journey.events]
    return max(t for t in times if t is not None)


def _order_row(o: DemoOrder, shop_id: int) -> dict[str, Any]:
    tz, f, b = o.shop.timezone, o.fate, o.buyer
    return {
        "shop_id": shop_id,
        "order_no": o.order_no,
        "status": f.status,
        "created_at": to_utc(o.created, tz),
        "paid_at": to_utc(f.paid_at, tz) if f.paid_at else None,
        "is_presale": f.presale,
        "promised_ship_by": to_utc(f.promised, tz) if f.promised else None,
        "buyer_key": b.key,
        "receiver_name": b.name,
        "receiver_phone": b.phone,
        "province": b.province,
        "city": b.city,
        "district": b.district,
        "address": b.address,
        "buyer_message": o.message,
        "order_amount": o.amount,
        "buyer_data_masked": False,
        "updated_at": to_utc(last_change(o), tz),
    }
