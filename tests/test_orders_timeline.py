"""The order timeline keeps every entry with its actor and reason, oldest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from lanshou import schema as s
from lanshou.orders import timeline
from lanshou.orders.timeline import TimelineEntry


def test_entries_come_back_oldest_first_with_actor_and_reason(engine: Engine) -> None:
    later = TimelineEntry(1, "A1", datetime(2026, 11, 2, 9), "held", "买家留言: 周末送", "王芳")
    earlier = TimelineEntry(1, "A1", datetime(2026, 11, 2, 8), "imported", "paid")
    other = TimelineEntry(1, "A2", datetime(2026, 11, 2, 7), "accepted", "rule r1")
    with engine.begin() as conn:
        conn.execute(s.shops.insert(), {"id": 1, "platform": "tmall", "name": "店"})
        timeline.record(conn, [later, earlier, other])
        timeline.record(conn, [])
    with engine.connect() as conn:
        assert timeline.read(conn, 1, "A1") == [earlier, later]
        assert timeline.read(conn, 1, "A2")[0].actor == timeline.SYSTEM
        assert timeline.read(conn, 1, "missing") == []
