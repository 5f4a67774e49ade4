"""The task queue: huey, embedded (SQLite file in the data dir) by default, Redis or PostgreSQL when
LANSHOU_QUEUE_URL says so. Every backend has the same API, so nothing else changes when scaling out.

    LANSHOU_QUEUE_URL unset            → SqliteHuey at <data dir>/queue.db
    sqlite:////abs/path/queue.db       → SqliteHuey at that file (sqlite:///rel.db: relative)
    redis://host:6379/0 (rediss, unix) → RedisHuey
    postgresql://user@host/db          → PostgresHuey (psycopg 3; tables huey_*)
    memory://                          → MemoryHuey (one process only: tests)

LANSHOU_QUEUE_NAME (default "lanshou") separates several queues on one Redis or database.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import huey
from huey.api import Result, TaskWrapper

from lanshou.config import data_dir
from lanshou.jobs.registry import REGISTRY, JobRegistry, JobSpec, discover

QUEUE_URL_ENV = "LANSHOU_QUEUE_URL"
QUEUE_NAME_ENV = "LANSHOU_QUEUE_NAME"
DEFAULT_NAME = "lanshou"
WAITING_PREFIX = "lanshou.waiting."  # + a coalescing job's name: set while one of it waits in the queue
WAITING_STALE = 600.0  # seconds after which a waiting mark is presumed lost


class QueueConfigError(ValueError):
    """LANSHOU_QUEUE_URL (or the url given) names no queue we can open."""


class UnknownJob(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def queue_from_url(
    url: str | None = None, *, name: str | None = None, immediate: bool = False, results: bool = False
) -> huey.Huey:
    """A huey instance for `url` (else $LANSHOU_QUEUE_URL, else the SQLite file in the data dir).
    `results=False` by default: jobs record their own outcome, so nothing piles up in the result store."""
    url = url if url is not None else os.environ.get(QUEUE_URL_ENV) or None
    name = name or os.environ.get(QUEUE_NAME_ENV) or DEFAULT_NAME
    common: dict[str, Any] = {"results": results, "immediate": immediate, "utc": True}
    if url is None:
        return huey.SqliteHuey(name, filename=str(data_dir() / "queue.db"), **common)
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if not path:
            raise QueueConfigError(
                f"队列地址 queue URL needs a file: sqlite:///relative.db or sqlite:////abs.db, not {url!r}"
            )
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return huey.SqliteHuey(name, filename=path, **common)
    if scheme in ("redis", "rediss", "unix"):
        return huey.RedisHuey(name, url=url, **common)
    if scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+"):
        parts = urlsplit(url)
        dsn = urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))
        return huey.PostgresHuey(name, dsn=dsn, **common)
    if scheme == "memory":
        return huey.MemoryHuey(name, **common)
    raise QueueConfigError(
        f"未知队列地址 unknown queue URL scheme {scheme or '(none)'!r} in {QUEUE_URL_ENV}: "
        "use sqlite:////path, redis://host:port/db or postgresql://user@host/db"
    )


def _entry(spec: JobSpec, queue: huey.Huey) -> Callable[..., Any]:
    """The function huey runs. huey names a task `<module>.<name>`; giving every entry the same module
    makes the job's name alone identify it, whatever module declared it (a worker started with
    `python -m` sees that module as `__main__`)."""

    def run(*args: Any, **kwargs: Any) -> Any:
        if spec.coalesce:  # started: no longer waiting, so what is enqueued from now on runs after this
            queue.delete(WAITING_PREFIX + spec.name)
        return spec.func(*args, **kwargs)

    run.__module__ = __name__
    run.__name__ = run.__qualname__ = spec.name
    run.__doc__ = spec.func.__doc__
    return run


def _bind(queue: huey.Huey, spec: JobSpec) -> TaskWrapper:
    settings = {
        "retries": spec.retries,
        "retry_delay": spec.retry_delay,
        "retry_backoff": spec.retry_backoff,
        "timeout": spec.timeout,
        "name": spec.name,
    }
    if spec.schedule is not None:
        return queue.periodic_task(spec.schedule, **settings)(_entry(spec, queue))
    return queue.task(**settings)(_entry(spec, queue))


class JobQueue:
    """A huey instance with the registry's jobs bound to it; start jobs by name."""

    def __init__(self, queue: huey.Huey, registry: JobRegistry = REGISTRY) -> None:
        self.huey = queue
        self.tasks: Mapping[str, TaskWrapper] = {spec.name: _bind(queue, spec) for spec in registry}
        self._coalesced = {spec.name for spec in registry if spec.coalesce}

    def enqueue(
        self, name: str, /, *args: Any, delay: float | None = None, eta: datetime | None = None, **kwargs: Any
    ) -> Result | None:
        """Queue job `name` now, after `delay` seconds, or at `eta`. A coalescing job is queued only when
        none of it is waiting (queued, not yet started); otherwise nothing is queued."""
        task = self.tasks.get(name)
        if task is None:
            known = ", ".join(sorted(self.tasks)) or "none"
            raise UnknownJob(f"未知任务 unknown job {name!r} (registered: {known})")
        if name in self._coalesced and not self._claim_waiting(name):
            return None
        try:
            if delay is None and eta is None:
                return task(*args, **kwargs)
            return task.schedule(args=args, kwargs=kwargs, delay=delay, eta=eta)
        except BaseException:
            if name in self._coalesced:  # nothing queued: the next enqueue must not think one waits
                self.huey.delete(WAITING_PREFIX + name)
            raise

    def _claim_waiting(self, name: str) -> bool:
        """True when no job `name` waits (now one is marked waiting). A mark older than WAITING_STALE
        (its job lost with a flushed queue, a worker killed between taking and starting it) is taken over."""
        key, now = WAITING_PREFIX + name, time.time()
        if self.huey.put_if_empty(key, now):
            return True
        since = self.huey.get(key, peek=True)
        if isinstance(since, float) and now - since < WAITING_STALE:
            return False
        self.huey.put(key, now)
        return True

    def pending_count(self) -> int:
        return int(self.huey.pending_count())


def open_queue(
    url: str | None = None,
    *,
    registry: JobRegistry | None = None,
    name: str | None = None,
    immediate: bool = False,
) -> JobQueue:
    """The queue from configuration with every area's jobs (discovered) bound to it."""
    if registry is None:
        discover()
        registry = REGISTRY
    return JobQueue(queue_from_url(url, name=name, immediate=immediate), registry)


def configured_queue() -> JobQueue:
    """The queue LANSHOU_QUEUE_URL (and LANSHOU_QUEUE_NAME) name, opened once per configuration for the
    life of the process: what a nudge after a write enqueues on."""
    url, name = os.environ.get(QUEUE_URL_ENV) or None, os.environ.get(QUEUE_NAME_ENV) or None
    return _opened(url, name, str(data_dir()) if url is None else "")


@lru_cache(maxsize=4)
def _opened(url: str | None, name: str | None, where: str) -> JobQueue:
    del where  # the data dir the default SQLite queue lives in: part of the cache key only
    return open_queue(url, name=name)
