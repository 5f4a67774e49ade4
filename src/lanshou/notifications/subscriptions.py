"""How notifications follow orders and parcels: when an order is accepted or shipped, or a parcel reaches a
stage the buyer hears about, the matching messages go into the outbox in the publisher's own transaction
(so they exist exactly when the change does); once it has committed a send job is queued. The queue is a
nudge only: the outbox is the record, and the periodic `notifications.send_due` job sends whatever a lost
nudge left behind."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, and_, exists, select

from lanshou.events import EventBus, OrdersAccepted, OrderShipped, ParcelStatusChanged
from lanshou.notifications.model import Stage
from lanshou.notifications.outbox import STAGE_OF_STATUS, Trigger, queue_messages
from lanshou.notifications.store import any_enabled_rules
from lanshou.notifications.tables import notify_outbox
from lanshou.tracking.queries import orders_by_parcel
from lanshou.tracking.record import utc_now

SEND_JOB = "notifications.send_due"
log = logging.getLogger("lanshou.notifications")


def _enqueue_with_configured_queue() -> None:
    from lanshou.jobs import open_queue

    open_queue().enqueue(SEND_JOB)


# Replaced in tests; the default opens the queue LANSHOU_QUEUE_URL names.
enqueue_send: Callable[[], None] = _enqueue_with_configured_queue


def subscribe(bus: EventBus) -> None:
    for event_type in (ParcelStatusChanged, OrdersAccepted, OrderShipped):
        bus.during(event_type, queue_for_event)
    bus.after((ParcelStatusChanged, OrdersAccepted, OrderShipped), nudge_sender)


def triggers_of(conn: Connection, event: Any) -> list[Trigger]:
    if isinstance(event, OrdersAccepted):
        return [Trigger(shop_id, order_no, Stage.ORDER_ACCEPTED) for shop_id, order_no in event.keys]
    if isinstance(event, OrderShipped):
        shop_id, order_no = event.key
        return [Trigger(shop_id, order_no, Stage.ORDER_SHIPPED)]
    if isinstance(event, ParcelStatusChanged):
        stage = STAGE_OF_STATUS.get(event.status)
        if stage is None:
            return []
        carried = orders_by_parcel(conn, [event.tracking_no]).get(event.tracking_no, [])
        return [Trigger(shop_id, order_no, stage, event.tracking_no) for shop_id, order_no in carried]
    return []


def queue_for_event(conn: Connection, event: Any) -> None:
    if isinstance(event, ParcelStatusChanged) and event.status not in STAGE_OF_STATUS:
        return
    if not any_enabled_rules(conn):
        return
    triggers = triggers_of(conn, event)
    if triggers:
        result = queue_messages(conn, triggers, utc_now())
        for failure in result.failures:
            log.warning("notification rule could not decide: %s", failure)


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
