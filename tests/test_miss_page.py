"""The misses page's own read (`miss_page`: group counts, the first misses by impact, the total and the
denominator, without making every miss or the whole metrics report) equals the corresponding parts of
`miss_report` — which tests/test_misses_window.py holds to the full pass — for every metric and grouping,
several as-of days, a few shops only, a short list (so the cut and its order matter), an order marked
changed and an order without a kept row (both judged from raw rows). SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, select

from lanshou import schema as s
from lanshou.demo.generator import DemoConfig
from lanshou.demo.writer import write_demo
from lanshou.intake.orders import import_orders
from lanshou.metrics.explain import GroupBy
from lanshou.metrics.miss_page import miss_page
from lanshou.metrics.misses import METRICS, miss_report
from lanshou.metrics.rollups import mark_dirty
from lanshou.metrics.upkeep import bring_rollups_up_to_date, rebuild_rollups

END = date(2026, 11, 21)
DAYS = (END + timedelta(days=1), END - timedelta(days=9))
GROUPINGS: tuple[GroupBy, ...] = ("reason", "carrier", "sku", "province", "pay_hour")
SHOWN = 7


def _assert_page_equals_report(engine: Engine, shop_ids: Collection[int] | None, shown: int = SHOWN) -> int:
    """Compare every metric and grouping on each day, the first `shown` misses; return how many misses
    there were."""
    seen = 0
    for day in DAYS:
        for metric in METRICS:
            for by in GROUPINGS:
                full = miss_report(engine, day, 30, None, None, by, metric, shop_ids=shop_ids)
                page = miss_page(engine, day, 30, by, metric, shop_ids, shown)
                where = (day, metric, by, shop_ids)
                assert [(g.key, g.count, g.rate_gain) for g in page.groups] == [
                    (g.key, g.count, g.rate_gain) for g in full.groups
                ], where
                assert page.misses == full.misses[:shown], where
                assert (page.total, page.decided) == (len(full.misses), full.decided), where
                seen += page.total
    return seen


def _orders(folder: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """Douyin orders paid 11-15 10:00 (Asia/Shanghai), late by 11-22: with a tracking number and no scan,
    or no waybill."""
    header = (
        "platform,shop,order_id,status,created_at,paid_at,is_presale,promised_ship_by,buyer_id,buyer_name,"
        "buyer_phone,province,city,district,address,buyer_message,sku,title,category,quantity,unit_price,"
        "order_amount,carrier,tracking_no,shipped_at"
    )
    paid = "2026-11-15 10:00:00"
    lines = [
        f"douyin,{shop},DUP1,{status},{paid},{paid},0,,b1,张三,13812345678,浙江省,杭州市,西湖区,文三路1号,,"
        f"SKU-W,商品,食品,1,10.00,10.00,{carrier},{tracking},{paid if tracking else ''}"
        for shop, carrier, tracking, status in rows
    ]
    path = folder / "dup.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_the_page_shows_what_the_full_report_says(engine: Engine, tmp_path: Path) -> None:
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
    # one order number in two shops, late for different reasons: it ranks by its first group in both
    rows = [("窗口小店", "zto", "DUP1", "shipped"), ("窗口二店", "", "", "paid")]
    assert import_orders(engine, _orders(tmp_path, rows), rejects=tmp_path / "rej.csv").ok
    bring_rollups_up_to_date(engine)
    dup = [m for m in miss_report(engine, DAYS[0], 30).misses if m.order_no == "DUP1"]
    assert {(m.shop, m.reason) for m in dup} == {("窗口小店", "shipped_no_scan"), ("窗口二店", "no_waybill")}
    _assert_page_equals_report(engine, None, shown=100_000)
    empty = miss_page(engine, END, 30, "reason", "pay_to_pickup", [], SHOWN)
    assert (empty.groups, empty.misses, empty.total) == ([], [], 0)
