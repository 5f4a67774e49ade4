"""Metric jobs: bring the rollups up to date every five minutes (imports keep them current as they go;
this catches what an interrupted import or a subscriber error left marked)."""

from __future__ import annotations

from lanshou.jobs import crontab, periodic_job


@periodic_job(
    "metrics.upkeep", crontab(minute="*/5"), retries=2, retry_delay=60, retry_backoff=2, timeout=1800
)
def upkeep_job() -> int:
    """Re-derive every order marked dirty; returns how many were."""
    from lanshou.db.engine import open_database
    from lanshou.metrics.upkeep import bring_rollups_up_to_date

    engine = open_database()
    try:
        return bring_rollups_up_to_date(engine)
    finally:
        engine.dispose()
