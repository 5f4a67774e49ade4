"""An order's destination country and the seller's remark (卖家备注), on SQLite and PostgreSQL: read from the
generic file and the platform exports that carry them, kept when a later file lacks the column, shown by
`orders show --json`, read by the rules, held by review, and used by carrier choice (price by country)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.cli.app import app
from lanshou.intake.orders import import_orders
from lanshou.orders.countries import country_code
from lanshou.review.facts import load_orders, rule_order
from lanshou.review.queries import ready_shipments
from lanshou.review.run import review_orders
from lanshou.rules import compile_condition
from lanshou.rules.context import activation
from lanshou.shipping.choice import choose
from lanshou.shipping.config import parse_config
from tests.test_generic_import import HEADER
from tests.test_platform_readers import ALIEXPRESS_HEADER, ALIEXPRESS_ROWS, write_aliexpress

NOW = datetime(2026, 11, 30, 8, 0)
HEAD = HEADER + ",country,seller_remark"


def generic_row(
    order: str,
    country: str | None = None,
    remark: str | None = None,
    platform: str = "tmall",
    address: str = "文三路100号",
) -> str:
    """One line of the generic file (HEADER's 25 columns; country and seller_remark after them if given)."""
    cells = [platform, "旗舰店", order, "paid", "2026-11-29 10:00:00", "2026-11-29 10:01:00", "0", "",
             f"b-{order}", "张三", "13812345678", "浙江省", "杭州市", "西湖区", address, "", "SKU-1",
             "保温杯", "家居", "1", "59.00", "59.00", "", "", ""]  # fmt: skip
    if country is not None or remark is not None:
        cells += [country or "", remark or ""]
    return ",".join(cells)


def write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def stored(engine: Engine, order_no: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(s.orders).where(s.orders.c.order_no == order_no)).one()


def test_country_codes_as_exports_write_them() -> None:
    assert [country_code(x) for x in ("美国", "United States", "us", " ES ", "", "Atlantis")] == [
        "US",
        "US",
        "US",
        "ES",
        "",
        "Atlantis",
    ]


def test_generic_file_stores_both_and_a_file_without_the_columns_keeps_them(
    engine: Engine, tmp_path: Path
) -> None:
    first = write(tmp_path / "a.csv", HEAD, [generic_row("O1", "美国", "加急 顺丰")])
    assert import_orders(engine, first, rejects=tmp_path / "r.csv").inserted == 1
    row = stored(engine, "O1")
    assert (row.country, row.seller_remark) == ("US", "加急 顺丰")
    # a file of the older layout (no country, no seller_remark) updates the order and keeps both
    older = write(tmp_path / "b.csv", HEADER, [generic_row("O1", address="文三路100号3号楼")])
    report = import_orders(engine, older, rejects=tmp_path / "r.csv")
    assert report.updated == 1
    row = stored(engine, "O1")
    assert row.address == "文三路100号3号楼" and (row.country, row.seller_remark) == ("US", "加急 顺丰")
    # the columns present and empty: the file says there is none now
    cleared = write(tmp_path / "c.csv", HEAD, [generic_row("O1", "", "", address="文三路100号3号楼")])
    assert import_orders(engine, cleared, rejects=tmp_path / "r.csv").updated == 1
    row = stored(engine, "O1")
    assert (row.country, row.seller_remark) == ("", "")


def test_a_country_too_long_for_its_column_is_rejected(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", HEAD, [generic_row("O2", "X" * 65, "")])
    report = import_orders(engine, path, rejects=tmp_path / "r.csv")
    assert report.inserted == 0 and report.rejected[0].column == "country"


TAOBAO_HEADER = (
    "订单编号,买家会员名,买家实际支付金额,订单状态,买家留言,收货人姓名,收货地址,联系手机,订单创建时间,"
    "订单付款时间,订单备注,店铺名称"
)
TAOBAO_ROW = (
    '"=""3100000000000001""",tb_wang,99.00,买家已付款，等待卖家发货,,王五,'
    "浙江省 杭州市 西湖区 文三路1号 (310000),'13800000009,2026-11-29 10:00:00,2026-11-29 10:01:00,"
    "赠品：杯套,蓝手旗舰店"
)
DOUYIN_HEADER = (
    "主订单编号,子订单编号,选购商品,商品数量,商家编码,订单应付金额,收件人,收件人手机号,详细地址,"
    "订单提交时间,商家备注,订单状态,售后状态,店铺名称"
)
DOUYIN_ROW = (
    "\t6930000000000001,\t6930000000000011,发夹,1,CLIP-1,20.00,赵六,13800000010,广东省深圳市南山区科技园1号,"
    "2026-11-29 12:00:00,改发中通,待发货,-,蓝手抖音小店"
)


def test_platform_exports_carry_the_remark_and_the_country(engine: Engine, tmp_path: Path) -> None:
    taobao = write(tmp_path / "tb.csv", TAOBAO_HEADER, [TAOBAO_ROW])
    assert import_orders(engine, taobao, "taobao", rejects=tmp_path / "r.csv").inserted == 1
    assert stored(engine, "3100000000000001").seller_remark == "赠品：杯套"  # 订单备注: the seller's note
    douyin = write(tmp_path / "dy.csv", DOUYIN_HEADER, [DOUYIN_ROW])
    assert import_orders(engine, douyin, "douyin", rejects=tmp_path / "r.csv").inserted == 1
    assert stored(engine, "6930000000000001").seller_remark == "改发中通"
    rows = [list(r) for r in ALIEXPRESS_ROWS]
    country = ALIEXPRESS_HEADER.index("收货国家")
    rows[1][country] = "西班牙"
    ae = write_aliexpress(tmp_path / "ae.xlsx", rows)
    report = import_orders(engine, ae, "aliexpress", shop="AE", rejects=tmp_path / "r.csv")
    assert report.ok
    assert stored(engine, ALIEXPRESS_ROWS[0][0]).country == "US"  # "United States"
    assert stored(engine, ALIEXPRESS_ROWS[1][0]).country == "ES"  # "西班牙"
    assert stored(engine, ALIEXPRESS_ROWS[0][0]).seller_remark == ""  # AliExpress 订单备注 is the buyer's
    assert stored(engine, ALIEXPRESS_ROWS[0][0]).buyer_message == ALIEXPRESS_ROWS[0][11]


def _seed(engine: Engine, tmp_path: Path) -> None:
    rows = [
        generic_row("R1", "美国", "加急"),
        generic_row("R2", "", ""),
        generic_row("R3", "ES", "", platform="aliexpress"),
        generic_row("R4", "", "", platform="aliexpress"),
    ]
    report = import_orders(engine, write(tmp_path / "o.csv", HEAD, rows), rejects=tmp_path / "r.csv")
    assert report.inserted == 4


def all_keys(conn: Connection) -> list[tuple[int, str]]:
    return [(r.shop_id, r.order_no) for r in conn.execute(select(s.orders.c.shop_id, s.orders.c.order_no))]


def test_rules_read_country_and_remark(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    with engine.connect() as conn:
        data = {o.order_no: o for o in load_orders(conn, all_keys(conn))}
    assert len(data) == 4
    condition = compile_condition("country == 'US' && remark.contains('加急')")
    facts = {no: activation(rule_order(o, None, False), NOW) for no, o in data.items()}
    assert [no for no in sorted(facts) if condition.check(facts[no])] == ["R1"]
    home = compile_condition("country == 'CN'")  # no country given: a domestic platform ships at home
    assert [no for no in sorted(facts) if home.check(facts[no])] == ["R2"]
    abroad = compile_condition("country != 'CN' && country != ''")
    assert [no for no in sorted(facts) if abroad.check(facts[no])] == ["R1", "R3"]


def test_notification_rules_see_the_same_country_and_remark(engine: Engine, tmp_path: Path) -> None:
    from lanshou.notifications.facts_store import load_order_facts

    _seed(engine, tmp_path)
    with engine.connect() as conn:
        found = load_order_facts(conn, all_keys(conn))
    facts = {key[1]: f.rule_order for key, f in found.items()}
    assert {no: (o.country, o.remark) for no, o in facts.items()} == {
        "R1": ("US", "加急"),
        "R2": ("CN", ""),
        "R3": ("ES", ""),
        "R4": ("", ""),
    }


def test_review_holds_an_order_with_a_seller_remark(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    review_orders(engine, now=NOW)
    with engine.connect() as conn:
        states = {r.order_no: r.reasons for r in conn.execute(select(s.review_state))}
    assert "卖家备注 seller remark to read" in states["R1"]
    assert "卖家备注" not in states["R2"]


CARRIERS = """
strategy = "cheapest"

[sender]
name = "李四"
phone = "15999566666"
province = "浙江省"
city = "杭州市"
district = "余杭区"
address = "文一西路969号"

[[carriers]]
code = "zto"
prices."US" = { first_g = 1000, first = 60.0, extra_g = 1000, extra = 30.0 }
prices."ES" = { first_g = 1000, first = 90.0, extra_g = 1000, extra = 30.0 }

[[carriers]]
code = "ems"
prices."*" = { first_g = 1000, first = 80.0, extra_g = 1000, extra = 30.0 }
"""


def test_carrier_choice_prices_by_destination_country(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    with engine.begin() as conn:
        for shop_id, order_no in all_keys(conn):
            conn.execute(
                s.review_state.insert(),
                {"shop_id": shop_id, "order_no": order_no, "state": "accepted", "reviewed_at": NOW},
            )
        shipments = {x.order_nos[0]: x for x in ready_shipments(conn)}
    assert {no: x.country for no, x in shipments.items()} == {"R1": "US", "R2": "CN", "R3": "ES", "R4": ""}
    plan = parse_config(CARRIERS).plan
    chosen = {no: choose(plan, shipments[no], NOW, "Asia/Shanghai", {}) for no in ("R1", "R3")}
    assert (chosen["R1"].carrier, chosen["R1"].price) == ("zto", Decimal("60.00"))  # US: 60 < 80
    assert (chosen["R3"].carrier, chosen["R3"].price) == ("ems", Decimal("80.00"))  # ES: 80 < 90
    assert shipments["R1"].remark == "加急"


def test_orders_show_json_has_country_and_remark(cli_env: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "o.csv", HEAD, [generic_row("S1", "US", "先发杯子")])
    runner = CliRunner()
    assert runner.invoke(app, ["import", "orders", str(path)]).exit_code == 0
    result = runner.invoke(app, ["orders", "show", "S1", "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert (d["country"], d["seller_remark"]) == ("US", "先发杯子")
    assert d["lines"][0]["no"] == 1
    shown = runner.invoke(app, ["orders", "show", "S1"])
    assert "卖家备注 seller remark: 先发杯子" in shown.output and "[US]" in shown.output
