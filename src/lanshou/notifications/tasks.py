"""Notification jobs: send what is due, when nudged after an event and every minute (quiet hours ending,
retries coming due, nudges lost)."""

from __future__ import annotations

from lanshou.jobs import crontab, job, periodic_job


def _send_due() -> int:
    from lanshou.db.engine import database_for_a_job
    from lanshou.notifications.sending import send_due
    from lanshou.tracking.record import utc_now

    with database_for_a_job() as engine:
        return send_due(engine, utc_now()).sent


@job("notifications.send_due", timeout=600)
def send_due_job() -> int:
    """Send every notification due now; returns how many went out."""
    return _send_due()


@periodic_job("notifications.send_due_periodic", crontab(minute="*"), timeout=600)
def send_due_periodic_job() -> int:
    """The same, every minute."""
    return _send_due()


@periodic_job("notifications.long_transit", crontab(minute="7,37"), timeout=600)
def long_transit_job() -> int:
    """Queue (and send) the in_transit_long messages; returns how many were queued."""
    from lanshou.db.engine import database_for_a_job
    from lanshou.notifications.long_transit import queue_long_transit
    from lanshou.notifications.sending import send_due
    from lanshou.tracking.record import utc_now

    with database_for_a_job() as engine:
        queued = queue_long_transit(engine, utc_now()).new
        if queued:
            send_due(engine, utc_now())
        return queued
