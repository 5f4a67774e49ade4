"""The demo's operational half: stock, a carrier configuration, waybill pools, then review, so that review,
the stock list and `lanshou ship` have work the moment the demo is written.

Each goes through its area's own use case, as the commands do: a stock count (`inventory.counts`, as
`lanshou stock import`), the example carrier file (`shipping.store.load_config_file`, as `lanshou carriers
load`), numbers in the pool (`shipping.pool_store.DbNumberPool`, as `lanshou waybills import`) and the
review of the open paid orders (`review.run.review_orders`, as `lanshou review run`). Seeded like the rest:
the same orders and seed give the same stock and the same numbers.

Stock follows what the open paid orders need: most SKUs have plenty, a few sit at or below their safety
level (the low-stock warning) and the SKUs most in demand are short (orders held for stock, 缺货).
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, func, select

from lanshou import schema as s
from lanshou.db.engine import write_transaction
from lanshou.demo.catalog import POOL_FORM, SHOPS
from lanshou.demo.generator import DemoConfig
from lanshou.demo.writer import demo_shop_ids, other_shops
from lanshou.inventory.counts import Count, apply_counts
from lanshou.inventory.mapping import load_map
from lanshou.review.run import review_orders
from lanshou.shipping.config import EXAMPLE_CONFIG
from lanshou.shipping.pool_store import DbNumberPool
from lanshou.shipping.store import config_in_force, load_config_file
from lanshou.tracking.record import utc_now

DEMO = "demo"  # the actor of the stock ledger rows and of the review's timeline entries
LOW_SKUS = 3  # SKUs left at or below their safety level
SHORT_SKUS = 2  # the SKUs most in demand get a fifth of what the open orders need
SAFETY_LEVELS = (5, 10, 20)


@dataclass(frozen=True, slots=True)
class Seeded:
    skus: int  # stock rows written, one per catalog SKU
    low: tuple[str, ...]  # SKUs stocked at or below their safety level
    short: tuple[str, ...]  # SKUs stocked below what the open orders need
    carriers: tuple[str, ...]  # carriers configured with a pool; () when the database had its own
    numbers: int  # pool numbers per carrier
    accepted: int
    held: int
    seconds: float


def seed_fulfilment(engine: Engine, config: DemoConfig, now: datetime | None = None) -> Seeded:
    """Stock, carriers and waybill pools for the demo shops, then their open paid orders reviewed."""
    started, now = time.perf_counter(), now or utc_now()
    with engine.connect() as conn:
        shop_ids = demo_shop_ids(conn)
        demand, open_orders = open_demand(conn, shop_ids)
    counts, low, short = stock_counts(demand, config.seed)
    with write_transaction(engine) as conn:
        # no StockArrived: nothing is held yet, and the review below reserves against this stock
        apply_counts(conn, counts, now, DEMO)
    carriers, numbers = _shipping(engine, config.seed, open_orders)
    report = review_orders(engine, shop_ids=shop_ids, now=now, actor=DEMO)
    seconds = time.perf_counter() - started
    return Seeded(len(counts), low, short, carriers, numbers, report.accepted, report.held, seconds)


def open_demand(conn: Connection, shop_ids: Sequence[int]) -> tuple[dict[str, int], int]:
    """Units of each stock SKU the shops' paid, unshipped orders need (SKU mappings applied, as review
    reserves them), and how many such orders there are."""
    o, line = s.orders.c, s.order_lines.c
    paid = and_(o.status == "paid", o.shop_id.in_(list(shop_ids)))
    units = (
        select(o.shop_id, line.sku, func.sum(line.quantity))
        .join(s.order_lines, and_(line.shop_id == o.shop_id, line.order_no == o.order_no))
        .where(paid)
        .group_by(o.shop_id, line.sku)
    )
    skus = load_map(conn)
    demand: dict[str, int] = defaultdict(int)
    for shop_id, sku, quantity in conn.execute(units):
        for stock_sku, need in skus.needs(shop_id, [(sku, int(quantity))]):
            demand[stock_sku] += need
    orders = conn.execute(select(func.count()).select_from(s.orders).where(paid)).scalar_one()
    return dict(demand), int(orders)


def stock_counts(
    demand: Mapping[str, int], seed: int
) -> tuple[list[Count], tuple[str, ...], tuple[str, ...]]:
    """A count for every catalog SKU in its shop's warehouse, with the SKUs made low and short."""
    rng = random.Random(f"{seed}/stock")
    shelved = [
        (shop.warehouse, product.sku, _bin(aisle, slot))
        for aisle, shop in enumerate(SHOPS)
        for slot, product in enumerate(shop.products)
    ]
    # the most wanted are short, so orders held for stock show (sorted is stable: catalog order on ties)
    wanted = sorted((sku for _, sku, _ in shelved), key=lambda sku: -demand.get(sku, 0))
    short = tuple(wanted[:SHORT_SKUS])
    low = tuple(rng.sample([sku for sku in wanted if sku not in short], LOW_SKUS))
    counts = []
    for line, (warehouse, sku, location) in enumerate(shelved, start=1):
        need, safety = demand.get(sku, 0), rng.choice(SAFETY_LEVELS)
        if sku in short:
            on_hand = need // 5
        elif sku in low:  # every open order served, then at or below the level
            on_hand = need + rng.randint(0, 3)
            safety = on_hand + rng.randint(1, 5)
        else:
            on_hand = need + safety + rng.randint(10, 60)
        counts.append(Count(line, sku, warehouse, on_hand, safety, location))
    return counts, low, short


def _bin(aisle: int, slot: int) -> str:
    """A shelf location for the pick list: an aisle per shop (two shops share the Shenzhen warehouse)."""
    return f"{chr(ord('A') + aisle)}-{slot // 5 + 1:02d}-{slot % 5 + 1:02d}"


def _shipping(engine: Engine, seed: int, open_orders: int) -> tuple[tuple[str, ...], int]:
    """The example carrier file and a pool for each of its carriers; nothing when the database has a
    configuration already or shops of its own (`lanshou demo` into a merchant's database: theirs stays, and
    no invented number, claimed oldest first, would ever go on a real parcel)."""
    with engine.connect() as conn:
        if config_in_force(conn) is not None or other_shops(conn):
            return (), 0
    carriers = load_config_file(engine, EXAMPLE_CONFIG).plan.carrier_codes()
    # bought in hundreds; enough for every open order to go by any one carrier
    size = -(-open_orders // 100) * 100 + 100
    rng = random.Random(f"{seed}/waybills")
    with write_transaction(engine) as conn:
        pool = DbNumberPool(conn, source=DEMO)
        for carrier in carriers:
            pool.add(carrier, waybill_numbers(carrier, size, rng))
    return carriers, size


def waybill_numbers(carrier: str, count: int, rng: random.Random) -> list[str]:
    """`count` consecutive numbers of the carrier's form (a range bought from its outlet, 号段)."""
    prefix, digits = POOL_FORM[carrier]
    first = rng.randrange(10 ** (digits - 1), 10**digits - count)
    return [f"{prefix}{first + i}" for i in range(count)]
