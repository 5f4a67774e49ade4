"""One database holding the accounts shops (tests/accounts_data.py) and the hand-made metrics case of
tests/test_reports_misses_queue.py (douyin/测试小店, with tracking), plus its alerts and a timeline entry.

dora (operator) is granted 测试小店 only; alice (operator) the tmall shop only; boss (owner) everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from lanshou import schema as s
from lanshou.accounts.roles import Role
from lanshou.accounts.service import add_user, issue_token
from lanshou.orders import timeline
from lanshou.sla.scan import scan_alerts
from tests.accounts_data import PASSWORD, Seeded, seed
from tests.test_reports_misses_queue import NOW_UTC, SHOP, load_case

CASE_SHOP = f"douyin/{SHOP}"
HELD_AT = datetime(2026, 11, 1, 2, 30)  # UTC: 10:30 in Shanghai


@dataclass(frozen=True)
class Both:
    seeded: Seeded
    case_shop_id: int
    alert_ids: list[int]

    @property
    def engine(self) -> Engine:
        return self.seeded.engine

    def token(self, name: str) -> str:
        return self.seeded.tokens[name]


def seed_both(engine: Engine, folder: Path) -> Both:
    load_case(engine, folder)
    seeded = seed(engine, folder)
    add_user(engine, "dora", PASSWORD, Role.OPERATOR, [SHOP])
    tokens = {**seeded.tokens, "dora": issue_token(engine, "dora")}
    with engine.connect() as conn:
        shop_ids = {
            f"{p}/{n}": i
            for i, p, n in conn.execute(select(s.shops.c.id, s.shops.c.platform, s.shops.c.name))
        }
    case_id = shop_ids[CASE_SHOP]
    with engine.begin() as conn:
        entry = timeline.TimelineEntry(case_id, "A1", HELD_AT, "held", "买家留言: 周末送", "王芳")
        timeline.record(conn, [entry])
    scan_alerts(engine, NOW_UTC, full=True)
    with engine.connect() as conn:
        alert_ids = list(conn.execute(select(s.alerts.c.id).order_by(s.alerts.c.id)).scalars())
    return Both(Seeded(engine, tokens, shop_ids), case_id, alert_ids)


def only_resolved_alerts(engine: Engine, kinds: list[str], now: datetime) -> None:
    """In place of the seeded alerts, one alert of T1 (the case shop's parcel) per kind given, a minute apart,
    newest first, all resolved (a parcel has one open alert of a kind): list them with `all`."""
    rows = [
        {
            "tracking_no": "T1",
            "kind": kind,
            "since": now - timedelta(minutes=n),
            "metric": "freshness",
            "opened_at": now,
            "resolved_at": now,
        }
        for n, kind in enumerate(kinds)
    ]
    with engine.begin() as conn:
        conn.execute(s.alerts.delete())
        conn.execute(s.alerts.insert(), rows)
