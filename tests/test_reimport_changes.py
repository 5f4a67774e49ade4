"""A re-imported export mostly repeats what is stored (a daily export covers the last days again): only the
orders whose fields, lines or parcels changed, and the orders riding in a parcel that changed, are
announced as changed and derived again; the rollups stay the recompute. Real imports, SQLite and
PostgreSQL, on the merged-parcels case (tests/test_merged_parcels.py)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select

from lanshou import schema as s
from lanshou.events import OrdersChanged, bus
from lanshou.intake.orders import import_orders
from lanshou.intake.tracking import import_tracking
from lanshou.orders.rows import money_text
from lanshou.tracking.queries import parcels_of
from tests.test_merged_parcels import ORDERS, load, order_rows, report, write_events, write_orders


@pytest.fixture
def announced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The order numbers every OrdersChanged published from now on names."""
    names: list[str] = []
    publish = bus.publish

    def recording(conn: Connection, event: Any) -> None:
        if isinstance(event, OrdersChanged):
            names.extend(order_no for _, order_no in event.keys)
        publish(conn, event)

    monkeypatch.setattr(bus, "publish", recording)
    return names


def test_the_same_file_again_changes_and_derives_nothing(
    engine: Engine, tmp_path: Path, announced: list[str]
) -> None:
    load(engine, tmp_path)
    before = report(engine)
    announced.clear()
    again = import_orders(engine, tmp_path / "orders.csv", rejects=tmp_path / "rej.csv")
    assert (again.inserted, again.updated, again.unchanged, again.lines) == (0, 0, 7, 8)
    assert announced == []
    assert report(engine) == before


def test_only_the_orders_that_changed_are_derived_again(
    engine: Engine, tmp_path: Path, announced: list[str]
) -> None:
    load(engine, tmp_path)
    rows = {row[0]: row for row in ORDERS if row[0] != "S1"}
    newer = order_rows([rows["M1"]])[0].replace(",商品,", ",商品（新包装）,")  # M1: a line's title
    s1 = [r for r in ORDERS if r[0] == "S1"]
    completed = [(no, "completed", *rest) for no, _, *rest in s1]  # S1: its status
    x2 = (*rows["X2"][:6], "yto", *rows["X2"][7:])  # X2: its parcel's carrier, so X1 (not in the file) too
    y2 = rows["Y2"]
    y2_more = (*y2[:5], "SKU-9", "sto", "TY2", "11-07 13:00")  # Y2: a line in a second parcel
    file = [newer, *order_rows([rows["M2"], *completed, x2, y2, y2_more])]  # M2 as it was
    announced.clear()
    result = import_orders(engine, write_orders(tmp_path / "2.csv", file), rejects=tmp_path / "rej.csv")
    assert (result.inserted, result.updated, result.unchanged) == (0, 4, 1)
    assert sorted(announced) == ["M1", "S1", "X1", "X2", "Y2"]
    report(engine)  # the rollups are still exactly the recompute
    with engine.connect() as conn:
        title = s.order_lines.c.title
        assert (
            conn.execute(select(title).where(s.order_lines.c.order_no == "M1")).scalar_one()
            == "商品（新包装）"
        )
        shop_id = conn.execute(select(s.orders.c.shop_id).where(s.orders.c.order_no == "Y2")).scalar_one()
        assert {p.tracking_no for p in parcels_of(conn, shop_id, ["Y2"])["Y2"]} == {"TY", "TY2"}
        assert {p.carrier for p in parcels_of(conn, shop_id, ["X1"])["X1"]} == {"yto"}
    announced.clear()
    assert import_orders(engine, tmp_path / "2.csv", rejects=tmp_path / "rej.csv").unchanged == 5
    assert announced == []


@pytest.mark.parametrize("with_b", [True, False], ids=["B-in-the-file", "B-not-in-the-file"])
def test_an_order_leaving_a_shared_parcel_moves_it_for_the_orders_it_still_carries(
    engine: Engine, tmp_path: Path, announced: list[str], with_b: bool
) -> None:
    """B (the smaller number, paid, no province) and C (paid, 浙江省) ride in TA: TA counts under B, at C's
    province. A newer export corrects C's number to TA2: TA, still counted under B, has no province now,
    so B is derived again too, whether the file repeats B unchanged or leaves it out."""
    b = ("B", "shipped", "11-01 09:00", "11-01 10:00", "", "SKU-1", "zto")
    c = ("C", "shipped", "11-01 10:05", "11-01 10:10", "浙江省", "SKU-2", "zto")
    first = order_rows([(*b, "TA", "11-01 11:00"), (*c, "TA", "11-01 11:00")])
    assert import_orders(engine, write_orders(tmp_path / "1.csv", first), rejects=tmp_path / "r.csv").ok
    events = [("TA", "zto", "11-01 12:00", "picked_up"), ("TA", "zto", "11-02 12:00", "delivered")]
    assert import_tracking(engine, write_events(tmp_path / "t.csv", events), rejects=tmp_path / "r.csv").ok
    by_province = report(engine)["all"]["delivery_hours_by_province"]
    assert {k: v["count"] for k, v in by_province.items()} == {"浙江省": 1}
    second = ([(*b, "TA", "11-01 11:00")] if with_b else []) + [(*c, "TA2", "11-01 11:00")]
    announced.clear()
    assert import_orders(
        engine, write_orders(tmp_path / "2.csv", order_rows(second)), rejects=tmp_path / "r.csv"
    ).ok
    assert sorted(announced) == ["B", "C"]
    by_province = report(engine)["all"]["delivery_hours_by_province"]  # equal to the recompute
    assert "浙江省" not in by_province


def test_a_negative_zero_amount_is_zero_and_imported_again_unchanged(engine: Engine, tmp_path: Path) -> None:
    """ "-0" is 0.00 when stored; read back it compares equal to the file's, whichever of the two equal
    Decimals the cache of money texts met first (the parser's process starts from this one's)."""
    money_text.cache_clear()
    row = (
        "taobao,店,Z1,paid,2026-11-01 10:00:00,2026-11-01 10:00:00,0,,b,张三,13812345678,浙江省,杭州市,"
        "西湖区,文三路1号,,SKU-1,t,,1,-0,-0,,,"
    )
    path = write_orders(tmp_path / "zero.csv", [row])
    assert import_orders(engine, path, rejects=tmp_path / "r.csv").inserted == 1
    again = import_orders(engine, path, rejects=tmp_path / "r.csv")
    assert (again.updated, again.unchanged) == (0, 1)
    with engine.connect() as conn:
        assert conn.execute(select(s.orders.c.order_amount)).scalar_one() == 0
    assert money_text(Decimal("-0.001")) == money_text(Decimal("0")) == "0.00"
