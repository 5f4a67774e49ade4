# ruff: noqa: E501
"""Business statistics on SQLite and PostgreSQL: hand-computed figures for a period and the one before,
kept current by events (orders, after-sales steps) and equal to a recompute from the raw tables."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.aftersales.service import act
from lanshou.cli.app import app
from lanshou.cli.common import console
from lanshou.intake.aftersales import import_aftersales
from lanshou.intake.feedback import import_feedback
from lanshou.intake.orders import import_orders
from lanshou.stats import tables as t
from lanshou.stats.refresh import catch_up_stats, rebuild
from lanshou.stats.report import stats_report

ORDERS = """platform,shop,order_id,status,created_at,paid_at,buyer_id,province,sku,category,quantity,unit_price,order_amount,carrier,tracking_no
taobao,旗舰店,A1,completed,2026-09-29 09:59:00,2026-09-29 10:00:00,b1,浙江省,SKU-A,家居,2,50.00,100.00,,
taobao,旗舰店,A2,delivered,2026-10-01 09:59:00,2026-10-01 10:00:00,b1,浙江省,SKU-B,服饰,1,60.00,60.00,,
taobao,旗舰店,A3,shipped,2026-10-01 23:29:00,2026-10-01 23:30:00,b2,江苏省,SKU-A,家居,1,50.00,150.00,,
taobao,旗舰店,A3,shipped,2026-10-01 23:29:00,2026-10-01 23:30:00,b2,江苏省,SKU-C,食品,2,50.00,150.00,,
taobao,旗舰店,A4,paid,2026-10-02 00:29:00,2026-10-02 00:30:00,b3,江苏省,SKU-C,食品,1,40.00,40.00,,
taobao,旗舰店,A5,cancelled,2026-10-03 08:00:00,,b2,广东省,SKU-B,服饰,1,99.00,99.00,,
taobao,旗舰店,A6,shipped,2026-10-03 08:59:00,2026-10-03 09:00:00,b2,广东省,SKU-B,服饰,2,100.00,200.00,zto,ZT6
"""
CASES = """platform,shop,case_id,order_id,type,status,reason,amount,created_at,return_carrier,return_tracking_no,sku,quantity
taobao,旗舰店,K1,A3,return_refund,refunded,质量问题,50.00,2026-10-02 10:00:00,,,SKU-A,1
taobao,旗舰店,K2,A6,exchange,requested,尺码不合适,0,2026-10-03 12:00:00,,,SKU-B,1
taobao,旗舰店,K3,A2,refund,closed,不想要了,60.00,2026-10-01 12:00:00,,,,
taobao,旗舰店,K4,A6,refund,requested,包装破损,20.00,2026-10-03 13:00:00,,,,
"""
EARLIER = """platform,shop,order_id,status,created_at,paid_at,buyer_id,province,sku,category,quantity,unit_price,order_amount
taobao,旗舰店,A0,completed,2026-09-30 09:59:00,2026-09-30 10:00:00,b3,江苏省,SKU-C,食品,1,10.00,10.00
"""
FEEDBACK = """platform,shop,order_id,created_at,rating,tags,content
taobao,旗舰店,A3,2026-10-02 12:00:00,1,,物流太慢，包装破损
taobao,旗舰店,A4,2026-10-03 12:00:00,2,,不慢但是发错了
taobao,旗舰店,A1,2026-09-30 12:00:00,1,,太慢
"""
FIRST, LAST = date(2026, 10, 1), date(2026, 10, 3)


def _load(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "o.csv").write_text(ORDERS, encoding="utf-8")
    (tmp_path / "c.csv").write_text(CASES, encoding="utf-8")
    assert import_orders(engine, tmp_path / "o.csv", rejects=tmp_path / "r.csv").rejected_count == 0
    assert import_aftersales(engine, tmp_path / "c.csv", rejects=tmp_path / "r.csv").rejected_count == 0
    (tmp_path / "f.csv").write_text(FEEDBACK, encoding="utf-8")
    assert import_feedback(engine, tmp_path / "f.csv", rejects=tmp_path / "r.csv").rejected_count == 0
    act(engine, "K2", "agree", "alice")
    act(engine, "K2", "buyer_return", "system")
    act(engine, "K2", "receive", "bob", disposition="restock")  # the exchange goes out: ¥100 resent


def _report(engine: Engine) -> dict[str, Any]:
    catch_up_stats(engine)  # as every report does first (imports only mark)
    with engine.connect() as conn:
        return stats_report(conn, FIRST, LAST)


def test_hand_computed_report(engine: Engine, tmp_path: Path) -> None:
    _load(engine, tmp_path)
    report = _report(engine)
    assert report["previous"] == {"from": "2026-09-28", "to": "2026-09-30"}
    totals = report["totals"]
    assert {k: totals[k] for k in ("orders", "sales", "avg_order", "repeat_orders", "repeat_rate")} == {
        "orders": 4,
        "sales": "450.00",
        "avg_order": "112.50",
        "repeat_orders": 2,
        "repeat_rate": 0.5,
    }
    assert {
        k: totals[k]
        for k in ("cases", "returns", "return_rate", "refunds", "refunded", "resent", "aftersales_cost")
    } == {
        "cases": 4,
        "returns": 2,
        "return_rate": 0.5,
        "refunds": 1,
        "refunded": "50.00",
        "resent": "100.00",
        "aftersales_cost": "150.00",
    }
    assert (report["previous_totals"]["orders"], report["previous_totals"]["sales"]) == (1, "100.00")
    assert (report["change"]["orders"], report["change"]["sales"]) == (3.0, 3.5)
    assert report["change"]["refunded"] is None  # nothing refunded before: no ratio
    # A4 was paid at 00:30 Shanghai on 2 October (16:30 UTC on the 1st): it counts on the 2nd
    assert report["daily"] == [
        {"day": "2026-10-01", "orders": 2, "sales": "210.00"},
        {"day": "2026-10-02", "orders": 1, "sales": "40.00"},
        {"day": "2026-10-03", "orders": 1, "sales": "200.00"},
    ]
    assert report["categories"] == [
        {"category": "服饰", "quantity": 3, "sales": "260.00", "share": 0.5778},
        {"category": "食品", "quantity": 3, "sales": "140.00", "share": 0.3111},
        {"category": "家居", "quantity": 1, "sales": "50.00", "share": 0.1111},
    ]
    assert [(p["province"], p["orders"], p["sales"]) for p in report["provinces"]] == [
        ("江苏省", 2, "190.00"),
        ("广东省", 1, "200.00"),
        ("浙江省", 1, "60.00"),
    ]
    assert [(p["sku"], p["quantity"], p["sales"]) for p in report["products"]] == [
        ("SKU-B", 3, "260.00"),
        ("SKU-C", 3, "140.00"),
        ("SKU-A", 1, "50.00"),
    ]
    assert report["returns_by_sku"] == [
        {"sku": "SKU-A", "orders": 1, "returns": 1, "return_rate": 1.0},
        {"sku": "SKU-B", "orders": 2, "returns": 1, "return_rate": 0.5},
    ]
    assert report["damage_by_carrier"] == [
        {"carrier": "zto", "reason_code": "damaged", "cases": 1, "refunded": "0.00"}
    ]
    assert report["returns_by_reason"] == [
        {"reason_code": "damaged", "returns": 0, "cases": 1, "refunded": "0.00"},
        {"reason_code": "no_reason", "returns": 0, "cases": 1, "refunded": "0.00"},
        {"reason_code": "other", "returns": 1, "cases": 1, "refunded": "0.00"},
        {"reason_code": "quality", "returns": 1, "cases": 1, "refunded": "50.00"},
    ]
    # the follow-ups' themes of the period (A1's complaint was in the previous one)
    assert report["feedback_themes"] == [
        {"theme": "包装破损", "count": 1},
        {"theme": "发货慢", "count": 1},
        {"theme": "错发", "count": 1},
    ]
    with engine.connect() as conn:
        shop_id = conn.execute(select(s.shops.c.id)).scalar_one()
        assert stats_report(conn, FIRST, LAST, [shop_id + 1])["totals"]["orders"] == 0  # another shop's view
    with pytest.raises(ValueError, match="before"), engine.connect() as conn:
        stats_report(conn, LAST, FIRST)


def _snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    catch_up_stats(engine)
    with engine.connect() as conn:
        return {
            table.name: sorted(tuple(row) for row in conn.execute(select(table)))
            for table in (*t.FACTS, *t.ROLLUPS)
        }


def test_events_keep_rollups_equal_to_a_recompute(engine: Engine, tmp_path: Path) -> None:
    _load(engine, tmp_path)
    # an earlier order of b3 arrives late: A4 becomes a repeat purchase
    (tmp_path / "e.csv").write_text(EARLIER, encoding="utf-8")
    import_orders(engine, tmp_path / "e.csv", rejects=tmp_path / "r.csv")
    assert _report(engine)["totals"]["repeat_orders"] == 3
    # A6 is refunded as a whole order by the platform: still a sale of its day, the refund is after-sales
    changed = ORDERS.replace("A6,shipped", "A6,refunded")
    (tmp_path / "o2.csv").write_text(changed, encoding="utf-8")
    import_orders(engine, tmp_path / "o2.csv", rejects=tmp_path / "r.csv")
    incremental = _snapshot(engine)
    assert incremental["stats_daily"]
    rebuild(engine)
    assert _snapshot(engine) == incremental


def test_stats_cli(cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "_width", 200)
    runner = CliRunner()
    (tmp_path / "o.csv").write_text(ORDERS, encoding="utf-8")
    assert runner.invoke(app, ["import", "orders", str(tmp_path / "o.csv")]).exit_code == 0
    result = runner.invoke(
        app,
        ["stats", "--from", "2026-10-01", "--to", "2026-10-03", "--json", "--xlsx", str(tmp_path / "s.xlsx")],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["totals"]["orders"] == 4
    assert (tmp_path / "s.xlsx").exists()
    table = runner.invoke(
        app, ["stats", "--from", "2026-10-01", "--to", "2026-10-03", "--shop", "旗舰店", "--rebuild"]
    )
    assert table.exit_code == 0 and "服饰" in table.output and "+300.0%" in table.output
    assert runner.invoke(app, ["stats", "--shop", "nope"]).exit_code == 2
    assert runner.invoke(app, ["stats", "--from", "2026-10-03", "--to", "2026-10-01"]).exit_code == 2


def test_marks_left_by_a_killed_import_are_caught_up_by_the_next_report(
    engine: Engine, tmp_path: Path
) -> None:
    from lanshou.buyers.tables import buyer_dirty
    from lanshou.db.marks import mark, pending
    from lanshou.events import EventBus, OrdersChanged
    from lanshou.stats.tables import stats_dirty

    quiet = EventBus()  # marks in the import's transactions, but the process "dies" before catching up
    quiet.during(OrdersChanged, lambda conn, event: mark(conn, buyer_dirty, event.keys))
    quiet.during(OrdersChanged, lambda conn, event: mark(conn, stats_dirty, event.keys))
    (tmp_path / "o.csv").write_text(ORDERS, encoding="utf-8")
    import_orders(engine, tmp_path / "o.csv", rejects=tmp_path / "r.csv", events=quiet)
    with engine.connect() as conn:
        assert (pending(conn, stats_dirty), pending(conn, buyer_dirty)) == (6, 6)
        assert stats_report(conn, FIRST, LAST)["totals"]["orders"] == 0
    assert catch_up_stats(engine) == 6
    with engine.connect() as conn:
        assert (pending(conn, stats_dirty), pending(conn, buyer_dirty)) == (0, 0)
    report = _report(engine)
    assert (report["totals"]["orders"], report["totals"]["repeat_orders"]) == (4, 2)
