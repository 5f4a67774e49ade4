"""Notification jobs: send what is due, when nudged after an event and every minute (quiet hours ending,
retries coming due, nudges lost)."""

from __future__ import annotations

from lanshou.jobs import crontab, job, periodic_job


def _send_due() -> int:
    from lanshou.db.engine import open_database
    from lanshou.notifications.sending import send_due
    from lanshou.tracking.record import utc_now

    engine = open_database()
    try:
        return send_due(engine, utc_now()).sent
    finally:
        engine.dispose()


@job("notifications.send_due", timeout=600)
def send_due_job() -> int:
    """Send every notification due now; returns how many went out."""
    return _send_due()


@periodic_job("notifications.send_due_periodic", crontab(minute="*"), timeout=600)
def send_due_periodic_job() -> int:
    """The same, every minute."""
    return _send_due()
