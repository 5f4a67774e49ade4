"""Polling carriers that do not push: parcels nobody watches are asked about through a tracking source
(the Kuaidi100 real-time query, or any adapter with the same small interface) at a sane cadence, and
what comes back goes through the one write path (record_events).

Configuration (environment): LANSHOU_KUAIDI100_KEY and LANSHOU_KUAIDI100_CUSTOMER (the query account);
LANSHOU_TRACKING_PUSH_CARRIERS, comma-separated carrier codes whose tracking arrives by push ("*": all,
so nothing is polled). A parcel Kuaidi100 is watching (subscription polling/updateall) is never polled.
The parcels asked about are those we shipped and those another area follows (a buyer's return parcel,
lanshou.tracking.followed).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, Engine, Select, false, or_, select, update

from lanshou.carriers.events import TrackEvent
from lanshou.carriers.kuaidi100.client import Kuaidi100Tracking
from lanshou.carriers.kuaidi100.tracking import Kuaidi100Account
from lanshou.db.bulk import insert_new
from lanshou.events import EventBus, bus
from lanshou.tracking.followed import Tracked, first_due
from lanshou.tracking.push import event_row
from lanshou.tracking.record import record_events
from lanshou.tracking.tables import parcel_state, tracking_subscriptions

KEY_ENV = "LANSHOU_KUAIDI100_KEY"
CUSTOMER_ENV = "LANSHOU_KUAIDI100_CUSTOMER"
PUSH_CARRIERS_ENV = "LANSHOU_TRACKING_PUSH_CARRIERS"
WATCHED = ("polling", "updateall", "subscribed")  # Kuaidi100 is pushing these: no need to ask
LOOKBACK_DAYS = 30  # parcels shipped longer ago and still silent are the alerts' business, not the poller's


@dataclass(frozen=True, slots=True)
class Polled:
    ok: bool
    events: tuple[TrackEvent, ...] = ()
    message: str = ""
    unreachable: bool = False  # no answer at all (network): worth a retry of the whole job


class TrackingSource(Protocol):
    """A carrier adapter the poller can ask about one parcel."""

    def serves(self, carrier: str) -> bool: ...

    def query(self, carrier: str, tracking_no: str) -> Polled: ...


class Kuaidi100Source:
    """The Kuaidi100 real-time query, at most one request per `min_interval` seconds (its documented pace)."""

    def __init__(
        self,
        client: Kuaidi100Tracking,
        min_interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client, self.min_interval, self.sleep = client, min_interval, sleep
        self._last = float("-inf")

    def serves(self, carrier: str) -> bool:
        return True  # Kuaidi100 knows every common carrier; an unknown one answers with its own error

    def query(self, carrier: str, tracking_no: str) -> Polled:
        wait = self._last + self.min_interval - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self._last = time.monotonic()
        outcome = self.client.query(carrier, tracking_no)
        if not outcome.ok or outcome.track is None:
            return Polled(False, message=outcome.message, unreachable="网络错误" in outcome.message)
        return Polled(True, outcome.track.events, outcome.message)


class SourceUnavailable(RuntimeError):
    """Every query of a poll run went unanswered: the job fails so the queue retries it later."""


def push_carriers_from_environment() -> frozenset[str]:
    return frozenset(c.strip() for c in os.environ.get(PUSH_CARRIERS_ENV, "").split(",") if c.strip())


def kuaidi100_account_from_environment() -> Kuaidi100Account | None:
    key = os.environ.get(KEY_ENV, "")
    return Kuaidi100Account(key, os.environ.get(CUSTOMER_ENV, "")) if key else None


def due_for_poll(
    engine: Engine, now: datetime, every: timedelta, limit: int, push_carriers: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """(tracking_no, carrier) of unfinished parcels shipped (or followed, lanshou.tracking.followed) in the
    last LOOKBACK_DAYS, not pushed to us, not asked about within `every`; never asked first, then the
    longest ago."""
    if "*" in push_carriers:
        return []
    return first_due(
        engine,
        lambda source: _due_query(source, now, every, limit, push_carriers),
        lambda r: (r.polled_at is not None, r.polled_at or datetime.min, r.tracking_no),  # the query's order
        limit,
    )


def _due_query(
    source: Tracked, now: datetime, every: timedelta, limit: int, push_carriers: frozenset[str]
) -> Select[str, str, datetime]:
    st, sub = parcel_state, tracking_subscriptions
    number = source.tracking_no
    watched = select(sub.c.tracking_no).where(sub.c.state.in_(WATCHED))
    query = (
        select(number.label("tracking_no"), source.carrier.label("carrier"), st.c.polled_at)
        .select_from(source.source.outerjoin(st, st.c.tracking_no == number))
        .where(
            or_(source.since.is_(None), source.since >= now - timedelta(days=LOOKBACK_DAYS)),
            or_(st.c.finished.is_(None), st.c.finished == false()),
            or_(st.c.polled_at.is_(None), st.c.polled_at < now - every),
            number.not_in(watched),
        )
        .order_by(st.c.polled_at.is_not(None), st.c.polled_at, number)
        .limit(limit)
    )
    if push_carriers:
        query = query.where(source.carrier.not_in(sorted(push_carriers)))
    return query


@dataclass(frozen=True)
class PollReport:
    asked: int
    answered: int
    events: int
    failures: tuple[str, ...]


def poll(
    engine: Engine, source: TrackingSource, parcels_due: Sequence[tuple[str, str]], now: datetime,
    events: EventBus = bus,
) -> PollReport:  # fmt: skip
    """Ask about each parcel, store what came back, mark each asked one polled (answered or not)."""
    rows: list[dict[str, object]] = []
    failures: list[str] = []
    asked: list[str] = []
    answered = unreachable = 0
    for number, carrier in parcels_due:
        if not source.serves(carrier):
            continue
        asked.append(number)
        result = source.query(carrier, number)
        if result.ok:
            answered += 1
            rows.extend(event_row(e) for e in result.events if e.tracking_no == number)
        else:
            unreachable += result.unreachable
            failures.append(f"{number}: {result.message}")
    if asked and unreachable == len(asked):
        raise SourceUnavailable(f"查询不可用 tracking source unreachable for all {len(asked)} parcels")
    with engine.begin() as conn:
        if rows:
            record_events(conn, rows, events, now)
        _mark_polled(conn, asked, now)
    events.settle(engine)
    return PollReport(len(asked), answered, len(rows), tuple(failures))


def _mark_polled(conn: Connection, numbers: list[str], now: datetime) -> None:
    """polled_at on the parcels' states; a parcel with no event yet gets a bare state to hold it."""
    insert_new(conn, parcel_state, [{"tracking_no": n, "updated_at": now} for n in numbers], ["tracking_no"])
    for start in range(0, len(numbers), 500):
        conn.execute(
            update(parcel_state)
            .where(parcel_state.c.tracking_no.in_(numbers[start : start + 500]))
            .values(polled_at=now)
        )
