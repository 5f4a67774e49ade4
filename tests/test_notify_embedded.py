"""Embedded mode: `lanshou run --work` is the whole system in one process. An event's nudge goes into the
default queue (an SQLite file in the data dir), the command's in-process consumer sends the message
through a REAL local SMTP server, and SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from lanshou.db.engine import open_database
from lanshou.events import OrderShipped, bus
from lanshou.jobs import queue_from_url
from lanshou.notifications.tables import notify_outbox
from tests.notify_data import configure_shop, import_orders_file, order_line, rule, smtp_server
from tests.test_jobs_workers import wait_for


def test_run_work_sends_what_an_event_queued(cli_env: Path, tmp_path: Path) -> None:
    engine = open_database()  # the default database in the private data dir
    shop = import_orders_file(engine, tmp_path, [order_line("R1", "ZTR1", "run@example.com")])
    lanshou = shutil.which("lanshou", path=str(Path(sys.executable).parent))
    assert lanshou is not None
    with smtp_server() as (box, port):
        configure_shop(engine, shop, datetime(2026, 11, 1), smtp_port=port)
        rule(engine, shop, "shipped", "order_shipped", "email")
        with engine.begin() as conn:
            bus.publish(conn, OrderShipped((shop, "R1"), "ZTR1", "zto"))
        bus.settle(engine)  # the nudge: notifications.send_due into <data dir>/queue.db
        assert queue_from_url(None).pending_count() == 1
        process = subprocess.Popen(
            [lanshou, "run", "--work"], env=dict(os.environ), stdout=subprocess.DEVNULL
        )
        try:
            wait_for(lambda: len(box.messages) == 1, 60, "the in-process consumer to send")
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)
    assert code == 0
    assert str(box.messages[0]["To"]) == "run@example.com"
    with engine.connect() as conn:
        assert conn.execute(select(notify_outbox.c.state)).scalar_one() == "sent"
    engine.dispose()
