"""Inventory on SQLite and PostgreSQL: counts, reservations all or none, release, deduct on ship, ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from lanshou.events import OrderShipped, bus
from lanshou.inventory.counts import StockError, UnknownWarehouse, adjust, import_counts
from lanshou.inventory.mapping import ALL_SHOPS, load_map, save_mappings
from lanshou.inventory.queries import (
    ledger_mismatches,
    list_stock,
    listable,
    listable_quantities,
    order_reservations,
)
from lanshou.inventory.reserve import release_orders, reserve_orders
from lanshou.inventory.scope import SkuNotFound, stock_scope
from lanshou.orders.queries import SKUS_OF_SHOP, line_skus
from lanshou.orders.timeline import read
from lanshou.schema import order_lines, stock_ledger
from tests.inventory_data import NOW, add_order, make_shop, put_stock, stock_of


def write(path: Path, text_: str) -> Path:
    path.write_text(text_, encoding="utf-8")
    return path


def test_a_count_sets_on_hand_and_importing_it_again_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    file = write(
        tmp_path / "s.csv",
        "sku,warehouse,on_hand,safety_stock,location\nA,main,10,3,A-01\nB,main,0,,\nA,east,5,,\n",
    )
    first = import_counts(engine, file, NOW)
    second = import_counts(engine, file, NOW)
    assert (first.rows, first.created, second.changed) == (3, 3, 0)
    with engine.connect() as conn:
        assert stock_of(conn) == {("A", "main"): (10, 0), ("B", "main"): (0, 0), ("A", "east"): (5, 0)}
        ledger = conn.execute(select(stock_ledger.c.kind, stock_ledger.c.on_hand_delta)).all()
        assert sorted(ledger) == [("count", 5), ("count", 10)]
        assert ledger_mismatches(conn) == []
        assert {r.warehouse: r.location for r in list_stock(conn, sku="A")} == {"main": "A-01", "east": ""}
        rows = {(r.sku, r.warehouse): r.as_json() for r in list_stock(conn, low=True)}
    assert set(rows) == {("B", "main")}  # A@main: 10 > 3; A@east: 5 > 0; B: 0 <= 0
    assert rows[("B", "main")] == {
        "sku": "B",
        "warehouse": "main",
        "on_hand": 0,
        "reserved": 0,
        "available": 0,
        "safety_stock": 0,
    }
    import_counts(engine, write(tmp_path / "t.csv", "sku,warehouse,on_hand\nA,main,7\n"), NOW)
    with engine.connect() as conn:
        assert stock_of(conn)[("A", "main")] == (7, 0)
        assert ledger_mismatches(conn) == []


def test_a_bad_stock_file_is_refused_whole_with_each_line_and_reason(engine: Engine, tmp_path: Path) -> None:
    file = write(
        tmp_path / "bad.csv", "sku,warehouse,on_hand\nA,main,10\nB,main,-2\nC,main,1.5\nD,,4\nA,main,3\n"
    )
    with pytest.raises(StockError) as caught:
        import_counts(engine, file, NOW)
    lines = dict(caught.value.problems)
    assert set(lines) == {3, 4, 5, 6}
    assert "negative" in lines[3] and "whole number" in lines[4] and "duplicate of line 2" in lines[6]
    with engine.connect() as conn:
        assert stock_of(conn) == {}


def test_the_database_refuses_negative_stock_and_reserving_more_than_on_hand(engine: Engine) -> None:
    put_stock(engine, [("A", "main", 2)])
    for statement in ("UPDATE stock SET on_hand = -1", "UPDATE stock SET reserved = 3"):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(statement))
    with pytest.raises(StockError, match="cannot take 3"):
        adjust(engine, "A", "main", -3, NOW)
    assert adjust(engine, "A", "main", 4, NOW).on_hand == 6
    with engine.connect() as conn:
        assert ledger_mismatches(conn) == []


def test_an_order_reserves_all_its_lines_in_one_warehouse_or_nothing(engine: Engine) -> None:
    put_stock(engine, [("A", "main", 5), ("B", "main", 1), ("A", "east", 5), ("B", "east", 5)])
    with engine.begin() as conn:
        shop = make_shop(conn)
        done = reserve_orders(
            conn,
            [
                ((shop, "1"), (("A", 2), ("B", 1))),  # main covers it
                ((shop, "2"), (("A", 2), ("B", 1))),  # B is gone in main: east
                ((shop, "3"), (("A", 2), ("B", 9))),  # nowhere: nothing held, A untouched
            ],
            NOW,
        )
    assert [done[(shop, n)].warehouse for n in "12"] == ["main", "east"]
    assert not done[(shop, "3")].ok and done[(shop, "3")].short == ("B",)
    with engine.begin() as conn:
        assert stock_of(conn) == {
            ("A", "main"): (5, 2),
            ("B", "main"): (1, 1),
            ("A", "east"): (5, 2),
            ("B", "east"): (5, 1),
        }
        again = reserve_orders(conn, [((shop, "1"), (("A", 2), ("B", 1)))], NOW)
        assert again[(shop, "1")].already
        assert release_orders(conn, [(shop, "2")], NOW, note="hold") == 2
        assert release_orders(conn, [(shop, "2")], NOW) == 0  # released once
        assert stock_of(conn)[("A", "east")] == (5, 0)
        assert ledger_mismatches(conn) == []


def test_short_names_only_the_skus_no_warehouse_had(engine: Engine) -> None:
    with engine.begin() as conn:
        shop = make_shop(conn)
        before = reserve_orders(conn, [((shop, "0"), (("A", 1), ("B", 1)))], NOW)
    assert before[(shop, "0")].short == ("A", "B")  # no warehouse at all yet
    put_stock(engine, [("A", "main", 5), ("B", "east", 1)])  # each SKU kept in one warehouse only
    with engine.begin() as conn:
        done = reserve_orders(conn, [((shop, "1"), (("A", 1), ("B", 2))), ((shop, "2"), (("B", 1),))], NOW)
    # order 1 fails in east on A (not kept there) and in main on B: A is on the shelf, only B is short
    assert not done[(shop, "1")].ok and done[(shop, "1")].short == ("B",)
    assert done[(shop, "2")].warehouse == "east"


def test_shipping_deducts_what_the_order_reserved(engine: Engine) -> None:
    put_stock(engine, [("A", "main", 5)])
    with engine.begin() as conn:
        shop = make_shop(conn)
        reserve_orders(conn, [((shop, "1"), (("A", 3),))], NOW)
        bus.publish(conn, OrderShipped((shop, "1"), "SF1", "sf"))
    bus.settle(engine)
    with engine.connect() as conn:
        assert stock_of(conn)[("A", "main")] == (2, 0)
        held = order_reservations(conn, shop, "1")
        assert [(r["sku"], r["warehouse"], r["quantity"], r["state"]) for r in held] == [
            ("A", "main", 3, "deducted")
        ]
        assert [e.kind for e in read(conn, shop, "1")] == ["stock_deducted"]
        assert ledger_mismatches(conn) == []


def test_mapped_and_bundled_platform_skus_become_stock_skus(engine: Engine) -> None:
    with engine.begin() as conn:
        shop = make_shop(conn)
        save_mappings(conn, ALL_SHOPS, "TM-CUP", [("CUP", 1)])
        save_mappings(conn, shop, "GIFTBOX", [("CUP", 2), ("TEA", 1)])
        skus = load_map(conn)
    assert skus.needs(shop, [("GIFTBOX", 2), ("TM-CUP", 1), ("PEN", 3)]) == (
        ("CUP", 5),
        ("PEN", 3),
        ("TEA", 2),
    )
    assert skus.needs(shop + 1, [("GIFTBOX", 1)]) == (("GIFTBOX", 1),)


def test_each_shop_lists_available_minus_its_buffer(engine: Engine) -> None:
    put_stock(engine, [("A", "main", 10), ("A", "east", 5), ("B", "main", 1)])
    with engine.connect() as conn:
        assert listable_quantities(conn, {"stock_buffer": 2}) == {"A": 13, "B": 0}
    assert listable(10, 0.25) == 7 and listable(3, 5) == 0


def test_a_shop_sees_the_stock_skus_it_sells_through_its_lines_and_mappings(engine: Engine) -> None:
    put_stock(engine, [(sku, "main", 5) for sku in ("A", "B", "C", "CUP", "TEA", "LAMP")])
    with engine.begin() as conn:
        one, two = make_shop(conn, "店一"), make_shop(conn, "店二")
        add_order(conn, one, "1", [("A", 1), ("BOX", 1)])
        add_order(conn, two, "2", [("BOX", 1), ("B", 1)])
        save_mappings(conn, ALL_SHOPS, "BOX", [("CUP", 2), ("TEA", 1)])  # a bundle, in every shop
        save_mappings(conn, two, "BOX", [("C", 1)])  # ... but shop two's own BOX is C
        save_mappings(conn, two, "NEW", [("TEA", 1)])  # not ordered yet: shop two sells TEA all the same
    with engine.connect() as conn:
        first = stock_scope(conn, [one], every_shop=False)
        second = stock_scope(conn, [two], every_shop=False)
        assert first.skus == {"A", "CUP", "TEA"} and second.skus == {"B", "C", "TEA"}
        assert stock_scope(conn, [], every_shop=False).skus == frozenset()
        assert stock_scope(conn, [], every_shop=True).covers("LAMP")  # sold by no shop: every shop's users
        assert [r.sku for r in list_stock(conn, scope=second)] == ["B", "C", "TEA"]
    with pytest.raises(SkuNotFound):
        adjust(engine, "A", "main", 1, NOW, scope=second)
    assert adjust(engine, "C", "main", 1, NOW, scope=second).on_hand == 6


def test_the_skus_a_shop_sells_are_found_on_the_sku_index_as_a_plain_distinct_finds_them(
    engine: Engine,
) -> None:
    skus = ["A", "AB", "A-1", "B", "杯子", "杯子-大", "Z" * 128]  # shared beginnings, CJK, the longest
    with engine.begin() as conn:
        one, two, three = make_shop(conn, "店一"), make_shop(conn, "店二"), make_shop(conn, "店三")
        for n in range(60):  # many lines of few SKUs, unevenly over the shops; shop three sells nothing
            shop = one if n % 3 else two
            add_order(conn, shop, str(n), [(skus[n % len(skus)], 1), (skus[(n * 5) % len(skus)], 2)])
    with engine.connect() as conn:
        plain = select(order_lines.c.shop_id, order_lines.c.sku).distinct()
        every = {(int(shop), sku) for shop, sku in conn.execute(plain)}
        for shops in ([one], [two], [one, two], [two, three, two], [three], []):
            wanted = {pair for pair in every if pair[0] in shops}
            found = line_skus(conn, shops)
            assert len(found) == len(set(found)) and set(found) == wanted
        if engine.dialect.name == "sqlite":  # no step reads the lines themselves
            sql = str(SKUS_OF_SHOP.compile(conn)).replace("?", str(one))
            plan = " ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert "SCAN order_lines" not in plan
            assert "COVERING INDEX ix_order_lines_sku (shop_id=? AND sku>?)" in plan


def test_an_adjustment_names_an_existing_warehouse_and_never_makes_one(engine: Engine) -> None:
    put_stock(engine, [("A", "浙江省杭州市", 5), ("B", "浙江省杭州市", 1), ("B", "广东省深圳市", 1)])
    with pytest.raises(UnknownWarehouse, match="'main'; known 现有仓库: 广东省深圳市, 浙江省杭州市"):
        adjust(engine, "A", "main", 3, NOW)
    with pytest.raises(UnknownWarehouse, match="B is in 广东省深圳市, 浙江省杭州市"):
        adjust(engine, "B", None, 3, NOW)
    with pytest.raises(UnknownWarehouse, match="known 现有仓库: 广东省深圳市, 浙江省杭州市"):
        adjust(engine, "NEW", "", 3, NOW)  # stocked nowhere yet: the warehouse must be named
    done = adjust(engine, "A", None, 3, NOW)  # A's only warehouse
    assert (done.warehouse, done.on_hand) == ("浙江省杭州市", 8)
    assert adjust(engine, "NEW", "广东省深圳市", 2, NOW).on_hand == 2  # a new SKU in a known warehouse
    with engine.connect() as conn:
        assert {site for _, site in stock_of(conn)} == {"浙江省杭州市", "广东省深圳市"}
        assert ledger_mismatches(conn) == []
