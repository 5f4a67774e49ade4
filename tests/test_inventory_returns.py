"""Returned goods on SQLite and PostgreSQL: a restocked return goes back where the order shipped from, through
the SKU mapping, in the ledger and the timeline; a write-off changes no stock."""

from __future__ import annotations

from sqlalchemy import Engine

from lanshou.events import EventBus, ReturnReceived, StockArrived
from lanshou.inventory.mapping import save_mappings
from lanshou.inventory.queries import ledger_mismatches
from lanshou.inventory.reserve import deduct_orders, reserve_orders
from lanshou.inventory.returns import take_back
from lanshou.orders.timeline import read
from tests.inventory_data import NOW, make_shop, put_stock, stock_of


def test_a_restocked_return_goes_back_where_it_left_and_a_write_off_does_not(engine: Engine) -> None:
    put_stock(engine, [("A", "main", 5), ("A", "east", 5), ("B", "east", 5)])
    events = EventBus()
    arrived: list[StockArrived] = []
    events.during(StockArrived, lambda conn, event: arrived.append(event))
    with engine.begin() as conn:
        shop = make_shop(conn)
        save_mappings(conn, shop, "GIFT", [("A", 1), ("B", 2)])  # a bundle: one A and two B
        reserve_orders(conn, [((shop, "1"), (("A", 1), ("B", 2)))], NOW)  # only east has B
        deduct_orders(conn, [(shop, "1")], NOW)
    with engine.begin() as conn:
        assert stock_of(conn)[("A", "east")] == (4, 0) and stock_of(conn)[("B", "east")] == (3, 0)
        back = take_back(conn, ReturnReceived(shop, "1", "C1", "restock", (("GIFT", 1),)), NOW, events)
        kept = take_back(conn, ReturnReceived(shop, "1", "C2", "write_off", (("GIFT", 1),)), NOW, events)
    assert back == [("A", 1), ("B", 2)] and kept == []
    assert arrived == [StockArrived(("A", "B"))]
    with engine.connect() as conn:
        stock = stock_of(conn)
        assert (stock[("A", "east")], stock[("B", "east")], stock[("A", "main")]) == ((5, 0), (5, 0), (5, 0))
        assert ledger_mismatches(conn) == []
        kinds = [entry.kind for entry in read(conn, shop, "1")]
    assert "stock_returned" in kinds and "return_written_off" in kinds
