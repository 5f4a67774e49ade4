"""The daily trend of M1 (pay-to-pickup on time) for the dashboard: per local pay day of the window, the
orders picked up on time and late as known at the evaluation day, from the rollups in one grouped query
(the same conditions as the report's M1 block, split by day instead of summed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, and_, case, func, select

from lanshou.metrics import tables as mt

MAIN_RULE = "pay_to_pickup"  # the report's M1 block (extra blocks such as the 48 h one have their own rule)


def _sum(condition: Any, n: Any) -> Any:
    return func.coalesce(func.sum(case((condition, n), else_=0)), 0)


@dataclass(frozen=True, slots=True)
class DayPoint:
    day: date  # the local pay day
    on_time: int
    late: int

    @property
    def rate(self) -> float | None:
        decided = self.on_time + self.late
        return None if decided == 0 else self.on_time / decided


def pickup_trend(engine: Engine, as_of: date, days: int, shop_ids: Sequence[int]) -> list[DayPoint]:
    """One point per pay day in [as_of - days, as_of), oldest first (days without orders included)."""
    start = as_of - timedelta(days=days)
    found: dict[date, tuple[int, int]] = {}
    if shop_ids:
        t = mt.rollup_pickup
        picked = t.c.pickup_eday < as_of
        waiting = and_(t.c.pickup_eday >= as_of, t.c.closed.is_(False))
        query = (
            select(
                t.c.pay_day,
                _sum(and_(picked, t.c.pickup_on_time.is_(True)), t.c.n),
                _sum(and_(picked, t.c.pickup_on_time.is_(False)), t.c.n)
                + _sum(and_(waiting, t.c.deadline_day < as_of), t.c.n),
            )
            .where(
                t.c.shop_id.in_(list(shop_ids)),
                t.c.rule == MAIN_RULE,
                t.c.pay_day >= start,
                t.c.pay_day < as_of,
            )
            .group_by(t.c.pay_day)
        )
        with engine.connect() as conn:
            for day, on_time, late in conn.execute(query):
                found[day] = (int(on_time), int(late))
    points = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        on_time, late = found.get(day, (0, 0))
        points.append(DayPoint(day, on_time, late))
    return points
