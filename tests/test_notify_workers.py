"""Exactly one message per stage per parcel with real processes: two huey worker processes (two threads
each) consuming the local Redis queue, two publisher processes delivering every event twice over (so each
message is asked for four times and about 300 send jobs race for 80 rows), a REAL local SMTP server; on
SQLite and PostgreSQL. Locally a missing Redis skips; under CI it fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from lanshou.jobs import queue_from_url
from lanshou.notifications.tables import notify_outbox
from lanshou.orders.tables import order_events
from tests.notify_data import configure_shop, import_orders_file, order_line, rule, smtp_server
from tests.notify_worker import order_no, tracking_no
from tests.test_jobs_workers import REDIS_URL, redis_url, wait_for

ROOT = Path(__file__).resolve().parent.parent
PARCELS = 40
STAGES = 2  # order_shipped and delivered


def states(engine: Engine) -> dict[str, int]:
    o = notify_outbox.c
    with engine.connect() as conn:
        return {
            r.state: r.n for r in conn.execute(select(o.state, func.count().label("n")).group_by(o.state))
        }


def test_two_workers_and_replayed_events_send_each_message_once(engine: Engine, tmp_path: Path) -> None:
    next(redis_url())  # skips (fails under CI) when Redis is not there
    rows = [order_line(order_no(i), tracking_no(i), f"p{i}@example.com") for i in range(PARCELS)]
    shop = import_orders_file(engine, tmp_path, rows)
    name = f"lanshou-notify-{uuid.uuid4().hex[:8]}"
    db_url = engine.url.render_as_string(hide_password=False)
    env = dict(
        os.environ, LANSHOU_DATABASE_URL=db_url, LANSHOU_QUEUE_URL=REDIS_URL, LANSHOU_QUEUE_NAME=name,
        PYTHONPATH=str(ROOT),
    )  # fmt: skip
    markers = tmp_path / "ready"
    markers.mkdir()
    queue = queue_from_url(REDIS_URL, name=name)
    with smtp_server() as (box, port):
        configure_shop(engine, shop, datetime(2026, 11, 1), smtp_port=port)
        rule(engine, shop, "shipped", "order_shipped", "email")
        rule(engine, shop, "delivered", "delivered", "email")
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.notify_worker", "work", str(markers)], cwd=ROOT, env=env
            )
            for _ in range(2)
        ]
        try:
            wait_for(lambda: len(list(markers.iterdir())) == 4, 60, "two processes × two worker threads")
            publishers = [
                subprocess.Popen(
                    [sys.executable, "-m", "tests.notify_worker", "publish", str(shop), str(PARCELS), "2"],
                    cwd=ROOT,
                    env=env,
                )
                for _ in range(2)
            ]
            assert [p.wait(timeout=180) for p in publishers] == [0, 0]
            wait_for(lambda: states(engine).get("sent", 0) >= PARCELS * STAGES, 120, "every message sent")
            time.sleep(1.0)  # a duplicate send would land in this window
        finally:
            for process in workers:
                process.send_signal(signal.SIGINT)  # graceful: finish the current job, then exit
            exit_codes = [process.wait(timeout=60) for process in workers]
            queue.storage.flush_all()
        keys = box.keys()
    assert exit_codes == [0, 0]
    assert states(engine) == {"sent": PARCELS * STAGES}
    assert len(keys) == PARCELS * STAGES and len(set(keys)) == PARCELS * STAGES  # once each
    assert {k.split(":")[-2] for k in keys} == {"order_shipped", "delivered"}
    with engine.connect() as conn:
        sent_entries = conn.execute(
            select(func.count()).where(order_events.c.kind == "notification_sent")
        ).scalar_one()
    assert sent_entries == PARCELS * STAGES
