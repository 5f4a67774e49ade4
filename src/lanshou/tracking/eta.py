"""Estimated delivery (预计送达) from the measured history of the parcel's lane: pure, no I/O.

A lane is carrier × origin province (the shop's warehouse) → destination province (the buyer's). Its norm is
the median and the p90 of past pickup → delivery hours. A lane with too few deliveries borrows the norm of
the nearest wider lane ("*" = any): same carrier to the same province from anywhere, any carrier on the
same route, any carrier to the province, the carrier anywhere, everything.
The ETA is pickup + median; the parcel is late after pickup + p90 (the alert scan reads that). Once out
for delivery or waiting at a station the lane no longer matters: the last mile sets the estimate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from lanshou.tracking.state import ParcelState
from lanshou.tracking.status import TrackingStatus as T

ANY = "*"


@dataclass(frozen=True, slots=True)
class Lane:
    carrier: str
    origin: str  # short province name, "" when unknown
    destination: str

    def wider(self) -> tuple[Lane, ...]:
        """This lane, then the wider ones its norm may be borrowed from, nearest first."""
        c, o, d = self.carrier, self.origin, self.destination
        return (
            self,
            Lane(c, ANY, d),
            Lane(ANY, o, d),
            Lane(ANY, ANY, d),
            Lane(c, ANY, ANY),
            Lane(ANY, ANY, ANY),
        )


@dataclass(frozen=True, slots=True)
class LaneNorm:
    parcels: int
    median_hours: float
    p90_hours: float


@dataclass(frozen=True, slots=True)
class EtaSettings:
    min_parcels: int = 20  # deliveries a lane needs before its own norm is trusted
    out_for_delivery_hours: float = 6.0  # a courier's round: signed the same day, as a rule
    at_station_hours: float = 24.0  # buyers collect from a locker or station within a day, as a rule


@dataclass(frozen=True, slots=True)
class Estimate:
    eta: datetime | None
    late_after: datetime | None
    lane_eta: datetime | None = None  # pickup + the lane's median: the estimate given at pickup


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Linear interpolation between ranks (PostgreSQL's percentile_cont); `ordered` is sorted, non-empty."""
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def lane_norms(deliveries: Iterable[tuple[Lane, float]]) -> dict[Lane, LaneNorm]:
    """The norm of every lane, and of every wider lane, from (lane, pickup → delivery hours) pairs."""
    hours: dict[Lane, list[float]] = {}
    for lane, duration in deliveries:
        for key in set(lane.wider()):
            hours.setdefault(key, []).append(duration)
    norms = {}
    for lane, values in hours.items():
        values.sort()
        norms[lane] = LaneNorm(len(values), percentile(values, 0.5), percentile(values, 0.9))
    return norms


def norm_for(book: Mapping[Lane, LaneNorm], lane: Lane, min_parcels: int) -> LaneNorm | None:
    """The nearest lane with enough deliveries; the widest known one when none has enough."""
    known = [book[candidate] for candidate in lane.wider() if candidate in book]
    trusted = [norm for norm in known if norm.parcels >= min_parcels]
    if trusted:
        return trusted[0]
    return known[-1] if known else None


def estimate(state: ParcelState, norm: LaneNorm | None, settings: EtaSettings = EtaSettings()) -> Estimate:
    """The ETA and the late mark of a parcel as its state stands."""
    if state.pickup_at is None:
        return Estimate(None, None)
    eta = late = None
    if norm is not None:
        eta = state.pickup_at + timedelta(hours=norm.median_hours)
        late = state.pickup_at + timedelta(hours=norm.p90_hours)
    lane_eta = eta
    if state.delivered_at is not None:
        return Estimate(state.eta or eta, late, lane_eta)
    if state.status == T.OUT_FOR_DELIVERY and state.status_at is not None:
        eta = state.status_at + timedelta(hours=settings.out_for_delivery_hours)
    elif state.status == T.AVAILABLE_FOR_PICKUP and state.status_at is not None:
        eta = state.status_at + timedelta(hours=settings.at_station_hours)
    return Estimate(eta, late, lane_eta)


@dataclass(frozen=True, slots=True)
class EtaOutcome:
    """One delivered parcel: the ETA it was given at pickup, and when it was delivered."""

    carrier: str
    promised: datetime
    delivered: datetime


def accuracy(outcomes: Iterable[EtaOutcome]) -> dict[str, object]:
    """How the ETAs given at pickup compared with the deliveries: overall and per carrier.

    error = delivered - ETA in hours (negative: early). `within_24h`: share with |error| <= 24 h;
    `by_eta`: share delivered on or before the ETA."""
    all_errors: list[float] = []
    by_carrier: dict[str, list[float]] = {}
    for outcome in outcomes:
        error = (outcome.delivered - outcome.promised).total_seconds() / 3600
        all_errors.append(error)
        by_carrier.setdefault(outcome.carrier, []).append(error)
    return {
        **_summary(all_errors),
        "carriers": {carrier: _summary(errors) for carrier, errors in sorted(by_carrier.items())},
    }


def _summary(errors: list[float]) -> dict[str, object]:
    if not errors:
        return {
            "parcels": 0,
            "mean_abs_error_hours": None,
            "median_error_hours": None,
            "within_24h": None,
            "by_eta": None,
        }
    ordered = sorted(errors)
    count = len(errors)
    return {
        "parcels": count,
        "mean_abs_error_hours": round(sum(abs(e) for e in errors) / count, 2),
        "median_error_hours": round(percentile(ordered, 0.5), 2),
        "within_24h": round(sum(abs(e) <= 24 for e in errors) / count, 4),
        "by_eta": round(sum(e <= 0 for e in errors) / count, 4),
    }
