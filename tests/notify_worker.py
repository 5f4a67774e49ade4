"""Processes for the notification concurrency test (LANSHOU_DATABASE_URL, LANSHOU_QUEUE_URL and
LANSHOU_QUEUE_NAME pick the database and the queue):

python -m tests.notify_worker work <marker dir>          a huey consumer, two threads, every area's jobs
python -m tests.notify_worker publish <shop id> <parcels> <rounds>
    delivers OrderShipped and ParcelStatusChanged(delivered) for every parcel, `rounds` times over
    (at-least-once delivery), each in its own transaction, settling after each (a send job per nudge);
    even rounds record the tracking event (the change is queued in the transaction), odd ones replay the
    bare change (queued by the after-handler)
"""

from __future__ import annotations

import os
import sys
import threading
from datetime import datetime
from pathlib import Path

from lanshou import bootstrap
from lanshou.db.engine import open_database, write_transaction
from lanshou.events import OrderShipped, ParcelStatusChanged, bus
from lanshou.jobs import open_queue, run_worker
from lanshou.tracking.record import record_events


def order_no(i: int) -> str:
    return f"P{i:03d}"


def tracking_no(i: int) -> str:
    return f"ZTP{i:03d}"


WHEN = datetime(2026, 11, 3, 9, 0)


def delivered_event(i: int) -> dict[str, object]:
    return {
        "tracking_no": tracking_no(i),
        "carrier": "zto",
        "event_time": WHEN,
        "status": "delivered",
        "raw_status": "delivered",
        "location": "",
        "description": "已签收",
    }


def work(marker_dir: str) -> None:
    queue = open_queue()

    @queue.huey.on_startup()
    def ready() -> None:  # each worker thread, as it starts consuming
        Path(marker_dir, f"{os.getpid()}-{threading.get_ident()}").touch()

    run_worker(2, queue=queue, periodic=False)


def publish(shop_id: int, parcels: int, rounds: int) -> None:
    bootstrap.start()
    engine = open_database()
    for round_no in range(rounds):
        for i in range(parcels):
            with write_transaction(engine) as conn:
                bus.publish(conn, OrderShipped((shop_id, order_no(i)), tracking_no(i), "zto"))
                if round_no % 2 == 0:  # the real write path: the change (once), then ParcelEventsArrived
                    record_events(conn, [delivered_event(i)])
                else:  # a bare replay of the change: the after-handler queues it
                    change = ParcelStatusChanged(tracking_no(i), "zto", "delivered", "in_transit", WHEN)
                    bus.publish(conn, change)
            bus.settle(engine)
    engine.dispose()


if __name__ == "__main__":
    if sys.argv[1] == "work":
        work(sys.argv[2])
    else:
        publish(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
