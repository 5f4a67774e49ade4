"""Keep the metric rollups current: re-derive changed orders and apply the difference as count deltas.

Writers of raw data mark what changed (cheap, batched, in their own transaction); `refresh` re-derives the
marked orders a batch at a time. Orders a file import creates are derived in its own transaction instead,
from what it wrote (`derive_created`: no mark, no read back), when it finds the rollup lock free. For each
order the old derived keys count -1 and the new ones +1, so the rollups always equal a GROUP BY over the
derived rows, and those equal a recompute from the raw tables (tests/test_rollups_property.py proves it with
hypothesis, tests/test_concurrency.py with real processes, tests/test_created_orders.py for created orders).

Several processes refresh at once (each import's settle, a rebuild, the demo writer), so:
- a batch is one transaction holding the rollup lock (lanshou.db.engine.lock_exclusively; on SQLite the
  write transaction itself): only one process applies deltas at a time, and it reads the old derived rows
  under the same lock it writes under, so no two processes subtract the same old rows;
- marks are append-only rows with an id (metrics/tables.py); a batch deletes exactly the marks it read, so
  an import that marks an order again while the batch works leaves it marked for the next one;
- carrier events mark their tracking numbers; a batch resolves them to the orders the parcels carry under
  the lock, so a parcel linked to an order by an import running meanwhile is never missed (either the
  resolution sees the link, or that import's own mark of the order comes after the events);
- whether there are old rows at all (`fresh`: the first build) is decided inside the lock, per batch;
- readers see whole batches only: each is one transaction;
- a big refresh on a machine with a second core runs in two processes, each deriving a batch from a read
  snapshot while the other writes (see "deriving in two processes" below for what keeps that exact).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache, partial
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, insert, literal_column, select

from lanshou.db.bulk import insert_rows, last_id, upsert
from lanshou.db.driver_reads import tuples
from lanshou.db.engine import lock_exclusively, lock_if_free, make_engine, read_snapshot, run_transaction
from lanshou.db.keyset import IDS, ORDER_KEY, PARCEL_KEY, TRACKING_NO, keyset
from lanshou.db.metadata import metadata
from lanshou.db.statistics import analyze_new_tables
from lanshou.events import CreatedOrder
from lanshou.forked import InChild, can_fork_here
from lanshou.gc_pause import gc_paused, paused_for_batches
from lanshou.metrics import tables as mt
from lanshou.metrics.derive import NEVER, derive_order, derive_parcel
from lanshou.metrics.miss_store import derive_misses
from lanshou.metrics.packs import RulePack
from lanshou.metrics.queue_store import derive_queue_row
from lanshou.metrics.rollup_sql import MAIN_RULE
from lanshou.metrics.source import CountedParcel, Loaded, ParcelKey, load_batch, load_created, load_parcels
from lanshou.orders import tables as ot
from lanshou.orders.keys import OrderKey
from lanshou.platforms.values import zone
from lanshou.shops.model import ShopInfo
from lanshou.shops.store import load_shops
from lanshou.tracking.queries import orders_carried, orders_of

BATCH = 2000  # orders per refresh transaction
TRACKING_BATCH = 5000  # tracking-number marks resolved per transaction
LOCK = "lanshou.metrics.rollups"

ROLLUP_KEYS: dict[str, tuple[str, ...]] = {
    "rollup_pickup": (
        "rule",
        "pay_day",
        "carrier",
        "limit_hours",
        "pickup_eday",
        "pickup_on_time",
        "deadline_day",
        "closed",
    ),
    "rollup_promise": ("promise_day", "carrier", "pickup_eday", "by_promise", "closed"),
    "rollup_feedback": ("pay_day", "negative_eday"),
    "rollup_delivery": ("delivered_day", "returned_eday", "bucket"),
    "rollup_delivery_carrier": ("delivered_day", "carrier", "returned_eday"),
    "rollup_delivery_province": ("delivered_day", "province", "returned_eday"),
    "rollup_freshness": ("pickup_day", "carrier", "stale_day"),
}
# these also sum delivery seconds
WITH_SECONDS = ("rollup_delivery", "rollup_delivery_carrier", "rollup_delivery_province")
# the tables a refresh joins its batches' keys with (lanshou.db.statistics)
READ_AND_WRITTEN = (
    "orders", "order_lines", "order_events", "parcels", "parcel_orders", "tracking_events", "feedback",
    "metric_orders", "metric_parcels", "metric_misses", "metric_dirty_orders", "metric_dirty_tracking",
)  # fmt: skip
RulesFor = Callable[[ShopInfo], RulePack]  # the shop's rule pack (lanshou.metrics.packs.pack_for)
Deltas = dict[str, Counter[tuple[Any, ...]]]


# ── marks ───────────────────────────────────────────────────────────────────────────────────────────────


def mark_dirty(conn: Connection, keys: Iterable[OrderKey]) -> None:
    """These orders must be re-derived (in the writer's transaction: a crash never loses the mark)."""
    rows = list(dict.fromkeys(keys))  # each once, in the order given (the refresh sorts what it takes)
    for start in range(0, len(rows), 5000):
        insert_rows(conn, mt.metric_dirty_orders, rows[start : start + 5000], ("shop_id", "order_no"))


def mark_tracking_dirty(conn: Connection, tracking_numbers: Iterable[str]) -> None:
    """Carrier events arrived for these tracking numbers: every order their parcels carry is re-derived."""
    rows = [(number,) for number in sorted(set(tracking_numbers))]
    for start in range(0, len(rows), 5000):
        insert_rows(conn, mt.metric_dirty_tracking, rows[start : start + 5000], ("tracking_no",))


# ── refresh and rebuild ─────────────────────────────────────────────────────────────────────────────────


@dataclass
class _Round:
    done: int  # orders re-derived
    order_marks_upto: int  # marks of orders up to this id are this refresh's to process


def refresh(
    engine: Engine,
    rules_for: RulesFor,
    progress: Callable[[int], None] | None = None,
    two_processes: bool | None = None,
    stopping: Callable[[], bool] | None = None,
) -> int:
    """Re-derive every order marked when it starts (and what its tracking marks resolve to); returns how
    many were processed. Marks added later are left to the writer that added them (it refreshes after
    committing), so an import never waits on another one's work. `two_processes`: a forked child refreshes
    half the marks meanwhile (None: when they are many and this is a bulk job's main thread). `stopping`:
    asked before each batch of the one-process rounds; True returns at once (what is left stays marked)."""
    analyze_new_tables(engine, READ_AND_WRITTEN)  # a first import into a new database: plan its look-ups
    with engine.connect() as conn:
        upto = last_id(conn, mt.metric_dirty_orders)
        tracking_upto = last_id(conn, mt.metric_dirty_tracking)
    done = 0
    tick = progress or (lambda done: None)
    if two_processes is not False:
        while _resolved_a_round(engine, tracking_upto):
            pass  # every tracking mark into order marks first: the two processes share order marks only
        with engine.connect() as conn:
            upto = max(upto, last_id(conn, mt.metric_dirty_orders))
            many = _nth_mark(conn, upto, FORK_FROM - 1) is not None
        if two_processes is None:
            two_processes = many and _may_fork(engine)
    if two_processes:
        done = _refresh_in_two_processes(engine, rules_for, upto, tick)
    while True:  # one process; after two, what they left (orders another refresh took from under them)
        if stopping is not None and stopping():
            return done
        with gc_paused():
            step = run_transaction(engine, partial(_refresh_round, rules_for, upto, tracking_upto))
        if step is None:
            return done
        done += step.done
        upto = max(upto, step.order_marks_upto)
        if step.done:
            tick(done)


def _refresh_round(rules_for: RulesFor, upto: int, tracking_upto: int, conn: Connection) -> _Round | None:
    """One transaction: resolve a batch of tracking marks, else re-derive a batch of orders; None: done."""
    lock_exclusively(conn, LOCK)
    if _resolve_tracking_marks(conn, tracking_upto):
        return _Round(0, last_id(conn, mt.metric_dirty_orders))
    d = mt.metric_dirty_orders
    first = conn.execute(
        select(d.c.shop_id, d.c.order_no).where(d.c.id <= upto).order_by(d.c.id).limit(BATCH)
    ).all()
    if not first:
        return None
    keys = sorted({(shop_id, order_no) for shop_id, order_no in first})
    ids = _mark_ids(conn, keys)  # every mark of these orders committed by now: the facts read next are newer
    write_derived(conn, derive_orders(conn, keys, rules_for), rules_for)
    _delete_ids(conn, d, ids)
    return _Round(len(keys), upto)


def _resolved_a_round(engine: Engine, upto: int) -> bool:
    with gc_paused():  # a round reads thousands of rows: let run, the collector walked them over and over
        return run_transaction(engine, partial(_resolve_round, upto))  # (issue 9's tracking file: 0.8 s)


def _resolve_round(upto: int, conn: Connection) -> bool:
    lock_exclusively(conn, LOCK)
    return _resolve_tracking_marks(conn, upto)


# ── deriving in two processes ───────────────────────────────────────────────────────────────────────────
# With a second core, the marks up to `upto` are cut in two halves by id; a forked child refreshes one half
# while this process refreshes the other. Each derives a batch from a read snapshot, outside the lock, then
# writes it under the lock: so one process derives while the other writes. What keeps that exact:
# - an order is written only when its marks, as the snapshot saw them, are all still there (then they are
#   deleted). A mark gone means another refresh derived the order since, from the same facts or newer ones:
#   the order is left out, and its marks still there are left for the one-process rounds that end the
#   refresh. A fact changed after the snapshot left a newer mark, so no order stays stale;
# - an order the snapshot did not find (marked before it was stored, e.g. by feedback that came first) is
#   left to those rounds too: an import may create it meanwhile and derive it at once, with no mark
#   (derive_created), and writing the snapshot's "no such order" would delete what that import derived;
# - a parcel's row also depends on the other orders it carries, which nothing here marks: it is derived
#   again under the lock unless it carries one order only, that order is written, and it carries the same
#   now (_write_still_marked).

FORK_FROM = 4 * BATCH  # fewer marks: the fork costs more than the overlap gains


def _nth_mark(conn: Connection, upto: int, n: int) -> int | None:
    """The id of the n-th mark (from 0) up to `upto`, in id order; None: there are n or fewer."""
    d = mt.metric_dirty_orders
    nth = select(d.c.id).where(d.c.id <= upto).order_by(d.c.id).offset(n).limit(1)
    return conn.execute(nth).scalar()


def _may_fork(engine: Engine) -> bool:
    """A second core, fork, the main thread (lanshou.forked.can_fork_here) and no connection of the engine
    in use: SQLite keeps its file locks' bookkeeping in the process, so the child must not inherit a
    connection that is in a transaction."""
    return can_fork_here() and engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def _refresh_in_two_processes(
    engine: Engine, rules_for: RulesFor, upto: int, tick: Callable[[int], None]
) -> int:
    d = mt.metric_dirty_orders
    with engine.connect() as conn:
        marked = select(func.count()).select_from(d).where(d.c.id <= upto)
        middle = _nth_mark(conn, upto, conn.execute(marked).scalar_one() // 2)
    if middle is None:
        return 0  # nothing marked
    if engine.dialect.name == "sqlite":
        engine.dispose()  # the child starts with no SQLite connection of ours in its memory at all
    done = 0
    with InChild(_refresh_marked, engine, rules_for, middle, upto, True) as child:
        for written in _refresh_marked(engine, rules_for, 0, middle):
            done += written + sum(child.ready())
            tick(done)
        for written in child.rest():
            done += written
            tick(done)
    return done


def _refresh_marked(
    engine: Engine, rules_for: RulesFor, after: int, upto: int, in_child: bool = False
) -> Iterator[int]:
    """The orders marked with ids after < id <= upto, a batch at a time, derived from a read snapshot and
    written under the lock; yields how many each batch wrote."""
    if in_child:  # an engine of its own: the parent's pooled connections stay the parent's, untouched
        own = make_engine(engine.url.render_as_string(hide_password=False))
        try:
            yield from _refresh_marked(own, rules_for, after, upto)
        finally:
            own.dispose()
        return
    done: set[int] = set()  # marks of orders derived already (an order marked twice is derived once)
    with paused_for_batches() as batch_done:
        while (batch := _derived_from_snapshot(engine, rules_for, after, upto, done)) is not None:
            after, marks, derived = batch
            yield run_transaction(engine, partial(_write_still_marked, rules_for, marks, derived))
            for ids in marks.values():
                done.update(ids)
            batch_done()


Marks = dict[OrderKey, list[int]]  # every mark of each order, as a snapshot saw them


def _derived_from_snapshot(
    engine: Engine, rules_for: RulesFor, after: int, upto: int, done: set[int]
) -> tuple[int, Marks, Derived] | None:
    """The next batch of marks after `after` (up to `upto`, not `done`): the last mark id read, every
    mark of those orders, and the orders derived, all from one read snapshot. None: no mark left."""
    d = mt.metric_dirty_orders
    with read_snapshot(engine) as conn, gc_paused():
        while True:
            query = select(d.c.id, d.c.shop_id, d.c.order_no).where(d.c.id > after, d.c.id <= upto)
            first = conn.execute(query.order_by(d.c.id).limit(BATCH)).all()
            if not first:
                return None
            after = first[-1][0]
            # rows unpacked, not read by attribute: a Row's attribute costs ~10x its index (measured)
            keys = sorted(
                {(shop_id, order_no) for mark_id, shop_id, order_no in first if mark_id not in done}
            )
            if keys:
                break
        return after, _marks_of(conn, keys), derive_orders(conn, keys, rules_for)


def _write_still_marked(rules_for: RulesFor, marks: Marks, derived: Derived, conn: Connection) -> int:
    """Write the batch but the orders another refresh took since its snapshot; returns how many it wrote.
    A parcel is derived again here, from what is stored now, when it carries several orders (a change to
    any of them changes its row, and only that order is marked) or when what it carries changed since the
    snapshot or was taken: only an unchanged parcel of one kept order is written as the snapshot saw it."""
    lock_exclusively(conn, LOCK)
    d = mt.metric_dirty_orders
    k = keyset(conn, [(i,) for ids in marks.values() for i in ids], IDS)
    there = set(conn.execute(select(d.c.id).select_from(d.join(k, d.c.id == k.c.id))).scalars())
    taken = {key for key, ids in marks.items() if not there.issuperset(ids) or key not in derived.orders}
    carried_now = orders_carried(conn, list(derived.carriers))
    again = {
        key
        for key, carried in derived.carriers.items()
        if len(carried) > 1
        or tuple(carried_now.get(key, ())) != carried
        or any((key[0], order_no) in taken for order_no in carried)
    }
    kept = derived.without(taken, again) if taken or again else derived
    _derive_more_parcels(conn, kept, sorted(again), rules_for)
    write_derived(conn, kept, rules_for)
    _delete_ids(conn, d, [i for key in kept.keys for i in marks.get(key, ())])
    return len(kept.keys)


def _resolve_tracking_marks(conn: Connection, upto: int) -> bool:
    t = mt.metric_dirty_tracking
    rows = conn.execute(select(t.c.tracking_no).where(t.c.id <= upto).order_by(t.c.id).limit(TRACKING_BATCH))
    numbers = sorted(set(rows.scalars()))
    if not numbers:
        return False
    k = keyset(conn, [(n,) for n in numbers], TRACKING_NO)
    ids = list(
        conn.execute(select(t.c.id).select_from(t.join(k, t.c.tracking_no == k.c.tracking_no))).scalars()
    )
    mark_dirty(conn, orders_of(conn, numbers))  # events of a parcel no order carries yet: nothing to mark
    _delete_ids(conn, t, ids)
    return True


def _mark_ids(conn: Connection, keys: Sequence[OrderKey]) -> list[int]:
    return [mark_id for ids in _marks_of(conn, keys).values() for mark_id in ids]


def _marks_of(conn: Connection, keys: Sequence[OrderKey]) -> Marks:
    """Every mark of these orders, by order."""
    d = mt.metric_dirty_orders
    k = keyset(conn, keys, ORDER_KEY)
    marks: Marks = defaultdict(list)
    query = select(d.c.id, d.c.shop_id, d.c.order_no).select_from(_joined(d, k, "order_no"))
    for mark_id, shop_id, order_no in conn.execute(query).all():  # fetched at once, not a row per call
        marks[(shop_id, order_no)].append(mark_id)
    return dict(marks)


def _delete_ids(conn: Connection, table: Table, ids: list[int]) -> None:
    if ids:
        k = keyset(conn, [(i,) for i in ids], IDS)
        conn.execute(delete(table).where(table.c.id.in_(select(k.c.id))))


def anything_marked(engine: Engine) -> bool:
    """Whether any order or tracking number waits to be derived: one cheap read, no lock (a caller polling
    for work asks this before a refresh, which takes the rollup lock)."""
    with engine.connect() as conn:
        return any(
            conn.execute(select(table.c.id).limit(1)).first() is not None
            for table in (mt.metric_dirty_orders, mt.metric_dirty_tracking)
        )


def rebuild(
    engine: Engine,
    rules_for: RulesFor,
    progress: Callable[[int], None] | None = None,
    two_processes: bool | None = None,
) -> int:
    """Derive every order again (after a rule or timezone change): one transaction drops every derived row
    and rollup and marks every order, then the refresh runs. Safe beside imports: their marks stay."""
    run_transaction(engine, _clear_and_mark_all)
    return refresh(engine, rules_for, progress, two_processes)


def _clear_and_mark_all(conn: Connection) -> None:
    lock_exclusively(conn, LOCK)
    kept = (mt.metric_orders, mt.metric_parcels, mt.metric_misses, mt.metric_queue)
    for table in (*kept, *rollup_tables().values()):
        conn.execute(delete(table))
    conn.execute(delete(mt.metric_dirty_tracking))  # every order is marked below
    conn.execute(delete(mt.metric_dirty_orders))
    every = select(ot.orders.c.shop_id, ot.orders.c.order_no).order_by(ot.orders.c.id)
    conn.execute(insert(mt.metric_dirty_orders).from_select(["shop_id", "order_no"], every))


def rollup_tables() -> dict[str, Table]:
    return {name: metadata.tables[name] for name in ROLLUP_KEYS}


# ── deriving and writing ────────────────────────────────────────────────────────────────────────────────


@dataclass
class Derived:
    """A batch's new derived rows: orders by key, and every parcel they carry (None: counts nowhere)."""

    keys: Sequence[OrderKey]
    orders: dict[OrderKey, dict[str, Any]] = field(default_factory=dict)
    parcels: dict[ParcelKey, dict[str, Any] | None] = field(default_factory=dict)
    misses: list[dict[str, Any]] = field(
        default_factory=list
    )  # metric_misses rows (lanshou.metrics.miss_store)
    queue: list[dict[str, Any]] = field(default_factory=list)  # metric_queue rows (metrics.queue_store)
    carriers: dict[ParcelKey, tuple[str, ...]] = field(default_factory=dict)  # orders each parcel carried

    def without(self, taken: set[OrderKey], parcels: set[ParcelKey]) -> Derived:
        """The batch less these orders and these parcels."""

        def kept(row: dict[str, Any]) -> bool:
            return (row["shop_id"], row["order_no"]) not in taken

        return Derived(
            [key for key in self.keys if key not in taken],
            {key: row for key, row in self.orders.items() if key not in taken},
            {key: row for key, row in self.parcels.items() if key not in parcels},
            [row for row in self.misses if kept(row)],
            [row for row in self.queue if kept(row)],
            {key: row for key, row in self.carriers.items() if key not in parcels},
        )


def derive_created(conn: Connection, created: Sequence[CreatedOrder], rules_for: RulesFor) -> set[OrderKey]:
    """Derive, in the transaction storing them, orders stored for the first time (lanshou.events.
    CreatedOrder), from what it wrote: an import then leaves nothing of them to its refresh, which would
    mark them, read them all back and derive them. Returns the orders derived: none when another process
    holds the rollup lock (PostgreSQL: the writer marks them instead of waiting)."""
    if not created or not lock_if_free(conn, LOCK):
        return set()
    shops = load_shops(conn)
    keys = [c.key for c in created]
    derived = _derive_loaded(keys, load_created(conn, created, shops), shops, rules_for)
    write_derived(conn, derived, rules_for, created=True)
    return set(keys)


def derive_orders(conn: Connection, keys: Sequence[OrderKey], rules_for: RulesFor) -> Derived:
    """Only reads the raw tables (a bulk job may derive in a read transaction, then write under the lock)."""
    shops = load_shops(conn)
    return _derive_loaded(keys, load_batch(conn, keys, shops), shops, rules_for)


def _derive_loaded(
    keys: Sequence[OrderKey], loaded: Loaded, shops: dict[int, ShopInfo], rules_for: RulesFor
) -> Derived:
    rules = _shop_rules(shops, rules_for)
    out = Derived(keys)
    for (shop_id, order_no), fact in loaded.facts:
        shop_rules, tz = rules[shop_id]
        row = out.orders[(shop_id, order_no)] = {
            "shop_id": shop_id,
            "order_no": order_no,
            **derive_order(fact, shop_rules, tz),
        }
        why = derive_misses(fact, row, shop_rules, tz)
        if why is not None:
            out.misses.append({"shop_id": shop_id, "order_no": order_no, **why})
        waiting = derive_queue_row(fact)
        if waiting is not None:
            out.queue.append({"shop_id": shop_id, "order_no": order_no, **waiting})
    for key, counted in loaded.parcels.items():
        out.parcels[key] = _parcel_row(key, counted, rules[key[0]])
        out.carriers[key] = counted.carried
    return out


def write_derived(conn: Connection, derived: Derived, rules_for: RulesFor, created: bool = False) -> None:
    """Replace the batch's derived rows and move the rollups by the difference. Under the rollup lock: the
    old rows read here are the ones the rollups count. `created`: the orders and their parcels were first
    stored in this transaction, so none has a derived row yet (orders and parcels are never deleted, and
    derived rows are only written for stored ones): nothing old to read."""
    fresh = created or _nothing_derived(conn)
    old_orders: dict[OrderKey, dict[str, Any]] = {}
    old_parcels: dict[ParcelKey, dict[str, Any]] = {}
    if not fresh:
        old_orders, old_parcels = _stored(conn, derived.keys, derived.parcels)
        # a parcel counted under one of these orders that no longer carries it: counted anew, elsewhere
        _derive_more_parcels(conn, derived, [k for k in old_parcels if k not in derived.parcels], rules_for)
    deltas: Deltas = {name: Counter() for name in ROLLUP_KEYS}
    sums: Deltas = {name: Counter() for name in WITH_SECONDS}
    for row in old_orders.values():
        _count_order(deltas, row, -1)
    for row in old_parcels.values():
        _count_parcel(deltas, sums, row, -1)
    for row in derived.orders.values():
        _count_order(deltas, row, +1)
    new_parcels = [row for row in derived.parcels.values() if row is not None]
    for row in new_parcels:
        _count_parcel(deltas, sums, row, +1)
    _delete_keyed(conn, mt.metric_orders, "order_no", list(old_orders))
    _delete_keyed(conn, mt.metric_parcels, "tracking_no", list(old_parcels))
    insert_rows(conn, mt.metric_orders, [_stored_form(row) for row in derived.orders.values()])
    insert_rows(conn, mt.metric_parcels, new_parcels)
    # an order's miss and queue rows exist only beside its metric_orders row (written and cleared with it):
    # only the orders that had one can have them (a first derivation, e.g. of a rebuild, looks for nothing)
    _delete_keyed(conn, mt.metric_misses, "order_no", list(old_orders))
    insert_rows(conn, mt.metric_misses, derived.misses)
    _delete_keyed(conn, mt.metric_queue, "order_no", list(old_orders))
    insert_rows(conn, mt.metric_queue, derived.queue)
    _apply_deltas(conn, deltas, sums)


def _shop_rules(shops: dict[int, ShopInfo], rules_for: RulesFor) -> dict[int, tuple[RulePack, Any]]:
    return {shop_id: (rules_for(shop), zone(shop.timezone)) for shop_id, shop in shops.items()}


def _parcel_row(key: ParcelKey, counted: CountedParcel, rules: tuple[RulePack, Any]) -> dict[str, Any] | None:
    if counted.order_no is None:
        return None  # no paid order carries it: counts nowhere
    row = derive_parcel(counted.fact, *rules)
    if row["pickup_day"] is None:
        return None  # never scanned: it counts in no rollup and no reader looks for it (no row to write)
    shop_id, tracking_no = key
    return {"shop_id": shop_id, "tracking_no": tracking_no, "order_no": counted.order_no, **row}


def _derive_more_parcels(
    conn: Connection, derived: Derived, keys: list[ParcelKey], rules_for: RulesFor
) -> None:
    if not keys:
        return
    rules = _shop_rules(load_shops(conn), rules_for)
    counted = load_parcels(conn, keys)
    for key in keys:
        found = counted.get(key)
        derived.parcels[key] = None if found is None else _parcel_row(key, found, rules[key[0]])


def _nothing_derived(conn: Connection) -> bool:
    """No derived row at all (the first build): nothing old to read or delete."""
    return all(
        conn.execute(select(table.c.shop_id).limit(1)).first() is None
        for table in (mt.metric_orders, mt.metric_parcels)
    )


def _stored(
    conn: Connection, keys: Sequence[OrderKey], parcels: Iterable[ParcelKey]
) -> tuple[dict[OrderKey, dict[str, Any]], dict[ParcelKey, dict[str, Any]]]:
    """The derived rows of these orders, of these parcels, and of the parcels counted under these orders."""
    mo, mp = mt.metric_orders, mt.metric_parcels
    k = keyset(conn, keys, ORDER_KEY)
    orders = _rows_by_key(conn, select(mo).select_from(_joined(mo, k, "order_no")), "order_no")
    for row in orders.values():
        extra = row["extra_m1"]
        row["extra_m1"] = json.loads(extra) if extra != "{}" else {}
    found = _rows_by_key(conn, select(mp).select_from(_joined(mp, k, "order_no")), "tracking_no")
    kp = keyset(conn, parcels, PARCEL_KEY, "kp")
    found.update(_rows_by_key(conn, select(mp).select_from(_joined(mp, kp, "tracking_no")), "tracking_no"))
    return orders, found


def _rows_by_key(conn: Connection, query: Any, column: str) -> dict[tuple[int, str], dict[str, Any]]:
    """Rows as dicts by (shop_id, `column`): zipped with the column names (a RowMapping copies slower)."""
    names = tuple(c.name for c in query.selected_columns)
    shop, other = names.index("shop_id"), names.index(column)
    return {(row[shop], row[other]): dict(zip(names, row, strict=True)) for row in tuples(conn, query)}


def _joined(table: Any, k: Any, column: str) -> Any:
    """The table joined on a key set (lanshou.db.keyset) of (shop_id, `column`)."""
    return table.join(k, (table.c.shop_id == k.c.shop_id) & (table.c[column] == k.c[column]))


def _delete_keyed(conn: Connection, table: Table, column: str, keys: list[tuple[int, str]]) -> None:
    if not keys:
        return
    k = keyset(conn, keys, ORDER_KEY if column == "order_no" else PARCEL_KEY)
    if conn.dialect.name == "postgresql":  # DELETE … USING unnest(…) AS k WHERE …
        conn.execute(delete(table).where(table.c.shop_id == k.c.shop_id, table.c[column] == k.c[column]))
        return
    # SQLite has no DELETE … USING: the rows' rowids, found by the join (a row-value IN would search
    # the index by shop alone)
    hit = table.alias("hit")
    rowids: Any = select(literal_column("hit.rowid")).select_from(_joined(hit, k, column))
    conn.execute(delete(table).where(literal_column("rowid").in_(rowids)))


def _stored_form(order: dict[str, Any]) -> dict[str, Any]:
    extra = order["extra_m1"]
    return {**order, "extra_m1": _extra_json(tuple(extra.items())) if extra else "{}"}  # most packs have none


@lru_cache(maxsize=4096)
def _extra_json(items: tuple[tuple[str, tuple[int, bool, str]], ...]) -> str:
    """An order's extra M1 limits as stored: few distinct values (a limit, on time or not, a deadline day)
    shared by many orders, so each is encoded once (json.dumps was ~9 µs an order)."""
    return json.dumps(dict(items))


def _count_order(deltas: Deltas, order: dict[str, Any], sign: int) -> None:
    """The order's rollup keys move by `sign`: its M1 row under the pack's limit and one per extra limit
    (e.g. Taobao's 48 h block), its promise row and its feedback row (keys in ROLLUP_KEYS order)."""
    pay_day = order["pay_day"]
    if pay_day is None:
        return
    shop_id = order["shop_id"]
    deltas["rollup_feedback"][(shop_id, pay_day, order["negative_eday"] or NEVER)] += sign
    carrier, pickup_eday, closed = order["carrier"], order["pickup_eday"], order["closed"]
    if order["limit_hours"] is not None:
        pickup = deltas["rollup_pickup"]
        main = (MAIN_RULE, pay_day, carrier, order["limit_hours"], pickup_eday, order["pickup_on_time"])
        pickup[(shop_id, *main, order["deadline_day"], closed)] += sign
        for name, (limit, on_time, deadline) in order["extra_m1"].items():
            extra = (shop_id, name, pay_day, carrier, limit, pickup_eday, on_time)
            pickup[(*extra, date.fromisoformat(deadline), closed)] += sign
    if order["promise_day"] is not None:
        promise = (shop_id, order["promise_day"], carrier, pickup_eday, order["by_promise"], closed)
        deltas["rollup_promise"][promise] += sign


def _count_parcel(deltas: Deltas, sums: Deltas, parcel: dict[str, Any], sign: int) -> None:
    if parcel["pickup_day"] is None:
        return
    deltas["rollup_freshness"][_FRESHNESS_KEY(parcel)] += sign
    if parcel["delivered_day"] is not None:
        seconds = sign * parcel["duration_s"]
        for name, key_of in _DELIVERY_KEYS:
            key = key_of(parcel)
            deltas[name][key] += sign
            sums[name][key] += seconds


# a parcel row's key in each rollup it counts in, its shop first (an itemgetter: a generator of the
# columns cost ~3x, measured, and a refresh counts every parcel twice, old and new)
_FRESHNESS_KEY = itemgetter("shop_id", *ROLLUP_KEYS["rollup_freshness"])
_DELIVERY_KEYS = tuple((name, itemgetter("shop_id", *ROLLUP_KEYS[name])) for name in WITH_SECONDS)


def _apply_deltas(conn: Connection, deltas: Deltas, sums: Deltas) -> None:
    for name, counter in deltas.items():
        table = metadata.tables[name]
        columns = ("shop_id", *ROLLUP_KEYS[name])
        seconds = sums.get(name)
        rows: list[tuple[Any, ...]] = []
        for key, n in counter.items():
            total = seconds.get(key, 0.0) if seconds is not None else None
            if n == 0 and not total:
                continue
            rows.append((*key, n, total) if seconds is not None else (*key, n))
        added = ("n", "sum_s") if seconds is not None else ("n",)
        upsert(conn, table, rows, columns, columns=(*columns, *added), add=added)
