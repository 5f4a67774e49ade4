"""`lanshou orders show` and its use case (lanshou.orders.detail) on SQLite and PostgreSQL: the order, its
lines, its parcels with their tracks and its timeline; masked unless asked; one shop at a time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from lanshou.cli.app import app
from lanshou.orders.detail import AmbiguousOrder, OrderNotFound, find_order_detail, order_detail
from lanshou.shops.store import load_shops
from tests.test_reports_misses_queue import PHONE, load_case
from tests.web2_data import Both, seed_both

runner = CliRunner()


@pytest.fixture
def both(engine: Engine, tmp_path: Path) -> Both:
    return seed_both(engine, tmp_path)


def test_an_order_in_full_with_parcels_events_and_timeline(both: Both) -> None:
    with both.engine.connect() as conn:
        d = find_order_detail(conn, "A1", [both.case_shop_id])
    assert {"order_id", "shop", "platform", "status", "lines", "parcels", "timeline"} <= set(d)
    assert (d["order_id"], d["shop"], d["platform"], d["status"]) == ("A1", "测试小店", "douyin", "shipped")
    assert d["timezone"] == "Asia/Shanghai"
    assert d["paid_at"] == "2026-11-01T10:00:00+08:00"
    assert (d["country"], d["seller_remark"]) == ("", "")  # the file had neither
    assert d["lines"] == [
        {
            "no": 1,
            "line_key": d["lines"][0]["line_key"],
            "sku": "SKU-1",
            "title": "商品",
            "category": "食品",
            "quantity": 1,
            "unit_price": "10.00",
        }
    ]
    (parcel,) = d["parcels"]
    assert (parcel["carrier"], parcel["tracking_no"], parcel["status"]) == ("zto", "T1", "delivered")
    assert parcel["shipped_at"] == "2026-11-01T12:00:00+08:00"
    assert parcel["pickup_at"] == "2026-11-01T20:00:00+08:00"
    assert parcel["delivered_at"] == "2026-11-03T08:00:00+08:00"
    assert parcel["orders"] == ["A1"]
    assert [e["status"] for e in parcel["events"]] == ["delivered", "in_transit", "picked_up"]  # newest first
    assert parcel["events"][0]["location"] == "杭州"
    held = [e for e in d["timeline"] if e["kind"] == "held"]
    assert held == [
        {"at": "2026-11-01T10:30:00+08:00", "kind": "held", "detail": "买家留言: 周末送", "actor": "王芳"}
    ]
    ats = [e["at"] for e in d["timeline"]]
    assert ats == sorted(ats)  # oldest first


def test_receiver_masked_by_default_and_whole_when_asked(both: Both) -> None:
    with both.engine.connect() as conn:
        masked = find_order_detail(conn, "A2", [both.case_shop_id])
        whole = find_order_detail(conn, "A2", [both.case_shop_id], unmask=True)
    assert masked["receiver"]["phone"] == "138****5678" and masked["receiver"]["masked"] is True
    assert PHONE not in json.dumps(masked, ensure_ascii=False)
    assert masked["receiver"]["address"] != "文三路1号"
    assert whole["receiver"]["phone"] == PHONE and whole["receiver"]["address"] == "文三路1号"


def test_an_order_without_parcels_and_a_timezone_asked_for(both: Both) -> None:
    with both.engine.connect() as conn:
        d = find_order_detail(conn, "A4", [both.case_shop_id], timezone="UTC")
    assert d["parcels"] == [] and d["timezone"] == "UTC"
    assert d["paid_at"] == "2026-11-09T12:00:00+00:00"


def test_only_the_shops_given_and_one_shop_at_a_time(both: Both) -> None:
    ids = both.seeded.shop_ids
    with both.engine.connect() as conn:
        with pytest.raises(OrderNotFound):  # A1 of 测试小店, looked for among the tmall shop's orders
            find_order_detail(conn, "A1", [ids["tmall/旗舰店"]])
        with pytest.raises(OrderNotFound):
            find_order_detail(conn, "A1", [])
        with pytest.raises(AmbiguousOrder, match="tmall/旗舰店"):  # SAME-1 is in two shops
            find_order_detail(conn, "SAME-1", list(ids.values()))
        one = find_order_detail(conn, "SAME-1", [ids["douyin/抖音小店"]])
        assert one["shop"] == "抖音小店"
        assert order_detail(conn, ids["douyin/抖音小店"], "A1") is None


def _cli(engine: Engine, *args: str) -> Result:
    url = engine.url.render_as_string(hide_password=False)
    return runner.invoke(app, ["orders", "show", *args], env={"LANSHOU_DATABASE_URL": url})


def test_cli_json_is_the_use_cases_json(both: Both) -> None:
    result = _cli(both.engine, "A1", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown.pop("reservations") == []  # the inventory area's rows, added by the CLI: A1 holds no stock
    with both.engine.connect() as conn:
        assert shown == find_order_detail(conn, "A1", [both.case_shop_id])


def test_cli_table_shows_parcel_events_and_timeline(both: Both) -> None:
    result = _cli(both.engine, "A1", "--shop", "douyin:测试小店")
    out = result.stdout
    assert result.exit_code == 0, out
    for text in ("A1", "T1", "SKU-1", "王芳", "held", "138****5678"):
        assert text in out
    assert PHONE not in out


def test_cli_refuses_clearly(both: Both) -> None:
    ambiguous = _cli(both.engine, "SAME-1")
    assert ambiguous.exit_code == 2
    assert "--shop" in ambiguous.stderr
    assert _cli(both.engine, "SAME-1", "--shop", "抖音小店", "--json").exit_code == 0
    missing = _cli(both.engine, "NOPE")
    assert missing.exit_code == 1 and "NOPE" in missing.stderr
    assert _cli(both.engine, "A1", "--shop", "no such shop").exit_code == 2


def test_merged_parcel_names_every_order_it_carries(engine: Engine, tmp_path: Path) -> None:
    load_case(engine, tmp_path)
    csv = tmp_path / "merged.csv"
    header = (tmp_path / "orders.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = [
        f"douyin,测试小店,{no},shipped,2026-11-05 10:00:00,2026-11-05 10:00:00,0,,bx,张三,13812345678,"
        f"浙江省,杭州市,西湖区,文三路1号,,SKU-9,商品,食品,1,5.00,5.00,zto,MERGED1,2026-11-05 12:00:00"
        for no in ("M1", "M2")
    ]
    csv.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    from lanshou.intake.orders import import_orders

    assert import_orders(engine, csv, rejects=tmp_path / "r.csv").ok
    with engine.connect() as conn:
        d = find_order_detail(conn, "M2", list(load_shops(conn)))
    assert d["parcels"][0]["orders"] == ["M1", "M2"]
