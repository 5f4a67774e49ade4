"""derive.local_day's and local_hour's fixed-offset shortcut give the zone conversion's day and hour for every
instant."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lanshou.metrics.derive import fixed_offset, local_day, local_hour


@pytest.mark.parametrize(
    "name", ["Asia/Shanghai", "Asia/Kolkata", "Europe/Moscow", "Africa/Casablanca", "America/Sao_Paulo"]
)
def test_local_day_and_hour_are_the_zone_conversions(name: str) -> None:
    tz, rng = ZoneInfo(name), random.Random(name)
    start = datetime(1985, 1, 1)
    for _ in range(20_000):
        t = start + timedelta(seconds=rng.randrange(130 * 365 * 86400))
        local = t.replace(tzinfo=UTC).astimezone(tz)
        assert (local_day(t, tz), local_hour(t, tz)) == (local.date(), local.hour), t


def test_a_fixed_offset_only_for_zones_without_changes() -> None:
    assert fixed_offset(ZoneInfo("Asia/Shanghai")) == timedelta(hours=8)
    assert fixed_offset(ZoneInfo("Asia/Kolkata")) == timedelta(hours=5, minutes=30)
    assert fixed_offset(ZoneInfo("Europe/Madrid")) is None  # summer time
    assert fixed_offset(ZoneInfo("Europe/Moscow")) is None  # changed in 2011 and 2014
