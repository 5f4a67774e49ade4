"""Lane performance per carrier × destination from Lanshou's own tracking history. Pure: rows in, figures out.

- pickup on-time rate: of the parcels shipped (waybill printed) at least `pickup_hours` ago or already
  scanned, the share the carrier scanned within `pickup_hours` of being shipped;
- median and p90 delivery hours: pickup → delivery of the delivered parcels.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lanshou.shipping.choice import LanePerformance

PICKUP_HOURS = 24.0


@dataclass(frozen=True, slots=True)
class ParcelTimes:
    carrier: str
    destination: str
    shipped_at: datetime | None
    pickup_at: datetime | None
    delivered_at: datetime | None


@dataclass
class _Tally:
    judged: int = 0
    on_time: int = 0
    hours: list[float] = field(default_factory=list)


def quantile(sorted_values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation between closest ranks (the p90 of one value is itself)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    at = (len(sorted_values) - 1) * q
    low = int(at)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (at - low)


def measure_lanes(
    parcels: Iterable[ParcelTimes], now: datetime, pickup_hours: float = PICKUP_HOURS
) -> list[LanePerformance]:
    """One row per (carrier, destination) seen, sorted by carrier then destination."""
    limit = timedelta(hours=pickup_hours)
    tallies: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    for p in parcels:
        tally = tallies[(p.carrier, p.destination)]
        if p.shipped_at is not None and (p.pickup_at is not None or now - p.shipped_at >= limit):
            tally.judged += 1
            if p.pickup_at is not None and p.pickup_at - p.shipped_at <= limit:
                tally.on_time += 1
        if p.pickup_at is not None and p.delivered_at is not None and p.delivered_at >= p.pickup_at:
            tally.hours.append((p.delivered_at - p.pickup_at).total_seconds() / 3600)
    rows = []
    for (carrier, destination), tally in sorted(tallies.items()):
        hours = sorted(tally.hours)
        rows.append(
            LanePerformance(
                carrier,
                destination,
                len(hours),
                tally.on_time / tally.judged if tally.judged else None,
                statistics.median(hours) if hours else None,
                quantile(hours, 0.9) if hours else None,
            )
        )
    return rows
