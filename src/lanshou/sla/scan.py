"""The alert scan: indexed selections of the parcels that may be in trouble, the pure rules
(lanshou.sla.alerts), then alerts opened for new problems and closed where the problem is gone.

Runs every few minutes as a job (`sla.scan_alerts`), and at once for the parcels whose status just became
a failed attempt or a return (subscription on ParcelStatusChanged). Only candidates are read: parcels
silent longer than the smallest gap of any shop, past their lane's late mark, waiting at a locker, and
parcels of open paid orders with no scan — never the whole in-transit table.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from lanshou.events import EventBus, bus
from lanshou.metrics.facts import OrderFact
from lanshou.metrics.packs import RulePack, pack_for
from lanshou.metrics.rules import pickup_deadline, promised_ship_time
from lanshou.shops.model import ShopInfo
from lanshou.shops.store import load_shops
from lanshou.sla.alert_store import (
    close_alerts,
    close_cleared,
    open_alerts_of,
    raise_alerts,
    read_mark,
    write_mark,
)
from lanshou.sla.alerts import ON_STATUS, SCANNED, AlertKind, Finding, ParcelWatch, Thresholds, findings
from lanshou.tracking.queries import (
    UnscannedParcel,
    WatchRow,
    Window,
    parcels_in_trouble,
    unscanned_parcels,
    watches_of,
)

SCAN_MARK = "alerts"
PICKUP_LOOKBACK_DAYS = 15  # orders paid longer ago than this are the at-risk queue's and metrics' business
CLEARED = "问题已消失 cleared: the parcel's state no longer shows it"


@dataclass(frozen=True)
class ScanResult:
    candidates: int
    opened: int
    closed: int
    seconds: float


def _thresholds(shops: dict[int, ShopInfo]) -> dict[int | None, Thresholds]:
    found: dict[int | None, Thresholds] = {
        shop_id: Thresholds.of(pack_for(info)) for shop_id, info in shops.items()
    }
    if found:  # a parcel no order carries yet is watched with the strictest numbers of any shop
        found[None] = Thresholds(*(min(getattr(t, f) for t in found.values()) for f in Thresholds.__slots__))
    return found


def _watch(row: WatchRow) -> ParcelWatch:
    return ParcelWatch(
        row.tracking_no,
        row.carrier,
        row.status,
        row.status_at,
        row.pickup_at,
        row.last_event_at,
        row.finished,
        row.late_after,
        row.shop_id,
    )


def _pickup_deadline(parcel: UnscannedParcel, shop: ShopInfo, pack: RulePack) -> datetime | None:
    """The earlier of the order's M1 deadline (pay + L, by its categories) and its promised ship time."""
    order = OrderFact(
        shop.platform,
        shop.shop,
        parcel.order_no,
        "paid",
        parcel.paid_at,
        parcel.paid_at,
        parcel.is_presale,
        parcel.promised_ship_by,
        categories=parcel.categories,
    )
    deadlines = [d for d in (pickup_deadline(order, pack), promised_ship_time(order, pack)) if d is not None]
    return min(deadlines, default=None)


def _evaluate(
    watches: Sequence[WatchRow],
    unscanned: Sequence[UnscannedParcel],
    shops: dict[int, ShopInfo],
    now: datetime,
) -> tuple[list[Finding], dict[str, str], dict[str, int | None]]:
    limits = _thresholds(shops)
    found: list[Finding] = []
    carriers: dict[str, str] = {}
    shop_of: dict[str, int | None] = {}
    for row in watches:
        t = limits.get(row.shop_id) or limits.get(None)
        if t is not None:
            found.extend(findings(_watch(row), t, now))
            carriers[row.tracking_no], shop_of[row.tracking_no] = row.carrier, row.shop_id
    deadlines: dict[str, datetime] = {}
    packs = {shop_id: pack_for(info) for shop_id, info in shops.items()}
    for parcel in unscanned:  # a parcel on several orders answers to the earliest deadline
        deadline = _pickup_deadline(parcel, shops[parcel.shop_id], packs[parcel.shop_id])
        if deadline is not None and (
            parcel.tracking_no not in deadlines or deadline < deadlines[parcel.tracking_no]
        ):
            deadlines[parcel.tracking_no] = deadline
            carriers[parcel.tracking_no], shop_of[parcel.tracking_no] = parcel.carrier, parcel.shop_id
    for parcel in unscanned:
        if parcel.tracking_no in deadlines:
            watch = ParcelWatch(parcel.tracking_no, parcel.carrier, None, None, None, None, False, None)
            found.extend(findings(watch, limits[parcel.shop_id], now, deadlines.pop(parcel.tracking_no)))
    return found, carriers, shop_of


