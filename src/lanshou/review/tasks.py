"""Review jobs: every five minutes, shops that review automatically have their holds that came due (a
presale hold whose time came) and any paid order no review saw yet looked at (lanshou.review.subscriptions
.review_due): an import or a stock arrival does it too, but only for the orders it names."""

from __future__ import annotations

from lanshou.jobs import crontab, periodic_job


@periodic_job("review.catch_up", crontab(minute="*/5"), retries=2, retry_delay=60, timeout=1800)
def catch_up_job() -> int:
    """Review what came due in auto-review shops; returns how many orders were decided."""
    from lanshou.db.engine import database_for_a_job
    from lanshou.review.subscriptions import review_due

    with database_for_a_job() as engine:
        return review_due(engine)
