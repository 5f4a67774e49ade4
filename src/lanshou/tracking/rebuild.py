"""Parcel states rebuilt in bulk from the stored carrier events (`lanshou tracking rebuild-state`).

The demo writes its carrier events straight into tracking_events (bulk, fast; routing months of history
through `record_events` made it ~3× slower and would tell buyers of long-past scans), so nothing folded
them into parcel_state. This reads every stored event once, in keyset batches in the order of the events'
unique index (tracking number, time, raw status), folds each parcel with the same pure `advance` as the
write path, sets the ETAs as `record_events` does, and writes the states that differ in bulk. It publishes
nothing: no status change here is news (no notification; alerts come from a scan the caller runs).

A parcel's state equals what `record_events` stores when its events arrive in one batch, given the same
lanes. What events cannot tell is kept from the stored row: the ETA given at pickup (pickup_eta: history,
measured by `tracking eta-accuracy`), the carrier a bare row got from the order, and polled_at. A parcel
with no event gets the bare state the import gives it, so "no carrier scan yet" finds it.
When no lane is measured yet (a fresh database, the demo) the lanes are measured from the folded states
(`refresh_lanes`), then a second pass over the states with a pickup sets their ETAs.

Run it while nothing else records events for the same parcels (on PostgreSQL nothing locks a batch's
parcels against a concurrent `record_events`; on SQLite each batch holds the write lock).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, exists, func, insert, literal, select, tuple_

from lanshou.db.engine import write_transaction
from lanshou.tracking.eta import EtaSettings, Lane, LaneNorm, estimate, norm_for
from lanshou.tracking.lanes import lane_book, refresh_lanes
from lanshou.tracking.queries import lanes_of
from lanshou.tracking.record import STATUS_OF, utc_now
from lanshou.tracking.state import EventFacts, ParcelState, advance
from lanshou.tracking.store import STATE_COLUMNS, load_states, save_states, status_value
from lanshou.tracking.tables import parcel_state, parcels, tracking_events

BATCH = 20_000  # events read per batch (a few thousand parcels): one read, one state look-up, one write
Book = Mapping[Lane, LaneNorm]


@dataclass(frozen=True)
class Rebuilt:
    events: int  # events read
    parcels: int  # tracking numbers with events, folded
    written: int  # state rows inserted or changed (ETA pass included)
    bare: int  # parcels with no event given a bare state
    lanes: int  # lanes measured here; 0 when the stored lanes were used
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "parcels": self.parcels,
            "written": self.written,
            "bare": self.bare,
            "lanes": self.lanes,
            "seconds": round(self.seconds, 3),
        }


def rebuild_states(
    engine: Engine,
    now: datetime | None = None,
    batch: int = BATCH,
    settings: EtaSettings = EtaSettings(),
    lane_days: int = 60,
) -> Rebuilt:
    """Fold every parcel's stored events into its state (see the module); `now` (naive UTC) stamps the rows
    written and ends the window lanes are measured in when none are known (`lane_days` back)."""
    started, now = time.perf_counter(), now or utc_now()
    with engine.connect() as conn:
        book = lane_book(conn)
    events = folded = written = 0
    for group in _parcel_batches(engine, batch):
        with write_transaction(engine) as conn:
            written += _fold(conn, group, book, settings, now)
        events += sum(map(len, group.values()))
        folded += len(group)
    bare = _bare_states(engine, now)
    lanes = 0
    if not book:
        lanes = refresh_lanes(engine, now, lane_days)
        with engine.connect() as conn:
            book = lane_book(conn)
        written += _estimate_stored(engine, book, settings, now, batch)
    return Rebuilt(events, folded, written, bare, lanes, time.perf_counter() - started)


def _parcel_batches(engine: Engine, batch: int) -> Iterator[dict[str, list[EventFacts]]]:
    """Every parcel's events, a batch of whole parcels at a time: the last parcel of a full read may go
    on in the next one, so it is held back until its events end."""
    e = tracking_events
    keys = (e.c.tracking_no, e.c.event_time, e.c.raw_status)  # the events' unique index: the keyset
    query = select(*keys, e.c.status, e.c.carrier).order_by(*keys)
    after: tuple[Any, ...] | None = None
    held: dict[str, list[EventFacts]] = {}
    while True:
        page = query if after is None else query.where(tuple_(*keys) > after)
        with engine.connect() as conn:
            rows = conn.execute(page.limit(batch)).all()
        group, read = held, STATUS_OF.get  # a stored status nothing could read ("") is None
        for number, when, _raw, status, carrier in rows:  # plain tuples: named access costs more
            group.setdefault(number, []).append(EventFacts(when, read(status), carrier))
        if len(rows) < batch:
            if group:
                yield group
            return
        after = rows[-1][:3]
        last = rows[-1][0]
        held = {last: group.pop(last)}
        if group:
            yield group


def _fold(
    conn: Connection, group: dict[str, list[EventFacts]], book: Book, settings: EtaSettings, now: datetime
) -> int:
    """Fold and save one batch of whole parcels; returns how many rows differed from the stored ones."""
    stored = load_states(conn, group)
    states = {}
    for number, facts in group.items():
        before = stored.get(number)
        base = ParcelState(number) if before is None else _kept(before)
        states[number], _ = advance(number, base, facts)
    return _save_changed(conn, _with_etas(conn, states, book, settings), stored, now)


def _kept(stored: ParcelState) -> ParcelState:
    """What of a stored state its events cannot tell: the carrier the order gave, the ETA given at pickup."""
    return ParcelState(stored.tracking_no, stored.carrier, pickup_eta=stored.pickup_eta)


def _with_etas(
    conn: Connection, states: dict[str, ParcelState], book: Book, settings: EtaSettings
) -> dict[str, ParcelState]:
    """Each picked-up parcel's ETA and late mark as `record_events` gives a parcel whose pickup is new; the
    first ETA (pickup_eta) is kept when there is one. No lane measured: no ETA to give."""
    picked = [number for number, state in states.items() if state.pickup_at is not None]
    if not picked or not book:
        return states
    lanes = lanes_of(conn, picked)
    norms: dict[Lane, LaneNorm | None] = {}  # a few thousand lanes for any number of parcels
    for number in picked:
        state = states[number]
        lane = Lane(state.carrier, *lanes.get(number, ("", "")))
        if lane not in norms:
            norms[lane] = norm_for(book, lane, settings.min_parcels)
        guess = estimate(state, norms[lane], settings)
        pickup_eta = state.pickup_eta if state.pickup_eta is not None else guess.lane_eta
        states[number] = replace(state, eta=guess.eta, late_after=guess.late_after, pickup_eta=pickup_eta)
    return states


def _save_changed(
    conn: Connection, states: dict[str, ParcelState], stored: dict[str, ParcelState], now: datetime
) -> int:
    changed = [state for number, state in states.items() if stored.get(number) != state]
    save_states(conn, changed, now)
    return len(changed)


def _bare_states(engine: Engine, now: datetime) -> int:
    """A bare state (carrier only) for every parcel without one, set-based, as the import gives them."""
    p, s = parcels, parcel_state
    missing = (
        select(p.c.tracking_no, func.max(p.c.carrier), literal(now, DateTime()))
        .where(~exists().where(s.c.tracking_no == p.c.tracking_no))
        .group_by(p.c.tracking_no)
    )
    with write_transaction(engine) as conn:
        made = insert(s).from_select(["tracking_no", "carrier", "updated_at"], missing)
        return len(conn.execute(made.returning(s.c.tracking_no)).all())  # psycopg's rowcount here: -1


def _estimate_stored(engine: Engine, book: Book, settings: EtaSettings, now: datetime, batch: int) -> int:
    """The ETA pass once lanes are known: the stored states with a pickup, a keyset batch at a time, their
    ETA given afresh (as the fold gives it); returns how many changed."""
    if not book:
        return 0
    s = parcel_state
    columns = [s.c[name] for name in STATE_COLUMNS if name not in ("finished", "updated_at")]
    query = select(*columns).where(s.c.pickup_at.is_not(None)).order_by(s.c.tracking_no).limit(batch)
    written, last = 0, None
    while True:
        with write_transaction(engine) as conn:
            page = query if last is None else query.where(s.c.tracking_no > last)
            rows = conn.execute(page).all()
            if not rows:
                return written
            stored = {row.tracking_no: _state(row._asdict()) for row in rows}
            fresh = {n: replace(state, eta=None, late_after=None) for n, state in stored.items()}
            written += _save_changed(conn, _with_etas(conn, fresh, book, settings), stored, now)
        last = rows[-1].tracking_no  # the database's order (its collation), not Python's


def _state(values: dict[str, Any]) -> ParcelState:
    values["status"] = status_value(values["status"])
    return ParcelState(**values)