def _reconcile(
    conn: Connection,
    found: list[Finding],
    carriers: dict[str, str],
    shop_of: dict[str, int | None],
    now: datetime,
    numbers: Sequence[str] | None,
    kinds: Collection[AlertKind] = tuple(AlertKind),
    events: EventBus = bus,
) -> tuple[int, int]:
    """Open what is new; close the open scanned alerts (of `numbers`, or all) the findings no longer show.
    Only alerts of `kinds` are looked at."""
    current = {(f.tracking_no, f.kind.value): f for f in found if f.kind in kinds}
    stale = []
    known = set()
    for alert in open_alerts_of(conn, [k.value for k in kinds], numbers):
        finding = current.get((alert.tracking_no, alert.kind))
        if finding is not None and finding.since == alert.since:
            known.add((alert.tracking_no, alert.kind))
        elif alert.kind in SCANNED:
            stale.append(alert.id)  # gone, or a new instance of it (moved, then stalled again)
    close_alerts(conn, stale, now, CLEARED)
    fresh = [f for key, f in current.items() if key not in known]
    return raise_alerts(conn, fresh, carriers, shop_of, now, events), len(stale)


def _windows(
    limits: dict[int | None, Thresholds], since: datetime | None, now: datetime
) -> tuple[list[Window], Window, Window, Window | None]:
    """Where a parcel's trouble began in (since, now]: its last event in (since - gap, now - gap] for the
    stalled and the lost thresholds, its late mark, its arrival at a locker, a problem status. Per-shop
    thresholds differ, so each window spans the widest and narrowest of them; the rules then judge exactly."""

    def back(field: str) -> Window:
        values = [getattr(t, field) for t in limits.values()]
        low = None if since is None else since - timedelta(hours=max(values))
        return low, now - timedelta(hours=min(values))

    silent = [back("gap_hours"), back("lost_after_hours")]
    if since is None:
        silent = silent[:1]  # open at the bottom: the gap window holds the lost ones too
    return silent, back("late_grace_hours"), back("locker_wait_hours"), (since, now) if since else None


def _unscanned(
    conn: Connection,
    shops: dict[int, ShopInfo],
    limits: dict[int | None, Thresholds],
    since: datetime | None,
    now: datetime,
) -> list[UnscannedParcel]:
    """Parcels waiting for their first scan whose pickup alert may begin in (since, now]: the warning
    starts `pickup_warning_hours` before the deadline, pay + a pickup limit or the promise."""
    lookback = now - timedelta(days=PICKUP_LOOKBACK_DAYS)
    if since is None:
        return unscanned_parcels(conn, [(None, now)], lookback_from=lookback)
    packs = [pack_for(info) for info in shops.values()]
    limits_h = {h for p in packs for h in (p.limit_hours, p.long_limit_hours, p.default_promise_hours)}
    warnings = {t.pickup_warning_hours for t in limits.values()}
    # pay + L - W in (since, now]  <=>  pay in (since - L + W, now - L + W], for each limit L and warning W
    paid = [
        (since - timedelta(hours=h - w), now - timedelta(hours=h - w)) for h in limits_h for w in warnings
    ]
    promised = [(since + timedelta(hours=w), now + timedelta(hours=w)) for w in warnings]
    return unscanned_parcels(conn, paid, promised, lookback)


def scan_alerts(engine: Engine, now: datetime, *, full: bool = False, events: EventBus = bus) -> ScanResult:
    """Raise the alerts of `now` (naive UTC) and close those gone. After the first (full) scan each run
    looks only at parcels whose trouble began since the previous run, plus every parcel still waiting
    for its first scan; `full=True` looks at every parcel in transit again. The alerts opened are told
    (AlertsRaised) in the scan's transaction and settled once it has committed."""
    started = time.perf_counter()
    with engine.begin() as conn:
        shops = load_shops(conn)
        limits = _thresholds(shops)
        if not limits:
            return ScanResult(0, 0, 0, time.perf_counter() - started)
        since = None if full else read_mark(conn, SCAN_MARK)
        since = since if since is None or since < now else now
        silent, late, waiting, statuses = _windows(limits, since, now)
        watches = parcels_in_trouble(conn, silent, late, waiting, sorted(ON_STATUS), statuses)
        unscanned = _unscanned(conn, shops, limits, since, now)
        found, carriers, shop_of = _evaluate(watches, unscanned, shops, now)
        closed = 0 if since is None else close_cleared(conn, since, now, CLEARED)
        numbers = None if since is None else sorted({*carriers, *(w.tracking_no for w in watches)})
        opened, stale = _reconcile(conn, found, carriers, shop_of, now, numbers, events=events)
        write_mark(conn, SCAN_MARK, max(now, since or now))
    events.settle(engine)
    return ScanResult(len(watches) + len(unscanned), opened, closed + stale, time.perf_counter() - started)


def scan_parcels(engine: Engine, numbers: Sequence[str], now: datetime) -> ScanResult:
    """Raise the alerts the current status of these parcels is (failed attempt, return); the time-based
    kinds are the periodic scan's, judged at its own `now`. Called from an after-handler: the bus's
    settle, already running, settles the AlertsRaised it publishes."""
    started = time.perf_counter()
    kinds = set(ON_STATUS.values())
    with engine.begin() as conn:
        shops = load_shops(conn)
        watches = watches_of(conn, numbers)
        found, carriers, shop_of = _evaluate(watches, [], shops, now)
        opened, closed = _reconcile(conn, found, carriers, shop_of, now, list(numbers), kinds)
    return ScanResult(len(watches), opened, closed, time.perf_counter() - started)
