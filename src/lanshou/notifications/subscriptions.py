"""How notifications follow orders and parcels: when an order is accepted or shipped, or a parcel reaches a
stage the buyer hears about, the matching messages go into the outbox in the publisher's own transaction
(so they exist exactly when the change does); once it has committed a send job is queued. The queue is a
nudge only: the outbox is the record, and the periodic `notifications.send_due` job sends whatever a lost
nudge left behind."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, and_, exists, select, tuple_

from lanshou.db.engine import run_transaction
from lanshou.events import (
    AlertsRaised,
    EventBus,
    OrdersAccepted,
    OrdersChanged,
    OrderShipped,
    ParcelEventsArrived,
    ParcelStatusChanged,
)
from lanshou.notifications.model import Stage
from lanshou.notifications.outbox import STAGE_OF_STATUS, Trigger, queue_messages
from lanshou.notifications.store import any_enabled_rules
from lanshou.notifications.tables import notify_outbox
from lanshou.orders.tables import orders
from lanshou.tracking.queries import orders_by_parcel
from lanshou.tracking.record import utc_now
from lanshou.tracking.tables import tracking_events

SEND_JOB = "notifications.send_due"
log = logging.getLogger("lanshou.notifications")


def _enqueue_with_configured_queue() -> None:
    from lanshou.jobs import configured_queue

    configured_queue().enqueue(SEND_JOB)


# Replaced in tests; the default opens the queue LANSHOU_QUEUE_URL names.
enqueue_send: Callable[[], None] = _enqueue_with_configured_queue


def subscribe(bus: EventBus) -> None:
    bus.during(ParcelStatusChanged, buffer_parcel_change)
    bus.during(OrderShipped, buffer_shipped)
    bus.during(ParcelEventsArrived, flush)
    bus.during(OrdersChanged, flush)
    bus.during(OrdersAccepted, queue_accepted)
    bus.during(AlertsRaised, queue_alerts)
    bus.after((ParcelStatusChanged, OrdersAccepted, OrderShipped, AlertsRaised), after_commit)


@dataclass
class _Pending:
    """What one publishing transaction told so far and notifications have not queued yet. Holding the
    connection keeps its id from being reused while it waits."""

    conn: Connection
    parcel_changes: list[tuple[str, str]] = field(default_factory=list)  # (tracking number, status)
    shipped: list[Trigger] = field(default_factory=list)


# Parcel changes and shipped orders come many to a transaction (a tracking file, a push of several
# parcels, a shipping batch). They are kept per publishing connection and queued in one batch when the
# same transaction publishes the event that closes its batch: ParcelEventsArrived (lanshou.tracking.record
# publishes it after the changes) or OrdersChanged (shipping publishes it after the OrderShipped events).
_buffered: dict[int, _Pending] = {}


# conn.info: the transaction in which no rule was enabled. A tracking batch publishes thousands of changes;
# asking even the cached any_enabled_rules for each cost ~5% of a tracking import.
NO_RULES_IN = "lanshou.notifications.no_rules_in"


def _pending(conn: Connection) -> _Pending | None:
    """This transaction's buffer; None when no rule is enabled (asked once per transaction: the first
    event's answer stands for the rest of its batch)."""
    pending = _buffered.get(id(conn))
    if pending is not None:
        return pending
    transaction = conn.get_transaction()
    if transaction is not None and conn.info.get(NO_RULES_IN) is transaction:
        return None
    if any_enabled_rules(conn):
        pending = _buffered[id(conn)] = _Pending(conn)
        return pending
    conn.info[NO_RULES_IN] = transaction  # holding it keeps a later transaction from having its identity
    return None


def buffer_parcel_change(conn: Connection, event: ParcelStatusChanged) -> None:
    if event.status in STAGE_OF_STATUS and (pending := _pending(conn)) is not None:
        pending.parcel_changes.append((event.tracking_no, event.status))


def buffer_shipped(conn: Connection, event: OrderShipped) -> None:
    if (pending := _pending(conn)) is not None:
        shop_id, order_no = event.key
        pending.shipped.append(Trigger(shop_id, order_no, Stage.ORDER_SHIPPED))


