"""Parcel alerts (物流预警): pure rules from a parcel's state, its order deadline and the shop's pack.

Each finding names the parcel, the kind, when the problem began (`since`: with the kind, the problem's
identity, so a rescan finds the same one), the deadline it threatens (`due_at`), the metric it threatens
and a reason a person can act on. Thresholds are the rule pack's (`[alerts]`, `freshness_gap_hours`).

Kinds: pickup_overdue (waybill issued, no scan, deadline near or past) · stalled (轨迹停滞, silent longer
than the pack's gap) · probably_lost (silent for days; replaces stalled) · delivery_late (past the lane's
measured p90) · locker_waiting (at a locker or station too long) · failed_attempt · returned (returning,
refused or returned). The last two are facts that happened: raised when the status arrives, closed by staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from lanshou.metrics.packs import RulePack
from lanshou.tracking.status import TrackingStatus as T


class AlertKind(StrEnum):
    PICKUP_OVERDUE = "pickup_overdue"
    STALLED = "stalled"
    PROBABLY_LOST = "probably_lost"
    DELIVERY_LATE = "delivery_late"
    LOCKER_WAITING = "locker_waiting"
    FAILED_ATTEMPT = "failed_attempt"
    RETURNED = "returned"


# The METRICS.md block each kind threatens.
THREATENS: dict[AlertKind, str] = {
    AlertKind.PICKUP_OVERDUE: "pay_to_pickup",
    AlertKind.STALLED: "tracking_freshness",
    AlertKind.PROBABLY_LOST: "shipping_negative_feedback",
    AlertKind.DELIVERY_LATE: "delivery_hours",
    AlertKind.LOCKER_WAITING: "delivery_hours",
    AlertKind.FAILED_ATTEMPT: "delivery_hours",
    AlertKind.RETURNED: "shipping_negative_feedback",
}
# Kinds the scan decides from the parcel's state: it also closes them once the state no longer warrants them.
SCANNED = frozenset(
    {
        AlertKind.PICKUP_OVERDUE,
        AlertKind.STALLED,
        AlertKind.PROBABLY_LOST,
        AlertKind.DELIVERY_LATE,
        AlertKind.LOCKER_WAITING,
    }
)
# Statuses that raise an alert the moment they arrive.
ON_STATUS: dict[str, AlertKind] = {
    T.FAILED_ATTEMPT.value: AlertKind.FAILED_ATTEMPT,
    T.RETURNING.value: AlertKind.RETURNED,
    T.REJECTED.value: AlertKind.RETURNED,
    T.RETURNED.value: AlertKind.RETURNED,
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    gap_hours: float
    lost_after_hours: float
    locker_wait_hours: float
    late_grace_hours: float
    pickup_warning_hours: float

    @classmethod
    def of(cls, pack: RulePack) -> Thresholds:
        return cls(
            pack.freshness_gap_hours,
            pack.lost_after_hours,
            pack.locker_wait_hours,
            pack.late_grace_hours,
            pack.pickup_warning_hours,
        )


@dataclass(frozen=True, slots=True)
class ParcelWatch:
    """What the rules read of a parcel (naive UTC): its state, or the parcel alone before any event."""

    tracking_no: str
    carrier: str
    status: str | None
    status_at: datetime | None
    pickup_at: datetime | None
    last_event_at: datetime | None
    finished: bool
    late_after: datetime | None
    shop_id: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    tracking_no: str
    kind: AlertKind
    since: datetime
    due_at: datetime | None
    reason: str

    @property
    def metric(self) -> str:
        return THREATENS[self.kind]


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f}"


def findings(
    parcel: ParcelWatch, t: Thresholds, now: datetime, pickup_deadline: datetime | None = None
) -> list[Finding]:
    """The problems the parcel has at `now`. `pickup_deadline`: its order's (earliest) pickup deadline."""
    on_status = None
    if parcel.status is not None and parcel.status_at is not None:
        on_status = status_finding(parcel.tracking_no, parcel.status, parcel.status_at)
    found = [on_status] if on_status is not None else []
    if parcel.finished:
        return found  # a returned parcel still needs staff; a delivered one needs nobody
    if parcel.pickup_at is None:
        return found + _pickup(parcel, t, now, pickup_deadline)
    if parcel.status == T.AVAILABLE_FOR_PICKUP.value and parcel.status_at is not None:
        waited = now - parcel.status_at
        if waited > timedelta(hours=t.locker_wait_hours):
            h = _hours(waited)
            reason = f"在驿站/快递柜等待 {h} 小时未取 waiting at a locker or station for {h} h"
            found.append(_finding(parcel, AlertKind.LOCKER_WAITING, parcel.status_at, None, reason))
    elif parcel.last_event_at is not None:
        silent = now - parcel.last_event_at
        h = _hours(silent)
        if silent > timedelta(hours=t.lost_after_hours):
            reason = f"疑似遗失: {h} 小时无轨迹 probably lost: no event for {h} h"
            found.append(_finding(parcel, AlertKind.PROBABLY_LOST, parcel.last_event_at, None, reason))
        elif silent > timedelta(hours=t.gap_hours):
            gap = f"{t.gap_hours:g}"
            reason = f"轨迹停滞 {h} 小时 (上限 {gap}) tracking stalled for {h} h (gap limit {gap} h)"
            found.append(_finding(parcel, AlertKind.STALLED, parcel.last_event_at, None, reason))
    if parcel.late_after is not None:
        due = parcel.late_after + timedelta(hours=t.late_grace_hours)
        if now > due:
            h = _hours(now - due)
            reason = f"超出线路常规时效 {h} 小时未签收 not delivered {h} h past the lane's usual time (p90)"
            found.append(_finding(parcel, AlertKind.DELIVERY_LATE, due, due, reason))
    return found


def _pickup(parcel: ParcelWatch, t: Thresholds, now: datetime, deadline: datetime | None) -> list[Finding]:
    if deadline is None:
        return []
    left = deadline - now
    if left > timedelta(hours=t.pickup_warning_hours):
        return []
    if left < timedelta(0):
        reason = f"已发货未揽收, 揽收时限已过 {_hours(-left)} 小时 waybill issued, no carrier scan, pickup deadline passed {_hours(-left)} h ago"  # noqa: E501
    else:
        reason = f"已发货未揽收, 距揽收时限 {_hours(left)} 小时 waybill issued, no carrier scan, {_hours(left)} h to the pickup deadline"  # noqa: E501
    return [_finding(parcel, AlertKind.PICKUP_OVERDUE, deadline, deadline, reason)]


def _finding(
    parcel: ParcelWatch, kind: AlertKind, since: datetime, due: datetime | None, reason: str
) -> Finding:
    return Finding(parcel.tracking_no, kind, since, due, reason)


def status_finding(tracking_no: str, status: str, at: datetime) -> Finding | None:
    """The alert a status raises while the parcel is in it (failed attempt, returning/refused/returned)."""
    kind = ON_STATUS.get(status)
    if kind is None:
        return None
    words = {
        T.FAILED_ATTEMPT.value: "派送失败 failed delivery attempt",
        T.RETURNING.value: "退回中 returning to sender",
        T.REJECTED.value: "拒签 refused by the buyer",
        T.RETURNED.value: "已退签 returned to sender",
    }
    return Finding(tracking_no, kind, at, None, words[status])
