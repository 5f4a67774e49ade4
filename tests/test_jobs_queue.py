"""Queue wiring: URL → huey backend, the job registry, start-by-name, retries with backoff from the
engine, periodic jobs queued once per due minute however many consumers run, the in-process consumer."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import huey
import pytest

from lanshou.jobs import (
    JobDefinitionError,
    JobQueue,
    JobRegistry,
    QueueConfigError,
    UnknownJob,
    configured_queue,
    crontab,
    discover,
    open_queue,
    queue_from_url,
    run_in_process,
)
from lanshou.jobs.queue import WAITING_PREFIX, WAITING_STALE
from lanshou.jobs.worker import CLAIM_PREFIX, ClaimingScheduler, claim_minute

NOW = datetime(2025, 6, 10, 2, 0)  # huey keeps naive UTC


def test_default_queue_is_sqlite_in_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANSHOU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LANSHOU_QUEUE_URL", raising=False)
    monkeypatch.delenv("LANSHOU_QUEUE_NAME", raising=False)
    queue = queue_from_url()
    assert isinstance(queue, huey.SqliteHuey) and queue.name == "lanshou"
    assert Path(queue.storage.filename) == tmp_path / "data" / "queue.db"
    assert queue.results is False and queue.utc is True


def test_the_configured_queue_is_opened_once_per_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANSHOU_QUEUE_URL", raising=False)
    monkeypatch.delenv("LANSHOU_QUEUE_NAME", raising=False)
    monkeypatch.setenv("LANSHOU_DATA_DIR", str(tmp_path / "a"))
    first = configured_queue()
    assert configured_queue() is first  # one queue (and connection pool) per configuration
    assert Path(first.huey.storage.filename) == tmp_path / "a" / "queue.db"
    monkeypatch.setenv("LANSHOU_DATA_DIR", str(tmp_path / "b"))  # another data dir: its own default queue
    assert Path(configured_queue().huey.storage.filename) == tmp_path / "b" / "queue.db"
    monkeypatch.setenv("LANSHOU_QUEUE_URL", "memory://")
    monkeypatch.setenv("LANSHOU_QUEUE_NAME", "shop-a")
    named = configured_queue()
    assert isinstance(named.huey, huey.MemoryHuey) and named.huey.name == "shop-a"
    assert {"metrics.catch_up", "review.catch_up"} <= set(named.tasks)  # every area's jobs are bound


def test_urls_pick_the_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANSHOU_QUEUE_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("LANSHOU_QUEUE_NAME", "shop-a")
    from_env = queue_from_url()
    assert isinstance(from_env, huey.RedisHuey) and from_env.name == "shop-a"
    assert from_env.storage.pool.connection_kwargs["db"] == 3
    path = tmp_path / "nested" / "q.db"
    sqlite = queue_from_url(f"sqlite:///{path}")
    assert (
        isinstance(sqlite, huey.SqliteHuey) and sqlite.storage.filename == str(path) and path.parent.is_dir()
    )
    assert isinstance(queue_from_url("memory://"), huey.MemoryHuey)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("amqp://guest@localhost//", "unknown queue URL scheme 'amqp'"),
        ("just-a-path.db", "unknown queue URL scheme '(none)'"),
        ("sqlite://", "needs a file"),
    ],
)
def test_bad_queue_urls_get_one_clear_error(url: str, words: str) -> None:
    with pytest.raises(QueueConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        queue_from_url(url)


def test_registry_refuses_a_second_function_under_a_taken_name() -> None:
    registry = JobRegistry()

    @registry.job("area.work", retries=2)
    def work(x: int) -> int:
        return x * 2

    assert work(21) == 42  # the decorator leaves the function as it was
    registry.job("area.work", retries=2)(work)  # the same function again (a re-import) is fine
    with pytest.raises(JobDefinitionError, match=r"'area\.work' is taken"):
        registry.job("area.work")(lambda: None)
    with pytest.raises(JobDefinitionError, match="negative"):
        registry.job("area.bad", retries=-1)(lambda: None)
    assert [spec.name for spec in registry] == ["area.work"]


def test_jobs_are_started_by_name_and_unknown_names_are_refused() -> None:
    registry = JobRegistry()
    seen: list[tuple[int, str]] = []
    registry.job("orders.noted")(lambda n, label="": seen.append((n, label)))
    queue = open_queue("memory://", registry=registry, immediate=True)
    queue.enqueue("orders.noted", 1, label="now")
    assert seen == [(1, "now")]
    with pytest.raises(UnknownJob, match=r"unknown job 'orders.nope' \(registered: orders.noted\)"):
        queue.enqueue("orders.nope")


def memory_queue(registry: JobRegistry) -> JobQueue:
    return JobQueue(queue_from_url("memory://"), registry)


def test_failed_jobs_are_retried_by_the_engine_with_backoff() -> None:
    registry = JobRegistry()
    attempts: list[int] = []

    @registry.job("flaky", retries=3, retry_delay=10, retry_backoff=2)
    def flaky(n: int) -> None:
        attempts.append(n)
        if len(attempts) < 3:
            raise ConnectionError("provider down")

    queue = memory_queue(registry)
    queue.enqueue("flaky", 7)
    q = queue.huey

    def run_once(task: huey.api.Task) -> tuple[huey.api.Task, timedelta]:
        """Run `task` as a worker would; the delay huey chose before its retry (it uses the real clock)."""
        before = datetime.utcnow()
        q.execute(task, task.eta)  # as at its due time (huey re-parks a task run before its eta)
        (retry,) = q.scheduled()
        assert q.read_schedule(retry.eta - timedelta(seconds=1)) == []
        (due,) = q.read_schedule(retry.eta)
        delay = retry.eta - before
        assert q.scheduled() == []
        return due, delay

    due, first_delay = run_once(q.dequeue())
    assert timedelta(seconds=10) <= first_delay < timedelta(seconds=11) and due.retries == 2
    due, second_delay = run_once(due)
    assert timedelta(seconds=20) <= second_delay < timedelta(seconds=21)  # the delay doubled
    q.execute(due, due.eta)
    assert attempts == [7, 7, 7] and q.scheduled() == [] and q.pending_count() == 0


def test_retries_run_out() -> None:
    registry = JobRegistry()
    attempts: list[int] = []
    registry.job("doomed", retries=1)(lambda: attempts.append(1) or 1 / 0)
    queue = memory_queue(registry)
    queue.enqueue("doomed")
    q = queue.huey
    q.execute(q.dequeue(), NOW)
    q.execute(q.dequeue(), NOW)  # no delay: re-queued at once
    assert attempts == [1, 1] and q.dequeue() is None and q.scheduled() == []


def test_periodic_jobs_follow_their_crontab() -> None:
    registry = JobRegistry()
    registry.periodic("sla.scan", crontab(minute="*/5"))(lambda: None)
    q = memory_queue(registry).huey
    assert [t.name for t in q.read_periodic(NOW.replace(minute=5))] == ["sla.scan"]
    assert q.read_periodic(NOW.replace(minute=6)) == []


def test_two_consumers_schedulers_queue_a_periodic_job_once_per_minute() -> None:
    registry = JobRegistry()
    registry.periodic("rollups.upkeep", crontab(minute="*"))(lambda: None)
    q = memory_queue(registry).huey
    schedulers = [ClaimingScheduler(q, threading.Event(), 1, True) for _ in range(2)]
    for minute in range(3):
        for scheduler in schedulers:
            scheduler.enqueue_periodic_tasks(NOW + timedelta(minutes=minute, seconds=7 * minute))
    assert q.pending_count() == 3  # one per minute, not one per consumer per minute
    # claims are cleaned up as time moves on: only the last two minutes are remembered
    assert q.get(CLAIM_PREFIX + "202506100200", peek=True) is None
    assert q.get(CLAIM_PREFIX + "202506100202", peek=True) is not None


def test_claim_minute_is_first_come() -> None:
    q = huey.MemoryHuey("claims")
    assert claim_minute(q, NOW) is True
    assert claim_minute(q, NOW + timedelta(seconds=59)) is False
    assert claim_minute(q, NOW + timedelta(seconds=60)) is True


def test_the_in_process_consumer_runs_jobs_from_an_sqlite_queue(tmp_path: Path) -> None:
    registry = JobRegistry()
    ran: list[str] = []
    lock = threading.Lock()

    @registry.job("notes.add")
    def add(key: str) -> None:
        with lock:
            ran.append(key)

    queue = open_queue(f"sqlite:///{tmp_path / 'queue.db'}", registry=registry)
    with run_in_process(queue, workers=2, periodic=False):
        for i in range(40):
            queue.enqueue("notes.add", f"n{i}")
        deadline = time.monotonic() + 20
        while len(ran) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert sorted(ran) == sorted(f"n{i}" for i in range(40))
    assert queue.pending_count() == 0


def test_delayed_jobs_wait_in_the_schedule() -> None:
    registry = JobRegistry()
    registry.job("later")(lambda: None)
    queue = memory_queue(registry)
    queue.enqueue("later", delay=60)
    task = queue.huey.dequeue()
    assert not queue.huey.ready_to_run(task)  # a worker parks it in the schedule
    assert queue.huey.ready_to_run(task, task.eta) and task.eta - datetime.utcnow() > timedelta(seconds=55)


def test_discover_imports_each_areas_tasks_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "fakeshop"
    (package / "orders").mkdir(parents=True)
    (package / "billing").mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("")
    (package / "orders" / "__init__.py").write_text("")
    (package / "orders" / "tasks.py").write_text("LOADED = True\n")
    (package / "billing" / "__init__.py").write_text("")  # an area without jobs
    monkeypatch.syspath_prepend(str(tmp_path))
    assert discover("fakeshop") == ["fakeshop.orders.tasks"]
    import importlib

    assert importlib.import_module("fakeshop.orders.tasks").LOADED is True
    declared = {
        "lanshou.sla.tasks",
        "lanshou.tracking.tasks",
        "lanshou.notifications.tasks",
        "lanshou.metrics.tasks",
    }
    assert declared <= set(discover())  # areas that declare jobs


def coalescing_queue(url: str = "memory://", name: str | None = None) -> tuple[JobQueue, list[int]]:
    registry = JobRegistry()
    runs: list[int] = []
    registry.job("rollups.catch_up", coalesce=True)(lambda: runs.append(1))
    registry.job("plain")(lambda: None)
    return JobQueue(queue_from_url(url, name=name), registry), runs


def test_a_coalescing_job_waits_in_the_queue_once_until_it_starts() -> None:
    queue, runs = coalescing_queue()
    q = queue.huey
    for _ in range(3):
        queue.enqueue("rollups.catch_up")
    assert q.pending_count() == 1
    q.execute(q.dequeue())  # started: what is asked from now on runs after it
    assert runs == [1] and q.pending_count() == 0
    queue.enqueue("rollups.catch_up")
    queue.enqueue("rollups.catch_up")
    assert q.pending_count() == 1
    queue.enqueue("plain")
    queue.enqueue("plain")  # other jobs queue as often as asked
    assert q.pending_count() == 3


def test_a_lost_waiting_mark_is_taken_over_and_a_failed_enqueue_leaves_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue, _ = coalescing_queue()
    q = queue.huey
    queue.enqueue("rollups.catch_up")
    q.storage.flush_queue()  # the job is lost (a flushed queue); its mark is still there
    queue.enqueue("rollups.catch_up")
    assert q.pending_count() == 0  # taken for waiting
    q.put(WAITING_PREFIX + "rollups.catch_up", time.time() - WAITING_STALE - 1)
    queue.enqueue("rollups.catch_up")
    assert q.pending_count() == 1

    q.flush()
    monkeypatch.setattr(q, "enqueue", lambda task: (_ for _ in ()).throw(ConnectionError("queue down")))
    with pytest.raises(ConnectionError):
        queue.enqueue("rollups.catch_up")
    monkeypatch.undo()
    queue.enqueue("rollups.catch_up")
    assert q.pending_count() == 1  # no mark left behind by the failure
