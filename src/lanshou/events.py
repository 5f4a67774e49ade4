"""Domain events: what one area tells the others, without knowing who listens.

A use case publishes inside its own transaction. Each subscriber has two moments:
- `during`: runs at once, on the publisher's connection, so what it writes commits or rolls back with the
  change itself (metrics marks the orders it must re-derive; later, notifications queue their messages);
- `after`: runs when the use case calls `settle(engine)` after committing, once per handler with every event
  it subscribed to since the last settle (metrics brings its rollups up to date). After-handlers must be
  idempotent and tolerate an event of a transaction that rolled back: they act on stored state, not on the
  event's word.
A subscriber whose after-handler works from what is committed (marks), not from the events, may also give
an `alongside` handler: a bulk writer (an import) can run it in another process while it stores its next
batches (lanshou.intake.alongside), so less is left for its settle.
Areas subscribe in `lanshou.bootstrap`; a publisher imports nothing of its subscribers.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the bus hands handlers a connection or an engine; it needs no database itself
    from sqlalchemy import Connection, Engine

OrderKey = tuple[int, str]  # (shop id, platform order number)


@dataclass(frozen=True, slots=True)
class CreatedOrder:
    """An order stored for the first time, as the store wrote it (times are naive UTC text, as in
    lanshou.orders.rows): its lines' (SKU, category) and its parcels' (tracking number, carrier, shipped
    time) in the order stored, every parcel new in the same transaction and carrying only orders created
    with it (a parcel several of them name: lanshou.metrics.source.load_created)."""

    key: OrderKey
    status: str
    created_at: str
    paid_at: str | None
    is_presale: bool
    promised_ship_by: str | None
    province: str
    lines: tuple[tuple[str, str], ...]
    parcels: tuple[tuple[str, str, str | None], ...]


@dataclass(frozen=True)
class OrdersChanged:
    """Orders were stored or changed (their fields, lines, parcels, buyer or status), or ride in a parcel
    that changed. An order an import repeats as it was is not among them. `created`: some of the keys'
    orders as just written, when the publisher offers them (a file import does), so that a subscriber
    may work from them instead of reading them back: during-handlers only (after-handlers get the event
    without them, so a long import does not hold every order it created until it settles)."""

    keys: tuple[OrderKey, ...]
    created: tuple[CreatedOrder, ...] = ()


@dataclass(frozen=True)
class OrdersImported:
    """An import named these orders, changed or not (a daily export repeats the ones still open): review
    looks again at those of shops that review automatically (a presale hold may be due by now)."""

    keys: tuple[OrderKey, ...]


@dataclass(frozen=True)
class ShopChanged:
    """A shop's timezone or settings changed: everything derived from its orders must be derived again."""

    shop_ids: tuple[int, ...]


@dataclass(frozen=True)
class ParcelEventsArrived:
    """Carrier tracking events were stored for these tracking numbers (a batch: repeats included).
    `journey_changed`: those whose journey (first scan, the scans up to delivery, delivery, a return) may
    have changed; the others got only events already stored, or events after their delivery that are no
    return; None: all of them may have."""

    tracking_nos: tuple[str, ...]
    journey_changed: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FeedbackArrived:
    """Buyer feedback was stored for these orders."""

    keys: tuple[OrderKey, ...]


@dataclass(frozen=True)
class ParcelStatusChanged:
    """A parcel reached a new normalised status (picked_up, in_transit, out_for_delivery, delivered,
    exception …), told once per change, in event-time order; `at` is the carrier's event time (naive UTC)."""

    tracking_no: str
    carrier: str
    status: str
    previous: str | None
    at: datetime


@dataclass(frozen=True)
class RaisedAlert:
    """One parcel alert (物流预警) just opened: `kind` is lanshou.sla.alerts.AlertKind's value
    (failed_attempt, returned, locker_waiting, stalled, probably_lost, delivery_late, pickup_overdue),
    `since` when the problem began (naive UTC); (tracking_no, kind, since) is the problem's identity."""

    tracking_no: str
    kind: str
    since: datetime
    reason: str
    metric: str


@dataclass(frozen=True)
class AlertsRaised:
    """Alerts were opened (by the scan or by a status change), many to one event: only alerts new in
    the publishing transaction, never one already open or resolved (a rescan publishes nothing)."""

    alerts: tuple[RaisedAlert, ...]


@dataclass(frozen=True)
class OrdersAccepted:
    """Review accepted these orders (automatically or by staff): they may be reserved and shipped."""

    keys: tuple[OrderKey, ...]


@dataclass(frozen=True)
class OrderShipped:
    """The order left with a waybill: its parcel now waits for the carrier's first scan. A split order (拆单)
    leaves in parts: one event per part, `part` its number and `goods` the stock (SKU, quantity) it took;
    part 0 is the whole order."""

    key: OrderKey
    tracking_no: str
    carrier: str
    part: int = 0
    goods: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class StockArrived:
    """Stock became available for these stock SKUs (a count, an adjustment; empty: reserved stock was
    released): orders held for stock may pass now."""

    skus: tuple[str, ...]


