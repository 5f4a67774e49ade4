"""Real `lanshou` processes side by side, on SQLite and on PostgreSQL: imports of overlapping files, tracking
and feedback imports, a rebuild and a loop of reports all at once must leave the rollups exactly what a
recompute from the raw rows gives, with every process exiting 0 and nothing counted twice. Another
process is killed (SIGKILL) in the middle of an import: the database stays whole, and the import run again
completes it.

The processes run tests/concurrency_cli.py: the real CLI with small batches, so they interleave many
transactions within seconds.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text

from lanshou import schema as s
from lanshou.metrics.compare import report_differences
from lanshou.metrics.packs import pack_for
from lanshou.metrics.report import metrics_report
from lanshou.metrics.rollups import refresh
from lanshou.shops.store import ShopDirectory
from tests.concurrency_data import OrderId, write_files

CLI = [sys.executable, str(Path(__file__).with_name("concurrency_cli.py"))]
AS_OF = ("2026-11-22", "2026-11-12")  # the whole generated month, and a day inside it
TIMEOUT = 240  # seconds any one process may take (a loaded shared machine), far above what they need


class Process:
    """One CLI process, its output in files (a pipe nobody reads could block it)."""

    def __init__(self, args: list[str], env: dict[str, str], folder: Path, name: str) -> None:
        self.args, self.name = args, name
        self.out, self.err = folder / f"{name}.out", folder / f"{name}.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.popen = subprocess.Popen(
                [*CLI, *args], env=env, cwd=folder, stdout=out, stderr=err, start_new_session=True
            )

    def wait(self) -> int:
        return self.popen.wait(timeout=TIMEOUT)

    def check(self) -> str:
        """Exit 0 and no stack trace; returns stdout."""
        code, err = self.wait(), self.err.read_text()
        assert code == 0 and "Traceback" not in err, f"{self.name} {self.args} exited {code}:\n{err[-3000:]}"
        return self.out.read_text()


class ReportLoop(threading.Thread):
    """`lanshou metrics --json` again and again until stopped: each run must succeed and print a report."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        super().__init__(daemon=True)
        self.env, self.folder = env, folder
        self.stop = threading.Event()
        self.runs = 0
        self.failures: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            name = f"report-{self.runs}"
            process = Process(["metrics", "--as-of", AS_OF[0], "--json"], self.env, self.folder, name)
            code = process.wait()
            output = process.out.read_text()
            if code != 0 or "shops" not in json.loads(output or "{}"):
                self.failures.append(f"{name}: exit {code}\n{process.err.read_text()[-2000:]}")
            self.runs += 1


def environment(engine: Engine, folder: Path) -> dict[str, str]:
    url = engine.url.render_as_string(hide_password=False)
    return {**os.environ, "LANSHOU_DATABASE_URL": url, "LANSHOU_DATA_DIR": str(folder / "data")}


