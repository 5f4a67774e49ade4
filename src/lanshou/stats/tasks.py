"""Statistics jobs: derive the orders marked since the last catch-up (after the buyer profiles they read)
every minute; imports only mark, and every report catches up first as well."""

from __future__ import annotations

from lanshou.jobs import crontab, periodic_job


@periodic_job("stats.catch_up", crontab(minute="*"), retries=2, retry_delay=60, timeout=1800)
def catch_up_job() -> int:
    """Derive every marked order again; returns how many marks were handled."""
    from lanshou.db.engine import database_for_a_job
    from lanshou.stats.refresh import catch_up_stats

    with database_for_a_job() as engine:
        return catch_up_stats(engine)
