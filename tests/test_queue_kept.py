"""The at-risk queue read from the kept deadlines (`metric_queue`, kept by the rollup upkeep; orders marked
since the last refresh or without a kept row judged from raw rows) gives exactly the full pass: every open
candidate's facts through the pure queue functions — the same entries in the same order, and the same
stalled parcels — at several evaluation times (before, during and after the demo's last days), per shop,
after a scan arriving later, a cancellation, a tampered and a missing kept row, a rule-pack change and a
rebuild. SQLite and
PostgreSQL (the `engine` fixture).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, func, select, update

from lanshou import schema as s
from lanshou.demo.generator import DemoConfig
from lanshou.demo.writer import write_demo
from lanshou.intake.orders import import_orders
from lanshou.intake.tracking import import_tracking
from lanshou.metrics.rollups import mark_dirty
from lanshou.metrics.source import iter_facts
from lanshou.metrics.upkeep import rebuild_rollups
from lanshou.review.settings import set_shop_setting
from lanshou.shops.model import only_shops
from lanshou.shops.store import load_shops
from lanshou.sla.queue import QueueEntry, StalledParcel, at_risk_queue, stalled_parcels
from lanshou.sla.queue_report import candidate_keys, queue_report

END = date(2026, 11, 21)
# naive UTC: the last days of the demo, the middle of its last week, and two days after (every event known)
TIMES = (
    datetime(2026, 11, 21, 1, 0),
    datetime(2026, 11, 19, 6, 30),
    datetime(2026, 11, 16, 12, 0),
    datetime(2026, 11, 23, 12, 0),
)
HEADER = (
    "platform,shop,order_id,status,created_at,paid_at,is_presale,promised_ship_by,buyer_id,buyer_name,"
    "buyer_phone,province,city,district,address,buyer_message,sku,title,category,quantity,unit_price,"
    "order_amount,carrier,tracking_no,shipped_at"
)
SHOP = "队列小店"


def _orders(folder: Path, name: str, rows: list[tuple[str, str, str, str, str]]) -> Path:
    lines = [
        f"douyin,{SHOP},{no},{status},{paid},{paid},0,,b{no},张三,13812345678,浙江省,杭州市,西湖区,"
        f"文三路1号,,SKU-Q,商品,食品,1,10.00,10.00,{carrier},{tracking},{paid}"
        for no, status, paid, carrier, tracking in rows
    ]
    path = folder / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def _events(folder: Path, name: str, rows: list[tuple[str, str, str]]) -> Path:
    lines = [f"zto,{no},{when},{status},杭州,-" for no, when, status in rows]
    path = folder / name
    path.write_text("\n".join(["carrier,tracking_no,event_time,status,location,description", *lines]) + "\n")
    return path


def _full_pass(
    engine: Engine, now: datetime, shop_ids: Collection[int] | None = None
) -> tuple[list[QueueEntry], list[StalledParcel]]:
    """Every open candidate's facts (in orders.id order: a shared parcel goes under the first stored)."""
    with engine.connect() as conn:
        shops = only_shops(load_shops(conn), shop_ids)
        keys = candidate_keys(conn, list(shops), now)
        ids = dict(((r.shop_id, r.order_no), r.id) for r in conn.execute(select(s.orders)))
        facts = list(iter_facts(conn, sorted(keys, key=lambda k: ids[k]), shops))
    infos = list(shops.values())
    return at_risk_queue(facts, infos, now, 6.0), stalled_parcels(facts, infos, now)


def _assert_same(engine: Engine, now: datetime, shop_ids: Collection[int] | None = None) -> list[QueueEntry]:
    entries, stalled = _full_pass(engine, now, shop_ids)
    report = queue_report(engine, now, 6.0, shop_ids=shop_ids)
    assert report.entries == entries, now
    assert report.stalled == stalled, now
    return entries


