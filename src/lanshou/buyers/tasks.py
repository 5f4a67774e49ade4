"""Buyer jobs: recompute the profiles of the orders marked since the last catch-up, every minute (imports
only mark; every buyers read catches up first as well)."""

from __future__ import annotations

from lanshou.jobs import crontab, periodic_job


@periodic_job("buyers.catch_up", crontab(minute="*"), retries=2, retry_delay=60, timeout=1800)
def catch_up_job() -> int:
    """Recompute the profiles of every marked order; returns how many marks were handled."""
    from lanshou.buyers.store import catch_up_buyers
    from lanshou.db.engine import database_for_a_job

    with database_for_a_job() as engine:
        return catch_up_buyers(engine)
