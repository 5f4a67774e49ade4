"""Demo data: deterministic, consistent with the domain rules, written alike on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.cli.app import app
from lanshou.demo.catalog import DOUYIN_48H, SHOPS
from lanshou.demo.generator import DemoConfig, table_batches, to_utc
from lanshou.demo.writer import DemoDataPresent, write_demo
from lanshou.tracking.status import NORMALISED

CONFIG = DemoConfig(orders=2_000, days=30, seed=11, end=date(2026, 11, 21), batch_orders=500)
END = CONFIG.end_of_period()  # 2026-11-21 24:00 Shanghai = 2026-11-21 16:00 UTC


@pytest.fixture
def filled(engine: Engine) -> Engine:
    write_demo(engine, CONFIG)
    return engine


def _all(engine: Engine, table: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(table)))


def _rows(config: DemoConfig) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for batch in table_batches(config, list(range(1, len(SHOPS) + 1))):
        for name, rows in batch.rows.items():
            out[name].extend(rows)
    return out


def test_same_seed_same_data_other_seed_other_data() -> None:
    first, again = _rows(CONFIG), _rows(CONFIG)
    assert first == again
    assert len(first["orders"]) == CONFIG.orders
    other = _rows(DemoConfig(orders=2_000, days=30, seed=12, end=CONFIG.end))
    assert other["orders"] != first["orders"]


def test_written_data_is_the_generated_data(filled: Engine) -> None:
    generated = _rows(CONFIG)
    with filled.connect() as conn:
        for name in (
            "orders",
            "order_lines",
            "parcels",
            "parcel_orders",
            "tracking_events",
            "feedback",
            "order_events",
        ):
            count = conn.execute(select(func.count()).select_from(s.metadata.tables[name])).scalar_one()
            assert count == len(generated[name]), name
    with pytest.raises(DemoDataPresent):
        write_demo(filled, CONFIG)


def test_shipping_and_pickup_are_consistent(filled: Engine) -> None:
    orders = {(o.shop_id, o.order_no): o for o in _all(filled, s.orders)}
    parcels = {(p.shop_id, p.tracking_no): p for p in _all(filled, s.parcels)}
    links = _all(filled, s.parcel_orders)
    events: dict[str, list[Any]] = defaultdict(list)
    for e in _all(filled, s.tracking_events):
        events[e.tracking_no].append(e)
    shipped = {(link.shop_id, link.order_no) for link in links}
    for key, order in orders.items():
        if order.status in ("shipped", "delivered", "completed"):
            assert key in shipped, f"{order.order_no} is {order.status} without a parcel"
    no_scan = 0
    for link in links:
        order, p = orders[(link.shop_id, link.order_no)], parcels[(link.shop_id, link.tracking_no)]
        assert order.paid_at is not None and p.shipped_at >= order.paid_at
        scans = sorted(e.event_time for e in events[p.tracking_no] if e.status != "info_received")
        if not scans:
            no_scan += 1
            continue
        assert scans[0] > order.paid_at, f"{p.tracking_no} scanned before payment"
    assert no_scan > 0, "some parcels must be shipped without any carrier scan (虚假发货)"
    assert any(order.paid_at is not None and key not in shipped for key, order in orders.items())
    assert {(link.shop_id, link.tracking_no) for link in links} == set(parcels)  # every parcel carries one


def test_some_parcels_carry_two_orders_and_some_orders_travel_in_two(filled: Engine) -> None:
    links = _all(filled, s.parcel_orders)
    per_parcel = Counter((link.shop_id, link.tracking_no) for link in links)
    per_order = Counter((link.shop_id, link.order_no) for link in links)
    merged = [key for key, n in per_parcel.items() if n > 1]
    assert 10 <= len(merged) <= 100, "合并发货: a few percent of parcels carry two orders"
    assert any(n > 1 for n in per_order.values()), "拆单: some orders travel in two parcels"
    orders = {(o.shop_id, o.order_no): o for o in _all(filled, s.orders)}
    for shop_id, tracking_no in merged:  # one buyer, one address: that is why they share a box
        riders = [orders[(link.shop_id, link.order_no)] for link in links if link.tracking_no == tracking_no]
        assert len({(o.buyer_key, o.address) for o in riders}) == 1 and all(
            o.shop_id == shop_id for o in riders
        )


def test_categories_presale_and_statuses(filled: Engine) -> None:
    categories = {line.category for line in _all(filled, s.order_lines)}
    assert categories & set(DOUYIN_48H) and {"美妆", "食品", "家居", "数码"} <= categories
    orders = _all(filled, s.orders)
    presale = [o for o in orders if o.is_presale]
    assert presale and all(o.promised_ship_by > o.paid_at for o in presale)
    assert {o.status for o in orders} >= {
        "pending_payment",
        "paid",
        "shipped",
        "completed",
        "cancelled",
        "refunded",
    }
    statuses = {e.status for e in _all(filled, s.tracking_events)}
    assert statuses <= NORMALISED
    assert {"info_received", "picked_up", "in_transit", "out_for_delivery", "delivered"} <= statuses
    kinds = {e.kind for e in _all(filled, s.order_events)}
    assert kinds == {"held_for_review", "out_of_stock"}


def test_nothing_happens_after_the_end(filled: Engine) -> None:
    stamps: list[datetime] = []
    for o in _all(filled, s.orders):
        stamps += [t for t in (o.created_at, o.paid_at, o.updated_at) if t is not None]
    stamps += [p.shipped_at for p in _all(filled, s.parcels)]
    stamps += [e.event_time for e in _all(filled, s.tracking_events)]
    stamps += [f.created_at for f in _all(filled, s.feedback)]
    stamps += [e.at for e in _all(filled, s.order_events)]
    assert max(stamps) <= END
    start = to_utc(datetime.combine(CONFIG.first_day, datetime.min.time()), "Asia/Shanghai")
    assert min(o.created_at for o in _all(filled, s.orders)) >= start


def test_feedback_ratings_and_shipping_tags(filled: Engine) -> None:
    feedback = _all(filled, s.feedback)
    assert feedback and all(f.rating is None or 1 <= f.rating <= 5 for f in feedback)
    tags = {t for f in feedback for t in f.tags.split("|") if t}
    assert {"发货慢", "虚假发货"} <= tags
    orders = {(o.shop_id, o.order_no): o for o in _all(filled, s.orders)}
    early_slow = [
        f
        for f in feedback
        if "发货慢" in f.tags
        and (o := orders[(f.shop_id, f.order_no)]).promised_ship_by is not None
        and f.created_at < o.promised_ship_by
    ]
    assert early_slow, "some [发货慢] complaints are made within the promised time"


def test_last_day_has_orders_not_yet_picked_up() -> None:
    rows = _rows(CONFIG)
    last_day = [o for o in rows["orders"] if o["created_at"] >= END.replace(hour=0) and o["paid_at"]]
    assert any(o["status"] == "paid" for o in last_day)


def test_streaming_does_not_hold_all_orders() -> None:
    big = DemoConfig(orders=10_000_000, days=90, seed=1, end=CONFIG.end, batch_orders=200)
    first = list(islice(table_batches(big, list(range(1, 8))), 2))  # a 10M run starts at once
    assert [b.orders for b in first] == [200, 200]


def test_run_generates_then_summarises(cli_env: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["run", "--orders", "600", "--once"])
    assert result.exit_code == 0, result.output
    for shop in SHOPS:
        assert shop.name in result.output
    for carrier in ("zto", "sf", "jd"):
        assert carrier in result.output
    assert "差评回访 follow-ups" in result.output and "售后单 cases" in result.output
    again = runner.invoke(app, ["demo", "--orders", "100"])
    assert again.exit_code == 1 and "--reset" in again.output
    reset = runner.invoke(app, ["demo", "--orders", "100", "--reset", "--seed", "3"])
    assert reset.exit_code == 0, reset.output
    assert "100 orders" in reset.output