@dataclass(frozen=True)
class AfterSalesChanged:
    """After-sales cases of these orders were opened or moved (a refund, a return, an exchange …)."""

    keys: tuple[OrderKey, ...]


@dataclass(frozen=True)
class ReturnReceived:
    """A returned parcel was received and inspected: `disposition` "restock" (back to stock) or "write_off"
    (damaged, lost value); `lines` are (sku, quantity). The inventory ledger subscribes."""

    shop_id: int
    order_no: str
    case_no: str
    disposition: str
    lines: tuple[tuple[str, int], ...]


SETTLE_ROUNDS = 4  # events → after-handlers that publish → … ; a loop beyond this waits for the next settle
During = Callable[["Connection", Any], None]
After = Callable[["Engine", list[Any]], object]
# (engine, stopping) -> how many items it caught up with; it returns once stopping() says so, between its
# transactions, or when nothing committed is left to do
Alongside = Callable[["Engine", Callable[[], bool]], int]


class EventBus:
    def __init__(self) -> None:
        self._during: dict[type, list[During]] = defaultdict(list)
        self._after: list[tuple[tuple[type, ...], After]] = []
        self._alongside: list[Alongside] = []
        self._pending: list[Any] = []
        self._later: list[Callable[[EventBus], object]] = []
        self._wiring = threading.Lock()
        self._wiring_thread: int | None = None
        self.wired = False  # set by lanshou.bootstrap: the areas have subscribed, or will (wire_later)

    def wire_later(self, wiring: Callable[[EventBus], object]) -> None:
        """Run wiring(self) just before the bus is first used (an event published or settled, its handlers
        asked for): a command that writes nothing never imports the areas' handlers (half a second of
        every start, 3 Dec 2026)."""
        self._later.append(wiring)

    def subscribed(self) -> EventBus:
        """The bus with every subscription made: wiring left for later runs now. A wiring leaves the list
        only once done, so another thread finding it still there waits for it (not publishing meanwhile to
        half the handlers)."""
        if self._later:
            if self._wiring_thread == threading.get_ident():
                raise RuntimeError("a wiring used the bus it was wiring")  # it would wait for itself
            with self._wiring:
                self._wiring_thread = threading.get_ident()
                try:
                    while self._later:
                        self._later[0](self)
                        del self._later[0]
                finally:
                    self._wiring_thread = None
        return self

    def during(self, event_type: type, handler: During) -> None:
        self._during[event_type].append(handler)

    def after(self, event_types: Iterable[type], handler: After) -> None:
        self._after.append((tuple(event_types), handler))

    def alongside(self, handler: Alongside) -> None:
        """`handler` catches up with what writers committed so far, needing no event (see the module)."""
        self._alongside.append(handler)

    @property
    def alongside_handlers(self) -> tuple[Alongside, ...]:
        return tuple(self.subscribed()._alongside)

    def with_own_pending(self) -> EventBus:
        """The same subscriptions, with pending events of its own: what is published through it waits for
        its own `settle`, not for whoever settles this bus next (the API's batch ingest settles its batch
        after answering, with the rollups handed to the workers; a page's action settles its own at once)."""
        self.subscribed()
        view = EventBus()
        view._during, view._after, view._alongside = self._during, self._after, self._alongside
        view.wired = self.wired
        return view

    def publish(self, conn: Connection, event: Any) -> None:
        self.subscribed()
        for handler in self._during.get(type(event), ()):
            handler(conn, event)
        self._pending.append(_as_kept(event))

    def settle(self, engine: Engine) -> None:
        """Run the after-handlers on what was published since the last settle (call after committing).
        An after-handler may itself publish (sla opens alerts in a transaction of its own once a status
        change is committed): those events are settled in the same call, for up to SETTLE_ROUNDS rounds."""
        self.subscribed()
        for _ in range(SETTLE_ROUNDS):
            pending, self._pending = self._pending, []
            if not pending:
                return
            for types, handler in self._after:
                mine = [event for event in pending if isinstance(event, types)]
                if mine:
                    handler(engine, mine)

    def clear(self) -> None:
        """Forget every subscription and pending event (tests that wire their own)."""
        self._during.clear()
        self._after.clear()
        self._alongside.clear()
        self._pending.clear()
        self._later.clear()
        self.wired = False


def _as_kept(event: Any) -> Any:
    """The event as it waits for the after-handlers: without what only during-handlers see."""
    if isinstance(event, OrdersChanged) and event.created:
        return OrdersChanged(event.keys)
    return event


bus = EventBus()  # the process's bus, wired by lanshou.bootstrap.start()
