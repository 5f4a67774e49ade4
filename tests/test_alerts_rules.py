"""Each alert kind from a hand-made parcel, at the edge of its threshold."""

from __future__ import annotations

from datetime import datetime, timedelta

from lanshou.metrics.packs import load_pack
from lanshou.sla.alerts import AlertKind, ParcelWatch, Thresholds, findings, status_finding

NOW = datetime(2026, 11, 10, 12, 0)
T = Thresholds(
    gap_hours=24, lost_after_hours=120, locker_wait_hours=48, late_grace_hours=0, pickup_warning_hours=4
)


def parcel(**changes: object) -> ParcelWatch:
    base: dict[str, object] = {
        "tracking_no": "ZT1",
        "carrier": "zto",
        "status": "in_transit",
        "status_at": NOW - timedelta(hours=2),
        "pickup_at": NOW - timedelta(hours=30),
        "last_event_at": NOW - timedelta(hours=2),
        "finished": False,
        "late_after": None,
    }
    return ParcelWatch(**{**base, **changes})  # type: ignore[arg-type]


def kinds(p: ParcelWatch, deadline: datetime | None = None) -> list[AlertKind]:
    return [f.kind for f in findings(p, T, NOW, deadline)]


def test_a_healthy_parcel_has_no_alert() -> None:
    assert kinds(parcel()) == []


def test_thresholds_come_from_the_pack() -> None:
    t = Thresholds.of(load_pack("douyin"))
    assert (t.gap_hours, t.lost_after_hours, t.locker_wait_hours) == (24, 120, 48)


def test_stalled_past_the_gap_and_not_at_it() -> None:
    assert kinds(parcel(last_event_at=NOW - timedelta(hours=24))) == []
    found = findings(parcel(last_event_at=NOW - timedelta(hours=25)), T, NOW)
    assert [f.kind for f in found] == [AlertKind.STALLED]
    assert found[0].since == NOW - timedelta(hours=25)
    assert found[0].metric == "tracking_freshness"
    assert "25.0" in found[0].reason


def test_silent_for_days_is_probably_lost_instead_of_stalled() -> None:
    found = findings(parcel(last_event_at=NOW - timedelta(hours=121)), T, NOW)
    assert [f.kind for f in found] == [AlertKind.PROBABLY_LOST]
    assert found[0].metric == "shipping_negative_feedback"


def test_late_against_the_lane_norm() -> None:
    assert kinds(parcel(late_after=NOW + timedelta(hours=1))) == []
    found = findings(parcel(late_after=NOW - timedelta(hours=3)), T, NOW)
    assert [(f.kind, f.due_at, f.metric) for f in found] == [
        (AlertKind.DELIVERY_LATE, NOW - timedelta(hours=3), "delivery_hours")
    ]


def test_waiting_at_a_locker_too_long_is_not_also_stalled() -> None:
    waiting = parcel(status="available_for_pickup", status_at=NOW - timedelta(hours=50),
                     last_event_at=NOW - timedelta(hours=50))  # fmt: skip
    assert kinds(waiting) == [AlertKind.LOCKER_WAITING]
    assert kinds(parcel(status="available_for_pickup", status_at=NOW - timedelta(hours=47))) == []


def test_failed_attempt_and_returns_raise_on_arrival() -> None:
    assert status_finding("ZT1", "failed_attempt", NOW).kind == AlertKind.FAILED_ATTEMPT  # type: ignore[union-attr]
    for status in ("returning", "rejected", "returned"):
        found = status_finding("ZT1", status, NOW)
        assert found is not None and found.kind == AlertKind.RETURNED
    assert status_finding("ZT1", "in_transit", NOW) is None
    assert kinds(parcel(status="failed_attempt")) == [AlertKind.FAILED_ATTEMPT]
    assert kinds(parcel(status="rejected")) == [AlertKind.RETURNED]


def test_pickup_overdue_when_the_deadline_is_near_or_past() -> None:
    waiting = parcel(pickup_at=None, status=None, status_at=None, last_event_at=None)
    assert kinds(waiting, NOW + timedelta(hours=5)) == []
    near = findings(waiting, T, NOW, NOW + timedelta(hours=3))
    assert [(f.kind, f.since, f.metric) for f in near] == [
        (AlertKind.PICKUP_OVERDUE, NOW + timedelta(hours=3), "pay_to_pickup")
    ]
    assert "3.0" in near[0].reason
    past = findings(waiting, T, NOW, NOW - timedelta(hours=2))
    assert "passed 2.0 h ago" in past[0].reason
    assert kinds(waiting) == []  # no deadline known: nothing to say


def test_finished_parcels_have_no_alert() -> None:
    assert kinds(parcel(finished=True, last_event_at=NOW - timedelta(days=9))) == []
