"""How notifications follow orders and parcels: when an order is accepted or shipped, or a parcel reaches a
stage the buyer hears about, the matching messages go into the outbox in the publisher's own transaction
(so they exist exactly when the change does); once it has committed a send job is queued. The queue is a
nudge only: the outbox is the record, and the periodic `notifications.send_due` job sends whatever a lost
nudge left behind."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, and_, exists, select

from lanshou.db.engine import run_transaction
from lanshou.events import EventBus, OrdersAccepted, OrderShipped, ParcelEventsArrived, ParcelStatusChanged
from lanshou.notifications.model import Stage
from lanshou.notifications.outbox import STAGE_OF_STATUS, Trigger, queue_messages
from lanshou.notifications.store import any_enabled_rules
from lanshou.notifications.tables import notify_outbox
from lanshou.tracking.queries import orders_by_parcel
from lanshou.tracking.record import utc_now
from lanshou.tracking.tables import tracking_events

if TYPE_CHECKING:
    from lanshou.jobs import JobQueue

SEND_JOB = "notifications.send_due"
log = logging.getLogger("lanshou.notifications")


def _enqueue_with_configured_queue() -> None:
    import os

    from lanshou.config import data_dir
    from lanshou.jobs import QUEUE_NAME_ENV, QUEUE_URL_ENV

    url, name = os.environ.get(QUEUE_URL_ENV) or None, os.environ.get(QUEUE_NAME_ENV) or None
    _job_queue(url, name, str(data_dir()) if url is None else "").enqueue(SEND_JOB)


@lru_cache(maxsize=4)
def _job_queue(url: str | None, name: str | None, where: str) -> JobQueue:
    """One queue (and its connection pool) per configuration for the life of the process; `where` is the
    data dir the default SQLite queue lives in."""
    from lanshou.jobs import open_queue

    del where  # part of the cache key only
    return open_queue(url, name=name)


# Replaced in tests; the default opens the queue LANSHOU_QUEUE_URL names.
enqueue_send: Callable[[], None] = _enqueue_with_configured_queue


def subscribe(bus: EventBus) -> None:
    bus.during(ParcelStatusChanged, buffer_parcel_change)
    bus.during(ParcelEventsArrived, flush_parcel_changes)
    for event_type in (OrdersAccepted, OrderShipped):
        bus.during(event_type, queue_for_event)
    bus.after((ParcelStatusChanged, OrdersAccepted, OrderShipped), after_commit)


# Parcel changes come many to a transaction (a tracking file, a push of several parcels): they are kept
# per publishing connection and queued in one batch when the same transaction publishes
# ParcelEventsArrived (lanshou.tracking.record does, after the changes). Holding the connection keeps
# its id from being reused while it waits.
_buffered: dict[int, tuple[Connection, list[tuple[str, Stage]]]] = {}


def buffer_parcel_change(conn: Connection, event: ParcelStatusChanged) -> None:
    stage = STAGE_OF_STATUS.get(event.status)
    if stage is None or not any_enabled_rules(conn):
        return
    _buffered.setdefault(id(conn), (conn, []))[1].append((event.tracking_no, stage))


def flush_parcel_changes(conn: Connection, event: object = None) -> None:
    entry = _buffered.pop(id(conn), None)
    if entry is not None:
        _queue_parcel_changes(conn, entry[1])


def _queue_parcel_changes(conn: Connection, changes: list[tuple[str, Stage]]) -> None:
    carried = orders_by_parcel(conn, sorted({number for number, _ in changes}))
    triggers = [
        Trigger(shop_id, order_no, stage, number)
        for number, stage in changes
        for shop_id, order_no in carried.get(number, [])
    ]
    _queue(conn, triggers)


def _queue(conn: Connection, triggers: list[Trigger]) -> None:
    if triggers:
        result = queue_messages(conn, triggers, utc_now())
        for failure in result.failures:
            log.warning("notification rule could not decide: %s", failure)


def triggers_of(event: Any) -> list[Trigger]:
    if isinstance(event, OrdersAccepted):
        return [Trigger(shop_id, order_no, Stage.ORDER_ACCEPTED) for shop_id, order_no in event.keys]
    if isinstance(event, OrderShipped):
        shop_id, order_no = event.key
        return [Trigger(shop_id, order_no, Stage.ORDER_SHIPPED)]
    return []


def queue_for_event(conn: Connection, event: Any) -> None:
    if any_enabled_rules(conn):
        _queue(conn, triggers_of(event))


def after_commit(engine: Engine, events: list[Any]) -> None:
    """Queue parcel changes whose publisher sent no ParcelEventsArrived (in a transaction of their own,
    after the fact: idempotent, and only for changes the database holds: a rolled-back one is dropped),
    then nudge the sender."""
    url = engine.url.render_as_string(hide_password=True)
    for key, (conn, changes) in list(_buffered.items()):
        if conn.engine.url.render_as_string(hide_password=True) == url:
            del _buffered[key]
            run_transaction(engine, partial(_queue_stored_changes, changes=changes))
    nudge_sender(engine, events)


def _queue_stored_changes(conn: Connection, changes: list[tuple[str, Stage]]) -> None:
    t = tracking_events.c
    numbers = sorted({number for number, _ in changes})
    stored = {
        (r.tracking_no, STAGE_OF_STATUS[r.status])
        for r in conn.execute(
            select(t.tracking_no, t.status)
            .where(t.tracking_no.in_(numbers), t.status.in_(list(STAGE_OF_STATUS)))
            .distinct()
        )
    }
    _queue_parcel_changes(conn, [change for change in changes if change in stored])


def nudge_sender(engine: Engine, events: list[Any]) -> None:
    """Queue one send job when something is due (never when no rule matched: most shops have none)."""
    o = notify_outbox.c
    with engine.connect() as conn:
        if not any_enabled_rules(conn):
            return
        due = conn.execute(
            select(exists().where(and_(o.state == "pending", o.next_attempt_at <= utc_now())))
        ).scalar()
    if not due:
        return
    try:
        enqueue_send()
    except Exception as exc:  # the periodic job sends it anyway; an import must not fail for a nudge
        log.warning("could not queue %s (the periodic job will send): %s", SEND_JOB, exc)
