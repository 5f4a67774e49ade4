"""Running jobs: `run_worker` for `lanshou worker` (a consumer that owns the process and its signals) and
`run_in_process` for `lanshou run` (consumer threads inside a host process such as the web server).

Several consumers may share one Redis or PostgreSQL queue. Each has a scheduler for periodic jobs, so
the scheduler claims each minute in the queue's own storage (an atomic put-if-empty) before enqueueing
that minute's periodic jobs: however many consumers run, a periodic job is queued once per due minute.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Literal

from huey.consumer import Consumer, Scheduler

from lanshou.jobs.queue import JobQueue, open_queue

WorkerType = Literal["thread", "process"]
CLAIM_PREFIX = "lanshou.periodic-claim."
log = logging.getLogger("lanshou.jobs")


def claim_minute(huey: Any, now: datetime) -> bool:
    """True for the first scheduler to claim `now`'s minute; clears the claim from two minutes before."""
    minute = now.replace(second=0, microsecond=0)
    claimed = bool(huey.put_if_empty(CLAIM_PREFIX + minute.strftime("%Y%m%d%H%M"), b"1"))
    if claimed:
        huey.delete(CLAIM_PREFIX + (minute - timedelta(minutes=2)).strftime("%Y%m%d%H%M"))
    return claimed


class ClaimingScheduler(Scheduler):
    def enqueue_periodic_tasks(self, now: datetime | None) -> None:
        timestamp = now or self.huey._get_timestamp()
        if claim_minute(self.huey, timestamp):
            super().enqueue_periodic_tasks(timestamp)
        else:
            log.debug("periodic jobs for %s already queued by another consumer", timestamp)


class LanshouConsumer(Consumer):
    scheduler_class = ClaimingScheduler


class EmbeddedConsumer(LanshouConsumer):
    """Leaves signal handling to the host process (the web server decides when to stop)."""

    def _set_signal_handlers(self) -> None:
        pass


def _consumer(cls: type[Consumer], queue: JobQueue, workers: int, periodic: bool, kind: str) -> Consumer:
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    # Idle workers poll an SQLite queue at most every second (Redis and PostgreSQL block instead).
    return cls(queue.huey, workers=workers, periodic=periodic, worker_type=kind, max_delay=1.0)


def run_worker(
    workers: int = 2,
    *,
    queue: JobQueue | None = None,
    periodic: bool = True,
    worker_type: WorkerType = "thread",
) -> None:
    """Consume jobs until SIGINT/SIGTERM (graceful: running jobs finish). Blocks.
    `queue` defaults to open_queue(): LANSHOU_QUEUE_URL and every area's discovered jobs."""
    _consumer(LanshouConsumer, queue or open_queue(), workers, periodic, worker_type).run()


@contextmanager
def run_in_process(queue: JobQueue, workers: int = 1, *, periodic: bool = True) -> Iterator[Consumer]:
    """Consumer threads for the life of the block; on exit they finish their current job and stop."""
    consumer = _consumer(EmbeddedConsumer, queue, workers, periodic, "thread")
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
