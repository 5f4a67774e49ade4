"""Catching up beside an import (lanshou.intake.alongside): on PostgreSQL a forked child derives the metric
rollups of the batches committed so far while the import stores the next; the rollups still equal the
recompute, a failing or slow child loses nothing, SQLite never starts one, and the refresh it runs stops
between batches when asked."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest
from sqlalchemy import Engine, func, select

from lanshou import schema as s
from lanshou.events import EventBus, bus
from lanshou.forked import can_fork
from lanshou.intake import alongside as alongside_module
from lanshou.intake import orders as orders_import
from lanshou.intake import pipeline
from lanshou.intake import tracking as tracking_import
from lanshou.intake.alongside import CatchUpAlongside
from lanshou.intake.orders import import_orders
from lanshou.intake.tracking import import_tracking
from lanshou.metrics import rollups
from lanshou.metrics.compare import report_differences
from lanshou.metrics.packs import pack_for
from lanshou.metrics.report import metrics_report
from tests.concurrency_data import write_files

AS_OF = (date(2026, 11, 22), date(2026, 11, 12))


class Noted(CatchUpAlongside):
    """The pipeline's catch-up, kept for the test to read once the import has stopped it. With `waits`,
    the start that forks the child waits (a while) until it has caught up with the batches committed so
    far, so that on a busy machine too the child works while the writer stores the next batch."""

    made: ClassVar[list[Noted]] = []
    waits: ClassVar[bool] = False

    def __init__(self, engine: Engine, events: EventBus) -> None:
        super().__init__(engine, events)
        Noted.made.append(self)

    def start(self) -> None:
        forking = self._child is None
        super().start()
        deadline = time.monotonic() + 60
        while Noted.waits and forking and self._child is not None and not self.caught_up:
            assert time.monotonic() < deadline, "the child caught up with nothing in 60 s"
            time.sleep(0.01)


@pytest.fixture
def noted(monkeypatch: pytest.MonkeyPatch) -> list[Noted]:
    Noted.made, Noted.waits = [], False
    monkeypatch.setattr(pipeline, "CatchUpAlongside", Noted)
    monkeypatch.setattr(orders_import, "FIRST_BATCH_ORDERS", 40)  # several batches from a small file
    monkeypatch.setattr(orders_import, "BATCH_ORDERS", 40)
    monkeypatch.setattr(tracking_import, "BATCH_EVENTS", 400)
    return Noted.made


def count(engine: Engine, table: s.Table) -> int:  # type: ignore[name-defined]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def assert_rollups_equal_the_recompute(engine: Engine) -> None:
    for as_of in AS_OF:
        from_rollups = metrics_report(engine, as_of, source="rollups")
        raw = metrics_report(engine, as_of, source="raw")
        from_rollups.pop("source"), raw.pop("source")
        assert report_differences(from_rollups, raw) == []
    assert count(engine, s.metric_dirty_orders) == count(engine, s.metric_dirty_tracking) == 0
    assert count(engine, s.metric_orders) == count(engine, s.orders)


@pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")
def test_imports_catch_up_beside_the_writer_and_the_rollups_equal_the_recompute(
    engine: Engine, tmp_path: Path, noted: list[Noted]
) -> None:
    files = write_files(tmp_path, orders=400, slices=1)
    import_orders(engine, files.orders[0], rejects=tmp_path / "orders.rej.csv")  # derived as stored: all new
    first, *others = files.tracking
    Noted.waits = True  # each batch of new events marks the orders of its parcels
    import_tracking(engine, first, rejects=tmp_path / "tracking.rej.csv")
    Noted.waits = False  # the second tracking file's first batch repeats stored events: nothing to derive
    for path in others:
        import_tracking(engine, path, rejects=tmp_path / "tracking.rej.csv")
    assert_rollups_equal_the_recompute(engine)
    if engine.dialect.name == "postgresql":  # a child derived some of it while the writer stored the rest
        assert all(made._child is not None for made in noted)
        assert sum(made.caught_up for made in noted) > 0
    else:  # SQLite's one writer: a child would only wait for the import's write lock
        assert all(made._child is None for made in noted) and noted


def _fails(engine: Engine, stopping: object) -> int:
    raise RuntimeError("the database went away")


def _derives_until_stopped(engine: Engine, stopping: object) -> int:
    while not stopping():  # type: ignore[operator]
        time.sleep(0.005)
    return 0


@pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # the only database it runs on
@pytest.mark.parametrize("handler", [_fails, _derives_until_stopped])
def test_a_failing_or_busy_child_loses_nothing(
    engine: Engine, tmp_path: Path, noted: list[Noted], handler: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = bus.with_own_pending()
    monkeypatch.setattr(view, "_alongside", [handler])  # instead of the rollups' refresh
    files = write_files(tmp_path, orders=200, slices=1)
    import_orders(engine, files.orders[0], rejects=tmp_path / "orders.rej.csv", events=view)
    (made,) = noted
    assert made._child is not None and made._child.exitcode == 0 and made.caught_up == 0
    assert_rollups_equal_the_recompute(engine)  # the import's own settle derived everything


def test_a_file_of_one_batch_starts_no_child(engine: Engine, tmp_path: Path, noted: list[Noted]) -> None:
    files = write_files(tmp_path, orders=30, slices=1)
    import_orders(engine, files.orders[0], rejects=tmp_path / "orders.rej.csv")
    (made,) = noted
    assert made._child is None
    assert_rollups_equal_the_recompute(engine)


def test_the_refresh_stops_between_batches_when_asked(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = write_files(tmp_path, orders=120, slices=1)
    import_orders(engine, files.orders[0], rejects=tmp_path / "orders.rej.csv", events=EventBus())
    rollups.rebuild(engine, pack_for, two_processes=False, progress=None)  # every order derived
    with engine.begin() as conn:
        keys = conn.execute(select(s.orders.c.shop_id, s.orders.c.order_no)).all()
        rollups.mark_dirty(conn, [tuple(key) for key in keys])
    monkeypatch.setattr(rollups, "BATCH", 50)
    asked: list[int] = []

    def stopping() -> bool:
        asked.append(1)
        return len(asked) > 1  # one batch, then stop

    assert rollups.refresh(engine, pack_for, two_processes=False, stopping=stopping) == 50
    assert count(engine, s.metric_dirty_orders) == len(keys) - 50  # the rest stays marked
    assert rollups.anything_marked(engine)
    assert rollups.refresh(engine, pack_for, two_processes=False) == len(keys) - 50
    assert not rollups.anything_marked(engine)
    assert_rollups_equal_the_recompute(engine)


def test_the_bus_hands_its_alongside_handlers_to_a_view_and_forgets_them_when_cleared() -> None:
    own = EventBus()
    own.alongside(_fails)
    assert own.with_own_pending().alongside_handlers == (_fails,)
    own.clear()
    assert own.alongside_handlers == ()


@pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_the_child_stops_with_the_import_even_when_its_handler_is_slow_to_return(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = EventBus()
    view.alongside(_never_returns)
    monkeypatch.setattr(alongside_module, "STOP_WAIT_SECONDS", 0.5)
    catching_up = CatchUpAlongside(engine, view)
    catching_up.start()
    catching_up.stop()  # waited 0.5 s, then ended it
    assert catching_up._child is not None and not catching_up._child.is_alive()


@pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_the_child_looks_for_work_when_a_batch_commits_not_on_a_timer(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    looks = multiprocessing.get_context("fork").Value("q", 0)

    def counts(engine: Engine, stopping: object) -> int:
        with looks.get_lock():
            looks.value += 1
        return 0  # nothing found: the child waits

    def seen(wanted: int) -> None:
        deadline = time.monotonic() + 10
        while looks.value < wanted:
            assert time.monotonic() < deadline, f"the child looked {looks.value} times, not {wanted}"
            time.sleep(0.01)

    view = EventBus()
    view.alongside(counts)
    monkeypatch.setattr(alongside_module, "ORPHAN_CHECK_SECONDS", 30.0)  # no look for its parent's sake
    catching_up = CatchUpAlongside(engine, view)
    catching_up.start()
    seen(1)  # at once: what was committed before it started
    time.sleep(0.5)
    assert looks.value == 1  # nothing committed since (a 50 ms timer looked ten times)
    catching_up.committed()
    seen(2)
    catching_up.stop()  # wakes it to stop, without another look
    assert catching_up._child is not None and catching_up._child.exitcode == 0
    assert looks.value == 2


def _never_returns(engine: Engine, stopping: object) -> int:
    while True:
        os.sched_yield()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_no_child_is_forked_from_a_thread_other_than_the_main_one(engine: Engine) -> None:
    """A server's thread may run an import: a fork there could inherit a lock another thread holds."""
    view = EventBus()
    view.alongside(_fails)
    catching_up = CatchUpAlongside(engine, view)
    worker = threading.Thread(target=catching_up.start)
    worker.start()
    worker.join()
    catching_up.stop()
    assert catching_up._child is None


@pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_an_import_that_fails_midway_raises_its_own_error_and_ends_the_child(
    engine: Engine, tmp_path: Path, noted: list[Noted], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lanshou.orders.store import OrderStore

    real_save, calls = OrderStore.save, []

    def fails_on_the_third_batch(self: OrderStore, *args: object, **kw: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("power cut")
        return real_save(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(OrderStore, "save", fails_on_the_third_batch)
    files = write_files(tmp_path, orders=200, slices=1)
    with pytest.raises(RuntimeError, match="power cut"):
        import_orders(engine, files.orders[0], rejects=tmp_path / "orders.rej.csv")
    (made,) = noted
    assert made._child is not None and not made._child.is_alive()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_fork_that_fails_leaves_the_import_to_its_settle(
    engine: Engine, tmp_path: Path, noted: list[Noted], monkeypatch: pytest.MonkeyPatch
) -> None:
    class NoFork:  # the fork context, but every fork fails (the parser's own fork is left alone)
        def __init__(self) -> None:
            self._real = multiprocessing.get_context("fork")
            self.Event, self.Value = self._real.Event, self._real.Value

        def Process(self, **kw: object) -> object:  # the context's name for it
            return SimpleNamespace(start=self.refuse)

        def refuse(self) -> None:
            raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(alongside_module, "mp", SimpleNamespace(get_context=lambda kind: NoFork()))
    files = write_files(tmp_path, orders=200, slices=1)
    report = import_orders(engine, files.orders[0], rejects=tmp_path / "orders.rej.csv")
    assert report.ok
    (made,) = noted
    assert made._child is None and made.caught_up == 0
    assert_rollups_equal_the_recompute(engine)


PARENT = """
import sys, time
from lanshou.db.engine import make_engine
from lanshou.events import EventBus
from lanshou.intake.alongside import CatchUpAlongside

def waits(engine, stopping):
    while not stopping():
        time.sleep(0.01)
    return 0

view = EventBus()
view.alongside(waits)
catching_up = CatchUpAlongside(make_engine(sys.argv[1]), view)
catching_up.start()
print(catching_up._child.pid, flush=True)
time.sleep(120)
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's parent may be a PID 1 that does not reap)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_the_child_stops_when_the_import_is_killed_outright(engine: Engine, tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    url = engine.url.render_as_string(hide_password=False)
    parent = subprocess.Popen([sys.executable, str(script), url], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _running(child)
    parent.kill()  # SIGKILL: no finally, no stop()
    parent.wait()
    deadline = time.monotonic() + 10
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(child)
