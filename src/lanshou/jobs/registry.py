"""Where business areas declare their jobs, without importing each other or the queue.

An area writes `lanshou/<area>/tasks.py`:

    from lanshou.jobs import crontab, job, periodic_job

    @job("notifications.send", retries=5, retry_delay=30, retry_backoff=2)
    def send_notification(message_id: int) -> None: ...

    @periodic_job("sla.scan", crontab(minute="*/5"))
    def scan_at_risk() -> None: ...

The decorators only record a JobSpec and return the function unchanged (call it directly in tests).
Another area starts a job by name — `queue.enqueue("notifications.send", 42)` — never by import.
`discover()` imports every `lanshou.<area>.tasks` module so a worker knows all jobs.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
Schedule = Callable[[datetime], bool]  # huey.crontab(...) returns one


class JobDefinitionError(ValueError):
    """A job declared twice under one name, or with settings that make no sense."""


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[..., Any]
    retries: int = 0
    retry_delay: float = 0.0  # seconds before the first retry
    retry_backoff: float = 0.0  # multiply the delay by this after each retry (0: fixed delay)
    schedule: Schedule | None = None  # set for periodic jobs
    timeout: float | None = None  # seconds; the engine cancels a longer run
    coalesce: bool = False  # at most one waiting in the queue: enqueueing while one waits adds nothing

    @property
    def periodic(self) -> bool:
        return self.schedule is not None


class JobRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, JobSpec] = {}

    def add(self, spec: JobSpec) -> None:
        if spec.retries < 0 or spec.retry_delay < 0 or spec.retry_backoff < 0:
            raise JobDefinitionError(f"job {spec.name!r}: retries, delay and backoff cannot be negative")
        existing = self._specs.get(spec.name)
        if existing is not None and _qualname(existing.func) != _qualname(spec.func):
            raise JobDefinitionError(
                f"任务重名 job name {spec.name!r} is taken by {_qualname(existing.func)}, "
                f"cannot also name {_qualname(spec.func)}"
            )
        self._specs[spec.name] = spec

    def job(
        self,
        name: str,
        *,
        retries: int = 0,
        retry_delay: float = 0.0,
        retry_backoff: float = 0.0,
        timeout: float | None = None,
        coalesce: bool = False,
    ) -> Callable[[F], F]:
        return self._declare(name, None, retries, retry_delay, retry_backoff, timeout, coalesce)

    def periodic(
        self,
        name: str,
        schedule: Schedule,
        *,
        retries: int = 0,
        retry_delay: float = 0.0,
        retry_backoff: float = 0.0,
        timeout: float | None = None,
    ) -> Callable[[F], F]:
        return self._declare(name, schedule, retries, retry_delay, retry_backoff, timeout)

    def _declare(
        self,
        name: str,
        schedule: Schedule | None,
        retries: int,
        retry_delay: float,
        retry_backoff: float,
        timeout: float | None,
        coalesce: bool = False,
    ) -> Callable[[F], F]:
        def register(func: F) -> F:
            self.add(JobSpec(name, func, retries, retry_delay, retry_backoff, schedule, timeout, coalesce))
            return func

        return register

    def get(self, name: str) -> JobSpec | None:
        return self._specs.get(name)

    def __iter__(self) -> Iterator[JobSpec]:
        return iter(list(self._specs.values()))

    def __len__(self) -> int:
        return len(self._specs)


def _qualname(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


REGISTRY = JobRegistry()
job = REGISTRY.job
periodic_job = REGISTRY.periodic


def discover(package: str = "lanshou") -> list[str]:
    """Import every `<package>.<area>.tasks` module; returns their names."""
    root = importlib.import_module(package)
    found = []
    for area in pkgutil.iter_modules(root.__path__):
        if not area.ispkg:
            continue
        name = f"{package}.{area.name}.tasks"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
            found.append(name)
    return found