def flush(conn: Connection, event: object = None) -> None:
    pending = _buffered.pop(id(conn), None)
    if pending is not None:
        _queue(conn, [*pending.shipped, *_parcel_triggers(conn, pending.parcel_changes)])


def queue_accepted(conn: Connection, event: OrdersAccepted) -> None:
    """One event carries the whole batch: queued at once."""
    if any_enabled_rules(conn):
        _queue(conn, [Trigger(shop_id, order_no, Stage.ORDER_ACCEPTED) for shop_id, order_no in event.keys])


def queue_alerts(conn: Connection, event: AlertsRaised) -> None:
    """An alert opened is the exception stage for every order its parcel carries, once per alert kind
    (the outbox key): queued in the transaction that opened it."""
    if not event.alerts or not any_enabled_rules(conn):
        return
    carried = orders_by_parcel(conn, sorted({a.tracking_no for a in event.alerts}))
    _queue(
        conn,
        [
            Trigger(shop_id, order_no, Stage.EXCEPTION, a.tracking_no, a.kind, a.reason)
            for a in event.alerts
            for shop_id, order_no in carried.get(a.tracking_no, [])
        ],
    )


def _parcel_triggers(conn: Connection, changes: list[tuple[str, str]]) -> list[Trigger]:
    """(tracking number, status) → a trigger per order carrying the parcel; on the exception stage the
    carrier's status stands for the alert kind."""
    if not changes:
        return []
    carried = orders_by_parcel(conn, sorted({number for number, _ in changes}))
    triggers = []
    for number, status in changes:
        stage = STAGE_OF_STATUS[status]
        kind = status if stage is Stage.EXCEPTION else ""
        for shop_id, order_no in carried.get(number, []):
            reason = f"承运商状态 carrier status {status}" if kind else ""
            triggers.append(Trigger(shop_id, order_no, stage, number, kind, reason))
    return triggers


def _queue(conn: Connection, triggers: list[Trigger]) -> None:
    if triggers:
        result = queue_messages(conn, triggers, utc_now())
        for failure in result.failures:
            log.warning("notification rule could not decide: %s", failure)


def after_commit(engine: Engine, events: list[Any]) -> None:
    """Queue what a publisher left without its closing event (in a transaction of its own, after the
    fact: idempotent, and only what the database holds: a change that was rolled back is dropped), then
    nudge the sender."""
    url = engine.url.render_as_string(hide_password=True)
    for key, pending in list(_buffered.items()):
        conn = pending.conn
        ended = conn.closed or not conn.in_transaction()  # not another thread's transaction still open
        if ended and conn.engine.url.render_as_string(hide_password=True) == url:
            del _buffered[key]
            run_transaction(engine, partial(_queue_stored, pending=pending))
    nudge_sender(engine, events)


def _queue_stored(conn: Connection, pending: _Pending) -> None:
    changes = pending.parcel_changes
    stored_changes: set[tuple[str, str]] = set()
    if changes:
        t = tracking_events.c
        query = (
            select(t.tracking_no, t.status)
            .where(t.tracking_no.in_(sorted({n for n, _ in changes})), t.status.in_(list(STAGE_OF_STATUS)))
            .distinct()
        )
        stored_changes = {(r.tracking_no, r.status) for r in conn.execute(query)}
    shipped_keys = {(t.shop_id, t.order_no) for t in pending.shipped}
    still_shipped = set(shipped_orders(conn, shipped_keys)) if shipped_keys else set()
    _queue(
        conn,
        [
            *(t for t in pending.shipped if (t.shop_id, t.order_no) in still_shipped),
            *_parcel_triggers(conn, [c for c in changes if c in stored_changes]),
        ],
    )


def shipped_orders(conn: Connection, keys: set[tuple[int, str]]) -> list[tuple[int, str]]:
    o = orders.c
    query = select(o.shop_id, o.order_no).where(
        tuple_(o.shop_id, o.order_no).in_(sorted(keys)), o.status.in_(("shipped", "delivered", "completed"))
    )
    return [(r.shop_id, r.order_no) for r in conn.execute(query)]


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
