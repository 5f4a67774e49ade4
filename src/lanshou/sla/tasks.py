"""SLA jobs: the alert scan every five minutes."""

from __future__ import annotations

from lanshou.jobs import crontab, periodic_job


@periodic_job("sla.scan_alerts", crontab(minute="*/5"), timeout=600)
def scan_alerts_job() -> int:
    """Open and close parcel alerts; returns how many were opened."""
    from lanshou.db.engine import database_for_a_job
    from lanshou.sla.scan import scan_alerts
    from lanshou.tracking.record import utc_now

    with database_for_a_job() as engine:
        return scan_alerts(engine, utc_now()).opened
