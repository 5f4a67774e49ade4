"""The misses page's read of the kept misses (one order-level metric: `metric_misses` kept by the rollup
upkeep, decided for the as-of day from the derived days; orders changed since the last refresh judged from
raw rows) gives exactly the full pass over every order of the window —
the same misses, groups, rates and order — for several as-of days, after carrier events that arrive before
their orders, a late first scan and a cancelled order. SQLite and PostgreSQL (the `engine` fixture).

Hand-made orders on top of a seeded demo (Douyin, 24 h pickup rule, Asia/Shanghai local times):
- A6 paid 11-04 10:00, waybill printed 11-04 12:00; its first scan 11-05 20:00 (34 h) is imported before
  the order: M1 late, `carrier_late_pickup` (printed by the deadline 11-05 10:00, scanned after it).
- A7 paid 11-06 10:00, printed 11-06 11:00, no scan: `shipped_no_scan`; then a scan at 11-07 12:00 arrives
  (26 h): `carrier_late_pickup`.
- A5 paid 11-08 23:00, no waybill: `no_waybill` as of 11-10; then cancelled: closed before any pickup, so
  no longer in M1 at all.
- A8 paid 10-11 00:30, no waybill: on the first day of the window as of 11-10 (10-11 … 11-09), a miss;
  A9 paid 10-10 23:30, no waybill: the day before, outside.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, select, update

from lanshou import schema as s
from lanshou.demo.generator import DemoConfig
from lanshou.demo.writer import write_demo
from lanshou.intake.orders import import_orders
from lanshou.intake.tracking import import_tracking
from lanshou.metrics.explain import Miss, misses, rollup_misses
from lanshou.metrics.miss_candidates import ORDER_METRICS
from lanshou.metrics.misses import _by_impact, find_misses, miss_report
from lanshou.metrics.report import window_facts
from lanshou.metrics.rollups import mark_dirty
from lanshou.metrics.upkeep import rebuild_rollups
from lanshou.shops.store import load_shops

END = date(2026, 11, 21)
DAYS = (END, END - timedelta(days=6), END - timedelta(days=13), date(2026, 11, 10))
HEADER = (
    "platform,shop,order_id,status,created_at,paid_at,is_presale,promised_ship_by,buyer_id,buyer_name,"
    "buyer_phone,province,city,district,address,buyer_message,sku,title,category,quantity,unit_price,"
    "order_amount,carrier,tracking_no,shipped_at"
)


def _orders(folder: Path, name: str, rows: list[tuple[str, str, str, str, str, str]]) -> Path:
    lines = [
        f"douyin,窗口小店,{no},{status},{paid},{paid},0,,b{no},张三,13812345678,浙江省,杭州市,西湖区,"
        f"文三路1号,,SKU-W,商品,食品,1,10.00,10.00,{carrier},{tracking},{shipped}"
        for no, status, paid, carrier, tracking, shipped in rows
    ]
    path = folder / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def _events(folder: Path, name: str, rows: list[tuple[str, str, str]]) -> Path:
    lines = [f"zto,{no},{when},{status},杭州,-" for no, when, status in rows]
    path = folder / name
    path.write_text("\n".join(["carrier,tracking_no,event_time,status,location,description", *lines]) + "\n")
    return path


def _full_pass(engine: Engine, as_of: date) -> list[Miss]:
    with engine.connect() as conn:
        shops = load_shops(conn)
        facts = list(window_facts(conn, shops, as_of, 30))
    return misses(facts, list(shops.values()), as_of, 30)


def _key(m: Miss) -> tuple[str, str, str, str]:
    return (m.metric, m.platform, m.shop, m.order_no)


def _assert_same_as_full_pass(engine: Engine, as_of: date) -> dict[str, Miss]:
    """Compare every order-level metric and grouping; return the M1 misses of the hand-made shop."""
    full = _full_pass(engine, as_of)
    for metric in ORDER_METRICS:
        expected = [m for m in full if m.metric == metric]
        found = find_misses(engine, as_of, metric=metric)
        assert sorted(found, key=_key) == sorted(expected, key=_key), (as_of, metric)
        for by in ("reason", "carrier", "sku", "province"):
            report = miss_report(engine, as_of, by=by, metric=metric)
            groups = rollup_misses(expected, by=by, decided=report.decided, metric=metric)
            assert [(g.key, g.count, g.rate_gain, sorted(g.order_nos)) for g in report.groups] == [
                (g.key, g.count, g.rate_gain, sorted(g.order_nos)) for g in groups
            ], (as_of, metric, by)
            assert report.misses == _by_impact(expected, groups), (as_of, metric, by)
    return {m.order_no: m for m in full if m.metric == "pay_to_pickup" and m.shop == "窗口小店"}


def test_fast_misses_equal_the_full_pass_through_late_arrivals(engine: Engine, tmp_path: Path) -> None:
    write_demo(engine, DemoConfig(orders=1_500, days=30, seed=5, end=END, batch_orders=500))
    rebuild_rollups(engine)
    rej = tmp_path / "rej.csv"
    # the carrier's scan of T6 arrives before its order
    assert import_tracking(engine, _events(tmp_path, "t1.csv", [("W6", "2026-11-05 20:00:00", "picked_up")]),
                           rejects=rej).ok  # fmt: skip
    first = [
        ("A5", "paid", "2026-11-08 23:00:00", "", "", ""),
        ("A6", "shipped", "2026-11-04 10:00:00", "zto", "W6", "2026-11-04 12:00:00"),
        ("A7", "shipped", "2026-11-06 10:00:00", "zto", "W7", "2026-11-06 11:00:00"),
        ("A8", "paid", "2026-10-11 00:30:00", "", "", ""),
        ("A9", "paid", "2026-10-10 23:30:00", "", "", ""),
    ]
    assert import_orders(engine, _orders(tmp_path, "o1.csv", first), rejects=rej).ok
    for day in DAYS:
        mine = _assert_same_as_full_pass(engine, day)
        if day == date(2026, 11, 10):
            assert {no: m.reason for no, m in mine.items()} == {
                "A5": "no_waybill",
                "A6": "carrier_late_pickup",
                "A7": "shipped_no_scan",
                "A8": "no_waybill",
            }
            assert sum(1 for m in find_misses(engine, day, metric="pay_to_pickup")) > 3  # demo misses too
    kept = s.metric_misses
    with engine.connect() as conn:  # a reason whose detail never varies keeps none: the read fills it in
        query = select(kept.c.order_no, kept.c.m1_detail).where(kept.c.order_no.in_(["A5", "A6", "A7", "A8"]))
        details = dict(conn.execute(query).all())
    assert details["A5"] is details["A7"] is details["A8"] is None
    assert details["A6"].startswith("waybill printed in time, first scan")

    # A7's late scan arrives; A5 is cancelled
    assert import_tracking(engine, _events(tmp_path, "t2.csv", [("W7", "2026-11-07 12:00:00", "picked_up")]),
                           rejects=rej).ok  # fmt: skip
    cancelled = [("A5", "cancelled", "2026-11-08 23:00:00", "", "", "")]
    assert import_orders(engine, _orders(tmp_path, "o2.csv", cancelled), rejects=rej).ok
    for day in DAYS:
        mine = _assert_same_as_full_pass(engine, day)
        if day == date(2026, 11, 10):
            assert {no: m.reason for no, m in mine.items()} == {
                "A6": "carrier_late_pickup",
                "A7": "carrier_late_pickup",
                "A8": "no_waybill",
            }

    # the page reads the kept rows: a kept reason shows (A7 not marked) …
    with engine.begin() as conn:
        shop_id = next(i for i, info in load_shops(conn).items() if info.shop == "窗口小店")
        where = (kept.c.shop_id == shop_id) & (kept.c.order_no == "A7")
        conn.execute(update(kept).where(where).values(m1_reason="paid_after_cutoff", m1_detail="x"))
    found = {m.order_no: m.reason for m in find_misses(engine, date(2026, 11, 10), metric="pay_to_pickup")}
    assert found["A7"] == "paid_after_cutoff"
    # … until the order is marked changed: then it is judged from its raw rows, and a rebuild rewrites it;
    # a row kept before details went (A8's, with its text) reads the same
    with engine.begin() as conn:
        mark_dirty(conn, [(shop_id, "A7")])
        a8 = (kept.c.shop_id == shop_id) & (kept.c.order_no == "A8")
        conn.execute(update(kept).where(a8).values(m1_detail="no tracking number issued"))
    _assert_same_as_full_pass(engine, date(2026, 11, 10))
    # an order derived before the table existed (no kept row, no mark) is judged from its raw rows too
    with engine.begin() as conn:
        conn.execute(delete(kept).where((kept.c.shop_id == shop_id) & (kept.c.order_no == "A6")))
    assert _assert_same_as_full_pass(engine, date(2026, 11, 10))["A6"].reason == "carrier_late_pickup"
    rebuild_rollups(engine)
    assert _assert_same_as_full_pass(engine, date(2026, 11, 10))["A7"].reason == "carrier_late_pickup"