def wait_for(condition: Callable[[], bool], what: str, seconds: float = TIMEOUT) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def scalar(engine: Engine, query: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


def count(engine: Engine, table: Any) -> int:
    return int(scalar(engine, select(func.count()).select_from(table)))


def assert_rollups_exact(engine: Engine) -> None:
    """The report from the rollups is the recompute from the raw rows (`lanshou metrics --source raw`), and
    the rollups count each paid order and each picked-up parcel once."""
    for as_of in AS_OF:
        rollups = metrics_report(engine, date.fromisoformat(as_of), source="rollups")
        raw = metrics_report(engine, date.fromisoformat(as_of), source="raw")
        rollups.pop("source"), raw.pop("source")
        assert report_differences(rollups, raw) == []
    assert count(engine, s.metric_dirty_orders) == count(engine, s.metric_dirty_tracking) == 0
    assert count(engine, s.metric_orders) == count(engine, s.orders)  # each order derived once
    paid = scalar(engine, select(func.count()).where(s.orders.c.paid_at.is_not(None)))
    assert scalar(engine, select(func.coalesce(func.sum(s.rollup_feedback.c.n), 0))) == paid
    # every picked-up parcel of a paid order, once per shop, in the freshness rollup: none twice
    picked = text(
        "SELECT COUNT(*) FROM (SELECT DISTINCT l.shop_id, l.tracking_no FROM parcel_orders l"
        " JOIN orders o ON o.shop_id = l.shop_id AND o.order_no = l.order_no"
        " JOIN tracking_events e ON e.tracking_no = l.tracking_no"
        " WHERE o.paid_at IS NOT NULL AND e.status <> 'info_received') AS picked"
    )
    assert scalar(engine, select(func.coalesce(func.sum(s.rollup_freshness.c.n), 0))) == scalar(
        engine, picked
    )


def stored_lines(engine: Engine) -> dict[OrderId, int]:
    o, sh, ln = s.orders, s.shops, s.order_lines
    query = (
        select(sh.c.platform, sh.c.name, o.c.order_no, func.count(ln.c.id))
        .select_from(o.join(sh, sh.c.id == o.c.shop_id))
        .outerjoin(ln, (ln.c.shop_id == o.c.shop_id) & (ln.c.order_no == o.c.order_no))
        .group_by(sh.c.platform, sh.c.name, o.c.order_no)
    )
    with engine.connect() as conn:
        return {(platform, shop, no): n for platform, shop, no, n in conn.execute(query)}


def import_counts(output: str) -> tuple[int, ...]:
    """(rows read, new, updated, unchanged, rejected) from the table `lanshou import` prints."""
    found = re.search(r"│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│", output)
    assert found is not None, output
    return tuple(int(n) for n in found.groups())


def test_imports_a_rebuild_and_reports_at_once_leave_exact_rollups(engine: Engine, tmp_path: Path) -> None:
    files = write_files(tmp_path, orders=1200)
    with engine.begin() as conn:  # feedback never creates a shop: the shops exist before it runs
        directory = ShopDirectory(conn)
        for platform, shop in sorted({(platform, shop) for platform, shop, _ in files.lines}):
            directory.ensure(conn, platform, shop)
    env = environment(engine, tmp_path)
    loop = ReportLoop(env, tmp_path)
    loop.start()
    jobs = [
        Process(["import", "orders", str(p)], env, tmp_path, f"orders-{k}")
        for k, p in enumerate(files.orders)
    ]
    jobs += [
        Process(["import", "tracking", str(p)], env, tmp_path, f"tracking-{k}")
        for k, p in enumerate(files.tracking)
    ]
    jobs.append(Process(["import", "feedback", str(files.feedback)], env, tmp_path, "feedback"))
    wait_for(lambda: count(engine, s.metric_orders) > 0, "the first derived orders")
    jobs.append(Process(["metrics", "rebuild"], env, tmp_path, "rebuild"))  # while the imports still run
    try:
        for job in jobs:
            job.check()
        assert stored_lines(engine) == files.lines  # every order once, with all its lines
        assert_rollups_exact(engine)
    finally:
        loop.stop.set()
        loop.join(timeout=TIMEOUT)
    assert loop.runs >= 1 and loop.failures == []


def test_an_import_killed_mid_file_leaves_whole_batches_and_completes_when_run_again(
    engine: Engine, tmp_path: Path
) -> None:
    files = write_files(tmp_path, orders=1500, slices=1)
    env = environment(engine, tmp_path)
    total = len(files.lines)
    victim = Process(["import", "orders", str(files.orders[0])], env, tmp_path, "victim")
    wait_for(lambda: count(engine, s.orders) > 0 or victim.popen.poll() is not None, "a committed batch")
    os.killpg(victim.popen.pid, signal.SIGKILL)  # the import and its parsing child
    assert victim.wait() == -signal.SIGKILL
    stored = stored_lines(engine)
    assert 0 < len(stored) < total, "killed mid-file"
    assert all(files.lines[order] == n for order, n in stored.items())  # whole orders: batches are atomic
    refresh(engine, pack_for)  # what the killed import's settle would have done
    assert_rollups_exact(engine)

    again = Process(["import", "orders", str(files.orders[0])], env, tmp_path, "again")
    _, new, updated, unchanged, rejected = import_counts(again.check())
    assert (new, updated, unchanged, rejected) == (total - len(stored), 0, len(stored), 0)
    assert stored_lines(engine) == files.lines
    assert count(engine, s.orders) == total
    assert_rollups_exact(engine)
