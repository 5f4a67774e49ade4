"""Tracking jobs: poll the parcels no carrier pushes (every 15 minutes, retried when the source is down),
re-measure the lanes the ETAs come from (daily) and ingest the pushes waiting in the inbox (when the push
endpoint nudges, and every minute)."""

from __future__ import annotations

import logging
from datetime import timedelta

from lanshou.jobs import crontab, job, periodic_job

POLL_EVERY = timedelta(hours=4)  # Kuaidi100 itself re-checks a watched parcel about every 4 h
POLL_LIMIT = 600  # parcels per run: 10 minutes at the real-time query's 1 request/s
DRAIN_SECONDS = 300.0  # one drain job gives way after this (the next nudge or minute goes on)
log = logging.getLogger("lanshou.tracking.jobs")


@periodic_job(
    "tracking.poll", crontab(minute="*/15"), retries=3, retry_delay=120, retry_backoff=2, timeout=840
)
def poll_job() -> int:
    """Ask the Kuaidi100 real-time query about due parcels; returns how many answered."""
    from lanshou.carriers.kuaidi100.client import Kuaidi100Tracking
    from lanshou.carriers.transport import FormTransport
    from lanshou.db.engine import database_for_a_job
    from lanshou.tracking.polling import (
        Kuaidi100Source,
        due_for_poll,
        kuaidi100_account_from_environment,
        poll,
        push_carriers_from_environment,
    )
    from lanshou.tracking.record import utc_now

    account = kuaidi100_account_from_environment()
    if account is None:
        log.info("tracking.poll: no LANSHOU_KUAIDI100_KEY configured, nothing polled")
        return 0
    now = utc_now()
    with database_for_a_job() as engine:
        due = due_for_poll(engine, now, POLL_EVERY, POLL_LIMIT, push_carriers_from_environment())
        with FormTransport() as transport:
            report = poll(engine, Kuaidi100Source(Kuaidi100Tracking(account, transport)), due, now)
        return report.answered


@periodic_job("tracking.refresh_lanes", crontab(minute="20", hour="3"), retries=1, retry_delay=600)
def refresh_lanes_job() -> int:
    """Re-measure every lane from the last 60 days of deliveries; returns how many lanes are known."""
    from lanshou.db.engine import database_for_a_job
    from lanshou.tracking.lanes import refresh_lanes
    from lanshou.tracking.record import utc_now

    with database_for_a_job() as engine:
        return refresh_lanes(engine, utc_now())


@periodic_job("tracking.subscribe", crontab(minute="*/10"), retries=2, retry_delay=300)
def subscribe_job() -> int:
    """Subscribe new parcels (and aborted ones now due) for Kuaidi100 pushes; returns how many were taken."""
    from lanshou.carriers.kuaidi100.client import Kuaidi100Tracking
    from lanshou.carriers.transport import FormTransport
    from lanshou.db.engine import database_for_a_job
    from lanshou.tracking.polling import kuaidi100_account_from_environment
    from lanshou.tracking.record import utc_now
    from lanshou.tracking.subscribing import SubscribeSettings, due_for_subscription, subscribe_parcels

    account, settings = kuaidi100_account_from_environment(), SubscribeSettings.from_environment()
    if account is None or settings is None:
        return 0
    now = utc_now()
    with database_for_a_job() as engine:
        due = due_for_subscription(engine, now, 500)
        with FormTransport() as transport:
            return subscribe_parcels(engine, Kuaidi100Tracking(account, transport), settings, due, now)


def _drain() -> int:
    from lanshou.db.engine import database_for_a_job
    from lanshou.tracking.inbox import drain_inbox

    with database_for_a_job() as engine:
        return drain_inbox(engine, max_seconds=DRAIN_SECONDS).pushes


@job("tracking.drain_inbox", timeout=600)
def drain_inbox_job() -> int:
    """Ingest the carrier pushes waiting in the inbox (queued by the push endpoint); returns how many."""
    return _drain()


@periodic_job("tracking.drain_inbox_periodic", crontab(minute="*"), timeout=600)
def drain_inbox_periodic_job() -> int:
    """The same, every minute (a lost nudge, a push stored while no worker ran)."""
    return _drain()