def test_kept_queue_equals_the_full_pass(engine: Engine, tmp_path: Path) -> None:
    write_demo(engine, DemoConfig(orders=1_500, days=30, seed=11, end=END, batch_orders=500))
    rebuild_rollups(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.metric_queue)).scalar_one() > 100
        shop_ids = sorted(load_shops(conn))
    seen = {"waiting": 0, "overdue": 0, "stalled": 0}
    for now in TIMES:
        entries, stalled = _full_pass(engine, now)
        seen["waiting"] += len(entries)
        seen["overdue"] += sum(e.overdue for e in entries)
        seen["stalled"] += len(stalled)
        _assert_same(engine, now)
        _assert_same(engine, now, shop_ids[:1])  # one shop's queue: only its orders
    assert min(seen.values()) > 0, seen  # the comparison covered waiting, overdue and stalled orders

    # hand-made: Q1 printed, no scan; Q2 no waybill; Q3 scanned then silent for days
    rej = tmp_path / "rej.csv"
    mine = [
        ("Q1", "shipped", "2026-11-20 10:00:00", "zto", "WQ1"),
        ("Q2", "paid", "2026-11-20 11:00:00", "", ""),
        ("Q3", "shipped", "2026-11-19 09:00:00", "zto", "WQ3"),
    ]
    assert import_orders(engine, _orders(tmp_path, "o1.csv", mine), rejects=rej).ok
    assert import_tracking(engine, _events(tmp_path, "t1.csv", [("WQ3", "2026-11-19 15:00:00", "picked_up")]),
                           rejects=rej).ok  # fmt: skip
    at = datetime(2026, 11, 21, 12, 0)  # 20:00 local
    waiting = {e.order_no for e in _assert_same(engine, at) if e.shop == SHOP}
    assert waiting == {"Q1", "Q2"}
    assert any(p.order_no == "Q3" for p in queue_report(engine, at).stalled)
    # Q1's scan arrives; Q2 is cancelled
    assert import_tracking(engine, _events(tmp_path, "t2.csv", [("WQ1", "2026-11-21 18:00:00", "picked_up")]),
                           rejects=rej).ok  # fmt: skip
    cancelled = [("Q2", "cancelled", "2026-11-20 11:00:00", "", "")]
    assert import_orders(engine, _orders(tmp_path, "o2.csv", cancelled), rejects=rej).ok
    assert {e.order_no for e in _assert_same(engine, at) if e.shop == SHOP} == set()
    assert "Q1" in {e.order_no for e in _assert_same(engine, at - timedelta(hours=3))}  # before its scan

    # the queue reads the kept rows: a tampered one shows (Q1 not marked) …
    kept = s.metric_queue
    with engine.begin() as conn:
        shop_id = next(i for i, info in load_shops(conn).items() if info.shop == SHOP)
        where = (kept.c.shop_id == shop_id) & (kept.c.order_no == "Q1")
        conn.execute(update(kept).where(where).values(first_scan_at=None))
    assert "Q1" in {e.order_no for e in queue_report(engine, at).entries}
    # … until the order is marked changed: then it is judged from its raw rows
    with engine.begin() as conn:
        mark_dirty(conn, [(shop_id, "Q1")])
    _assert_same(engine, at)
    # an open order with no kept row (derived before the table existed) is judged from its raw rows too
    with engine.begin() as conn:
        conn.execute(delete(kept).where((kept.c.shop_id == shop_id) & (kept.c.order_no == "Q3")))
    _assert_same(engine, at)
    assert any(p.order_no == "Q3" for p in queue_report(engine, at).stalled)
    # a rule-pack change (M1's limit, the default promise) shows at once: deadlines are made at read time
    with engine.begin() as conn:
        set_shop_setting(conn, shop_id, "limit_hours", 36)
        set_shop_setting(conn, shop_id, "default_promise_hours", 30)
    before_scan = at - timedelta(hours=3)
    (q1,) = [e for e in _assert_same(engine, before_scan) if e.order_no == "Q1"]
    assert q1.pickup_deadline == datetime(2026, 11, 21, 14, 0)  # paid 11-20 10:00 local = 02:00 UTC, + 36 h
    rebuild_rollups(engine)
    for now in (at, before_scan, *TIMES):
        _assert_same(engine, now)
