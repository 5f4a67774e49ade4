"""Claims pool numbers in a separate process, for the pool's concurrency test.

    python tests/ship_claim.py URL CARRIER WORKER BATCHES PER_BATCH

Each batch is its own transaction claiming PER_BATCH numbers for fresh holders "<worker>-<n>"; prints the
(holder, number) pairs as JSON lines.
"""

from __future__ import annotations

import json
import sys

from lanshou.db.engine import make_engine, run_transaction
from lanshou.shipping.pool_store import DbNumberPool


def main() -> None:
    url, carrier, worker, batches, per_batch = sys.argv[1:6]
    engine = make_engine(url)
    for batch in range(int(batches)):
        holders = [f"{worker}-{batch}-{i}" for i in range(int(per_batch))]
        given = run_transaction(engine, lambda conn, h=holders: DbNumberPool(conn).claim(carrier, h))
        for holder, number in given.items():
            print(json.dumps([holder, number]), flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
