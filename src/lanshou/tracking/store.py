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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, tuple_

from lanshou.db.bulk import Row, insert_new, upsert
from lanshou.orders.keys import CHUNK, OrderKey, by_shop
from lanshou.tracking.tables import parcel_orders, parcels, tracking_events

EVENT_KEY = ("tracking_no", "event_time", "raw_status")
PARCEL_COLUMNS = ("shop_id", "tracking_no", "carrier", "shipped_at")
LINK_COLUMNS = ("tracking_no", "shop_id", "order_no")
# (shop id, order number, the parcels its record names: [(carrier, tracking number, shipped time)])
Shipment = tuple[int, str, Sequence[tuple[str, str, Any]]]
ParcelKey = tuple[int, str]  # (shop id, tracking number)


def save_shipments(
    conn: Connection, shipments: Sequence[Shipment], stored: Collection[OrderKey]
) -> list[OrderKey]:
    """Store the parcels each order's record names and link them to it (see the module's rules).

    `stored` holds the orders among the shipments that were stored before this batch (only they can have
    links to drop). Returns the orders outside the batch that ride in a parcel whose carrier or shipped time
    changed here: what is known about them changed too.
    """
    named: dict[ParcelKey, tuple[str, Any]] = {}  # the last record wins, as for the order's own fields
    wanted: set[tuple[str, int, str]] = set()
    for shop_id, order_no, order_parcels in shipments:
        for carrier, tracking_no, shipped_at in order_parcels:
            named[(shop_id, tracking_no)] = _filled((carrier, shipped_at), named.get((shop_id, tracking_no)))
            wanted.add((tracking_no, shop_id, order_no))
    if not named:
        return []
    changed = _save_parcels(conn, named)
    renamed = [(s, o) for s, o, given in shipments if given and (s, o) in stored]  # only they can drop links
    current = _links_of(conn, renamed)
    stale = current - wanted
    upsert(conn, parcel_orders, sorted(wanted - current), LINK_COLUMNS, (), LINK_COLUMNS)
    for shop_id, numbers in _by_shop_parcel(stale):
        for tracking_no, order_nos in numbers.items():
            conn.execute(
                delete(parcel_orders).where(
                    parcel_orders.c.tracking_no == tracking_no,
                    parcel_orders.c.shop_id == shop_id,
                    parcel_orders.c.order_no.in_(order_nos),
                )
            )
    batch = {(shop_id, order_no) for shop_id, order_no, _ in shipments}
    riders = _orders_carried(conn, changed)
    return sorted(key for key in riders if key not in batch)


def _save_parcels(conn: Connection, named: dict[ParcelKey, tuple[str, Any]]) -> list[ParcelKey]:
    """Insert new parcels, update those whose carrier or shipped time differ; returns the updated ones."""
    known = _stored_parcels(conn, named)
    rows: list[Row] = []
    changed: list[ParcelKey] = []
    for key, given in named.items():  # in the order the records name them: ids follow it
        before = known.get(key)
        carrier, shipped_at = _filled(given, before)
        if before == (carrier, _text(shipped_at)):
            continue
        if before is not None:
            changed.append(key)
        rows.append((*key, carrier, shipped_at))
    upsert(conn, parcels, rows, PARCEL_COLUMNS[:2], PARCEL_COLUMNS[2:], PARCEL_COLUMNS)
    return changed


def _filled(given: tuple[str, Any], known: tuple[str, Any] | None) -> tuple[str, Any]:
    """The given carrier and shipped time, each taken from `known` where the record left it empty."""
    if known is None:
        return given
    return given[0] or known[0], given[1] or known[1]


def _stored_parcels(conn: Connection, keys: Iterable[ParcelKey]) -> dict[ParcelKey, tuple[str, Any]]:
    found: dict[ParcelKey, tuple[str, Any]] = {}
    for shop_id, numbers in by_shop(list(keys)):
        query = select(parcels.c.tracking_no, parcels.c.carrier, parcels.c.shipped_at).where(
            parcels.c.shop_id == shop_id, parcels.c.tracking_no.in_(numbers)
        )
        for tracking_no, carrier, shipped_at in conn.execute(query):
            found[(shop_id, tracking_no)] = (carrier, _text(shipped_at))
    return found


def _text(value: Any) -> Any:
    """A time as the import's rows hold it (text), whether read back as a datetime or given as text."""
    return value.isoformat(" ", "microseconds") if isinstance(value, datetime) else value


def _links_of(conn: Connection, keys: Sequence[OrderKey]) -> set[tuple[str, int, str]]:
    found: set[tuple[str, int, str]] = set()
    for shop_id, numbers in by_shop(keys):
        query = select(parcel_orders.c.tracking_no, parcel_orders.c.order_no).where(
            parcel_orders.c.shop_id == shop_id, parcel_orders.c.order_no.in_(numbers)
        )
        found.update((tracking_no, shop_id, order_no) for tracking_no, order_no in conn.execute(query))
    return found


def _by_shop_parcel(links: Iterable[tuple[str, int, str]]) -> list[tuple[int, dict[str, list[str]]]]:
    grouped: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for tracking_no, shop_id, order_no in sorted(links):
        grouped[shop_id][tracking_no].append(order_no)
    return sorted(grouped.items())


def _orders_carried(conn: Connection, keys: Sequence[ParcelKey]) -> set[OrderKey]:
    found: set[OrderKey] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        query = select(parcel_orders.c.shop_id, parcel_orders.c.order_no).where(
            tuple_(parcel_orders.c.shop_id, parcel_orders.c.tracking_no).in_(chunk)
        )
        found.update((shop_id, order_no) for shop_id, order_no in conn.execute(query))
    return found


def store_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert events not stored yet (same tracking number, time and raw status); returns how many were new."""
    return insert_new(conn, tracking_events, rows, EVENT_KEY)
