"""Task-queue wiring on huey: one API from an embedded SQLite queue to Redis or PostgreSQL.

Areas declare jobs with `@job(...)` / `@periodic_job(...)` in `lanshou/<area>/tasks.py`; faces open the
queue with `open_queue()` and start jobs by name; `lanshou worker` calls `run_worker(n)`, `lanshou run`
wraps its server in `run_in_process(queue)`.
"""

from huey import crontab

from lanshou.jobs.queue import (
    QUEUE_NAME_ENV,
    QUEUE_URL_ENV,
    JobQueue,
    QueueConfigError,
    UnknownJob,
    configured_queue,
    open_queue,
    queue_from_url,
)
from lanshou.jobs.registry import (
    REGISTRY,
    JobDefinitionError,
    JobRegistry,
    JobSpec,
    discover,
    job,
    periodic_job,
)
from lanshou.jobs.worker import run_in_process, run_worker

__all__ = [
    "QUEUE_NAME_ENV",
    "QUEUE_URL_ENV",
    "REGISTRY",
    "JobDefinitionError",
    "JobQueue",
    "JobRegistry",
    "JobSpec",
    "QueueConfigError",
    "UnknownJob",
    "configured_queue",
    "crontab",
    "discover",
    "job",
    "open_queue",
    "periodic_job",
    "queue_from_url",
    "run_in_process",
    "run_worker",
]
