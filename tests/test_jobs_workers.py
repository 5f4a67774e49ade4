"""Every job runs exactly once with TWO real worker processes consuming one queue: the embedded SQLite
queue, the local Redis and the local PostgreSQL. Locally an unreachable Redis or PostgreSQL skips its
case; under CI (CI=true) it fails, because CI must prove the distributed mode works."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from lanshou.jobs import JobQueue, queue_from_url
from tests.jobs_sample import SAMPLE, connect, create_runs_table

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REDIS_URL = os.environ.get("LANSHOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_URL = os.environ.get("LANSHOU_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parent.parent
JOBS = 300


def unreachable(service: str, problem: Exception) -> None:
    message = f"{service} not reachable: {str(problem).splitlines()[0] if str(problem) else problem!r}"
    if IN_CI:
        pytest.fail(f"{message} (required under CI)")
    pytest.skip(message)


def redis_url() -> Iterator[str]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        unreachable("Redis", exc)
    yield REDIS_URL


def postgres_url() -> Iterator[str]:
    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"lanshou_jobs_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        unreachable("PostgreSQL", exc)
    yield admin.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "redis", "postgresql"])
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'queue.db'}"
    elif request.param == "redis":
        yield from redis_url()
    else:
        yield from postgres_url()


def wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {seconds}s waiting for {what}")


def count(db: str, sql: str) -> int:
    with connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_two_worker_processes_run_every_job_exactly_once(queue_url: str, tmp_path: Path) -> None:
    runs = str(tmp_path / "runs.db")
    create_runs_table(runs)
    name = f"lanshou-test-{uuid.uuid4().hex[:8]}"  # our own queue on a shared Redis/PostgreSQL
    env = dict(os.environ, LANSHOU_QUEUE_URL=queue_url, LANSHOU_QUEUE_NAME=name, PYTHONPATH=str(ROOT))
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.jobs_sample", runs], cwd=ROOT, env=env)
        for _ in range(2)
    ]
    queue = JobQueue(queue_from_url(queue_url, name=name), SAMPLE)
    try:
        ready = "select count(*) from runs where key = 'ready'"
        wait_for(lambda: count(runs, ready) == 4, 60, "two processes × two worker threads")
        for i in range(JOBS):
            queue.enqueue("sample.record", f"job-{i:04d}", runs)
        wait_for(
            lambda: count(runs, "select count(*) from runs where key != 'ready'") >= JOBS, 90, "the jobs"
        )
        time.sleep(0.5)  # a duplicate run would land in this window
    finally:
        for process in workers:
            process.send_signal(signal.SIGINT)  # graceful: finish the current job, then exit
        exit_codes = [process.wait(timeout=30) for process in workers]
        queue.huey.storage.flush_all()

    assert exit_codes == [0, 0]
    with connect(runs) as conn:
        rows = conn.execute("select key, pid from runs where key != 'ready'").fetchall()
        ready_pids = {pid for (pid,) in conn.execute("select pid from runs where key = 'ready'")}
    keys = [key for key, _ in rows]
    assert len(keys) == JOBS and sorted(set(keys)) == [f"job-{i:04d}" for i in range(JOBS)]  # once each
    assert {pid for _, pid in rows} == ready_pids == {p.pid for p in workers}  # both processes worked
    assert queue.pending_count() == 0


def test_a_coalescing_job_is_marked_waiting_in_each_backend(queue_url: str) -> None:
    """The waiting mark lives in the queue's own storage (put-if-empty, read, delete on start)."""
    from tests.test_jobs_queue import coalescing_queue

    queue, runs = coalescing_queue(queue_url, name=f"coalesce-{uuid.uuid4().hex[:8]}")  # a shared Redis
    q = queue.huey
    try:
        queue.enqueue("rollups.catch_up")
        queue.enqueue("rollups.catch_up")
        assert q.pending_count() == 1
        q.execute(q.dequeue())
        queue.enqueue("rollups.catch_up")
        assert runs == [1] and q.pending_count() == 1
    finally:
        q.flush()
