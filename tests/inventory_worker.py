"""One of several processes reserving orders for the same hot SKUs (tests/test_inventory_concurrency.py).

    python tests/inventory_worker.py URL WORKER ORDERS BATCH

Reserves ORDERS orders of shop 1 in transactions of BATCH orders, then releases every fifth order it
reserved and deducts (ships) every seventh; prints how many it reserved.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime
from functools import partial

from lanshou.db.engine import make_engine, run_transaction
from lanshou.inventory.reserve import deduct_orders, release_orders, reserve_orders

HOT = ("HOT-1", "HOT-2", "HOT-3", "HOT-4")


def main() -> None:
    url, worker, count, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    engine = make_engine(url)
    rng = random.Random(worker)
    orders = []
    for i in range(count):
        skus = rng.sample(HOT, rng.randint(1, 3))
        orders.append(((1, f"W{worker}-{i}"), tuple(sorted((sku, rng.randint(1, 3)) for sku in skus))))
    reserved = []
    now = datetime.now(UTC).replace(tzinfo=None)
    for start in range(0, count, batch):
        chunk = orders[start : start + batch]
        done = run_transaction(engine, partial(reserve_orders, orders=chunk, now=now))
        reserved += [key for key, result in done.items() if result.ok]
    run_transaction(engine, lambda conn: release_orders(conn, reserved[::5], now))
    run_transaction(engine, lambda conn: deduct_orders(conn, reserved[1::7], now))
    print(len(reserved))


if __name__ == "__main__":
    main()
