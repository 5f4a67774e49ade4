"""A re-imported export mostly repeats what is stored (a daily export covers the last days again): only the
orders whose fields, lines or parcels changed, and the orders riding in a parcel that changed, are
announced as changed and derived again; the rollups stay the recompute. Real imports, SQLite and
PostgreSQL, on the merged-parcels case (tests/test_merged_parcels.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select

from lanshou import schema as s
from lanshou.events import OrdersChanged, bus
from lanshou.intake.orders import import_orders
from lanshou.tracking.queries import parcels_of
from tests.test_merged_parcels import ORDERS, load, order_rows, report, write_orders


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
