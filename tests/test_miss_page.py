"""The misses page's own read (`miss_page`: group counts, the first misses by impact, the total and the
denominator, without making every miss or the whole metrics report) equals the corresponding parts of
`miss_report` — which tests/test_misses_window.py holds to the full pass — for every metric and grouping,
several as-of days, a few shops only, a short list (so the cut and its order matter), an order marked
changed and an order without a kept row (both judged from raw rows). SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from sqlalchemy import Engine, delete, select

from lanshou import schema as s
from lanshou.demo.generator import DemoConfig
from lanshou.demo.writer import write_demo
from lanshou.metrics.explain import GroupBy
from lanshou.metrics.miss_page import miss_page
from lanshou.metrics.misses import METRICS, miss_report
from lanshou.metrics.rollups import mark_dirty
from lanshou.metrics.upkeep import rebuild_rollups

END = date(2026, 11, 21)
DAYS = (END + timedelta(days=1), END - timedelta(days=9))
GROUPINGS: tuple[GroupBy, ...] = ("reason", "carrier", "sku", "province", "pay_hour")
SHOWN = 7


def _assert_page_equals_report(engine: Engine, shop_ids: Collection[int] | None) -> int:
    """Compare every metric and grouping on each day; return how many misses were compared."""
    seen = 0
    for day in DAYS:
        for metric in METRICS:
            for by in GROUPINGS:
                full = miss_report(engine, day, 30, None, None, by, metric, shop_ids=shop_ids)
                page = miss_page(engine, day, 30, by, metric, shop_ids, SHOWN)
                where = (day, metric, by, shop_ids)
                assert [(g.key, g.count, g.rate_gain) for g in page.groups] == [
                    (g.key, g.count, g.rate_gain) for g in full.groups
                ], where
                assert page.misses == full.misses[:SHOWN], where
                assert (page.total, page.decided) == (len(full.misses), full.decided), where
                seen += page.total
    return seen


def test_the_page_shows_what_the_full_report_says(engine: Engine) -> None:
    write_demo(engine, DemoConfig(orders=1_200, days=30, seed=11, end=END, batch_orders=400))
    rebuild_rollups(engine)
    with engine.connect() as conn:
        shop_ids = sorted(conn.execute(select(s.shops.c.id)).scalars())
        late = conn.execute(
            select(s.metric_misses.c.shop_id, s.metric_misses.c.order_no)
            .where(s.metric_misses.c.m1_reason.is_not(None))
            .order_by(s.metric_misses.c.shop_id, s.metric_misses.c.order_no)
            .limit(2)
        ).all()
    assert len(shop_ids) > 2 and len(late) == 2
    assert _assert_page_equals_report(engine, None) > 100  # enough misses that the list is cut
    assert _assert_page_equals_report(engine, shop_ids[1:3]) > 0  # another user's shops are not counted
    marked, unkept = (tuple(key) for key in late)
    with engine.begin() as conn:  # one order changed since the refresh, one derived before the kept rows
        mark_dirty(conn, [marked])
        kept = s.metric_misses.c
        conn.execute(
            delete(s.metric_misses).where((kept.shop_id == unkept[0]) & (kept.order_no == unkept[1]))
        )
    _assert_page_equals_report(engine, None)
    empty = miss_page(engine, END, 30, "reason", "pay_to_pickup", [], SHOWN)
    assert (empty.groups, empty.misses, empty.total) == ([], [], 0)
