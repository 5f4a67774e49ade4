"""Writing parcels, the orders they carry, and carrier events: batched, idempotent (natural keys).

Which orders a parcel carries follows what each order's own record says (every platform export lists all
of an order's tracking numbers on it):
- an order's record names all its parcels: a link it no longer names is dropped (a tracking number the
  merchant corrected moves to the order that names it now);
- a record naming no parcel (an export from before shipping, a lines-only file) leaves the links as they are;
- a tracking number named by several orders carries them all (合并发货), wherever their records come from:
  one order's record never unlinks another order.
The parcel row holds the carrier and shipped time the last record gave; an empty one never blanks what
another record of the same parcel gave (two orders' records of one parcel need not both have them). A
parcel no order names any more stays stored (nothing counts it).

Each parcel also gets a (bare) state row at once (parcel_state: its status folded from its events, see
tracking/state.py), so "no carrier scan yet" is one indexed look-up. An event whose status nothing could read
is stored with its raw status and text and the UNREADABLE status: code above this module sees None.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, delete, select

from lanshou.db.bulk import Row, as_time_text, insert_new_returning, insert_rows, time_text, upsert
from lanshou.db.driver_reads import driver_rows, tuples
from lanshou.db.keyset import ORDER_KEY, PARCEL_KEY, TRACKING_NO, keyset
from lanshou.orders.keys import OrderKey
from lanshou.tracking.state import ParcelState
from lanshou.tracking.status import NORMALISED, TrackingStatus
from lanshou.tracking.tables import parcel_orders, parcel_state, parcels, tracking_events

EVENT_KEY = ("tracking_no", "event_time", "raw_status")
PARCEL_COLUMNS = ("shop_id", "tracking_no", "carrier", "shipped_at")
LINK_COLUMNS = ("tracking_no", "shop_id", "order_no")
# (shop id, order number, the parcels its record names: [(carrier, tracking number, shipped time)])
Shipment = tuple[int, str, Sequence[tuple[str, str, Any]]]
ParcelKey = tuple[int, str]  # (shop id, tracking number)
UNREADABLE = ""  # the status column of an event no table or text rule could read
STATE_COLUMNS = (
    "tracking_no",
    "carrier",
    "status",
    "status_at",
    "status_seen_at",
    "pickup_at",
    "last_event_at",
    "delivered_at",
    "returned_at",
    "finished",
    "eta",
    "pickup_eta",
    "late_after",
    "updated_at",
)


def status_column(status: str | None) -> str:
    return status if status else UNREADABLE


def status_value(column: str | None) -> TrackingStatus | None:
    return TrackingStatus(column) if column in NORMALISED else None


class SavedShipments(NamedTuple):
    changed: list[OrderKey]  # orders whose parcels changed (see save_shipments)
    created: set[ParcelKey]  # parcels stored for the first time


def save_shipments(
    conn: Connection,
    shipments: Sequence[Shipment],
    stored: Collection[OrderKey],
    new: Collection[OrderKey] = (),
) -> SavedShipments:
    """Store the parcels each order's record names and link them to it (see the module's rules).

    `stored` holds the orders among the shipments that were stored before this batch and whose links may
    be dropped; `new` the orders this transaction inserted (they have no link yet: theirs are inserted
    straight, by COPY on PostgreSQL, not merged). Returns the orders whose parcels changed here, in the
    batch or not: those that gained or lost a link, and every order riding in a parcel that gained or lost
    one or whose carrier or shipped time changed (with `stored` empty, every link named counts as gained),
    and the parcels it stored for the first time.
    """
    named: dict[ParcelKey, tuple[str, Any]] = {}  # the last record wins, as for the order's own fields
    wanted: set[tuple[str, int, str]] = set()
    for shop_id, order_no, order_parcels in shipments:
        for carrier, tracking_no, shipped_at in order_parcels:
            named[(shop_id, tracking_no)] = _filled((carrier, shipped_at), named.get((shop_id, tracking_no)))
            wanted.add((tracking_no, shop_id, order_no))
    if not named:
        return SavedShipments([], set())
    changed, created = _save_parcels(conn, named)
    renamed = [(s, o) for s, o, given in shipments if given and (s, o) in stored]  # only they can drop links
    current = _links_of(conn, renamed)
    stale = current - wanted
    added = sorted(wanted - current)
    insert_rows(conn, parcel_orders, [link for link in added if link[1:] in new], LINK_COLUMNS)
    others = [link for link in added if link[1:] not in new]
    upsert(conn, parcel_orders, others, LINK_COLUMNS, (), LINK_COLUMNS)
    for shop_id, numbers in _by_shop_parcel(stale):
        for tracking_no, order_nos in numbers.items():
            conn.execute(
                delete(parcel_orders).where(
                    parcel_orders.c.tracking_no == tracking_no,
                    parcel_orders.c.shop_id == shop_id,
                    parcel_orders.c.order_no.in_(order_nos),
                )
            )
    relinked = stale | set(added)
    # every order a stored parcel that gained or lost a link still carries: the parcel counts under its
    # smallest paid order, at the province of the first that has one, and either may have just come or gone
    # (a parcel new here carries only the orders just linked)
    moved = {(shop_id, number) for number, shop_id, _ in relinked} - created
    linked = {(shop_id, order_no) for _, shop_id, order_no in relinked}
    return SavedShipments(sorted(linked | _orders_carried(conn, sorted(set(changed) | moved))), created)


def _save_parcels(
    conn: Connection, named: dict[ParcelKey, tuple[str, Any]]
) -> tuple[list[ParcelKey], set[ParcelKey]]:
    """Insert new parcels, update those whose carrier or shipped time differ; returns (the updated ones, the
    new ones). A new one goes straight in (COPY on PostgreSQL): should another transaction insert it
    meanwhile, this one fails on the unique key and runs again (lanshou.db.engine.is_transient), finding it
    stored."""
    known = _stored_parcels(conn, named)
    new: list[Row] = []
    updated: list[Row] = []
    changed: list[ParcelKey] = []
    for key, given in named.items():  # in the order the records name them: ids follow it
        before = known.get(key)
        carrier, shipped_at = _filled(given, before)
        if before == (carrier, _text(shipped_at)):
            continue
        if before is None:
            new.append((*key, carrier, shipped_at))
        else:
            changed.append(key)
            updated.append((*key, carrier, shipped_at))
    insert_rows(conn, parcels, new, PARCEL_COLUMNS)
    upsert(conn, parcels, updated, PARCEL_COLUMNS[:2], PARCEL_COLUMNS[2:], PARCEL_COLUMNS)
    now = time_text(datetime.now(UTC).replace(tzinfo=None))  # text, as the records' times: bound as it is
    # a state row for each parcel that has none (events may have come first): looked up, the rest inserted
    # straight (COPY on PostgreSQL; one a concurrent import adds meanwhile fails this batch on the unique key,
    # which then runs again); the first carrier named wins, as in a row-by-row insert
    have = _with_state(conn, [number for _, number in named])
    bare: dict[str, Row] = {}
    for (_, number), (carrier, _) in named.items():
        if number not in have:
            bare.setdefault(number, (number, carrier, now))
    insert_rows(conn, parcel_state, list(bare.values()), ("tracking_no", "carrier", "updated_at"))
    return changed, {key for key in named if key not in known}


def _with_state(conn: Connection, numbers: Sequence[str]) -> set[str]:
    """The numbers among these that have a parcel_state row."""
    s = parcel_state
    k = keyset(conn, ((n,) for n in numbers), TRACKING_NO)
    query = select(s.c.tracking_no).select_from(s.join(k, s.c.tracking_no == k.c.tracking_no))
    return set(conn.execute(query).scalars())


def _filled(given: tuple[str, Any], known: tuple[str, Any] | None) -> tuple[str, Any]:
    """The given carrier and shipped time, each taken from `known` where the record left it empty."""
    if known is None:
        return given
    return given[0] or known[0], given[1] or known[1]


def _stored_parcels(conn: Connection, keys: Iterable[ParcelKey]) -> dict[ParcelKey, tuple[str, Any]]:
    p = parcels
    k = keyset(conn, keys, PARCEL_KEY)
    query = select(p.c.shop_id, p.c.tracking_no, p.c.carrier, p.c.shipped_at).select_from(
        p.join(k, (p.c.shop_id == k.c.shop_id) & (p.c.tracking_no == k.c.tracking_no))
    )
    rows = driver_rows(conn, query)  # a re-import reads every parcel it names: not through SQLAlchemy's rows
    return {(shop_id, number): (carrier, _text(shipped_at)) for shop_id, number, carrier, shipped_at in rows}


def _text(value: Any) -> Any:
    """A time as the import's rows hold it (time_text's text), whether read back as a datetime
    (PostgreSQL), as SQLite keeps it (that text, unless written by hand in another form) or given as text."""
    if isinstance(value, datetime):
        return time_text(value)
    if isinstance(value, str) and value:
        return as_time_text(value)
    return value


def _links_of(conn: Connection, keys: Sequence[OrderKey]) -> set[tuple[str, int, str]]:
    link = parcel_orders
    k = keyset(conn, keys, ORDER_KEY)
    query = select(link.c.tracking_no, link.c.shop_id, link.c.order_no).select_from(
        link.join(k, (link.c.shop_id == k.c.shop_id) & (link.c.order_no == k.c.order_no))
    )
    return set(driver_rows(conn, query))  # (tracking_no, shop_id, order_no)


def _by_shop_parcel(links: Iterable[tuple[str, int, str]]) -> list[tuple[int, dict[str, list[str]]]]:
    grouped: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for tracking_no, shop_id, order_no in sorted(links):
        grouped[shop_id][tracking_no].append(order_no)
    return sorted(grouped.items())


def _orders_carried(conn: Connection, keys: Sequence[ParcelKey]) -> set[OrderKey]:
    link = parcel_orders
    k = keyset(conn, keys, PARCEL_KEY)
    query = select(link.c.shop_id, link.c.order_no).select_from(
        link.join(k, (link.c.shop_id == k.c.shop_id) & (link.c.tracking_no == k.c.tracking_no))
    )
    return {(shop_id, order_no) for shop_id, order_no in conn.execute(query).all()}


def store_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]] | None:
    """Insert events not stored yet (same tracking number, time and raw status); returns (tracking number,
    time, status column, carrier) of those that were new, or None when all were. Rows carry `status` as a
    normalised value, or None/"" when unreadable."""
    if any(not row["status"] for row in rows):
        rows = [{**row, "status": status_column(row["status"])} for row in rows]
    return insert_new_returning(conn, tracking_events, rows, EVENT_KEY, NEW_EVENT_FACTS)


NEW_EVENT_FACTS = ("tracking_no", "event_time", "status", "carrier")


def load_states(conn: Connection, numbers: Iterable[str]) -> dict[str, ParcelState]:
    t = parcel_state
    k = keyset(conn, ((n,) for n in numbers), TRACKING_NO)
    query = select(*(t.c[name] for name in STATE_FIELDS)).select_from(
        t.join(k, t.c.tracking_no == k.c.tracking_no)
    )
    return {
        number: ParcelState(number, carrier, status_value(status), *times)  # in STATE_FIELDS order
        for number, carrier, status, *times in tuples(conn, query)
    }


STATE_FIELDS = tuple(field.name for field in fields(ParcelState))  # each a parcel_state column


def save_states(conn: Connection, states: Sequence[ParcelState], now: datetime) -> None:
    """Upsert the states (every column but polled_at, which only the poller writes)."""
    rows = [
        (
            s.tracking_no,
            s.carrier,
            s.status.value if s.status else None,
            s.status_at,
            s.status_seen_at,
            s.pickup_at,
            s.last_event_at,
            s.delivered_at,
            s.returned_at,
            s.finished,
            s.eta,
            s.pickup_eta,
            s.late_after,
            now,
        )
        for s in states
    ]
    upsert(conn, parcel_state, rows, ["tracking_no"], STATE_COLUMNS[1:], STATE_COLUMNS)
