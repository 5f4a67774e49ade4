"""Metric jobs: bring the rollups up to date when a writer hands them off (the API's batch ingest queues
`metrics.catch_up`), and every five minutes (imports keep them current as they go; this catches what an
interrupted import, a subscriber error or a lost job left marked)."""

from __future__ import annotations

from lanshou.jobs import crontab, job, periodic_job


@periodic_job(
    "metrics.upkeep", crontab(minute="*/5"), retries=2, retry_delay=60, retry_backoff=2, timeout=1800
)
def upkeep_job() -> int:
    """Re-derive every order marked dirty; returns how many were."""
    return _bring_up_to_date()


# coalesce: however many batches ask while one waits, one run; each run derives every order marked when
# it starts, so a batch committed after it started queues the next
@job("metrics.catch_up", coalesce=True, timeout=1800)
def catch_up_job() -> int:
    """Re-derive the orders writers marked and handed off; returns how many."""
    return _bring_up_to_date()


def _bring_up_to_date() -> int:
    from lanshou.db.engine import database_for_a_job
    from lanshou.metrics.upkeep import bring_rollups_up_to_date

    with database_for_a_job() as engine:
        return bring_rollups_up_to_date(engine)
