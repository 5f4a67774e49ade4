"""Four real processes reserve orders for the same four hot SKUs at once: nothing is oversold, every stock
row's reserved quantity is exactly what live reservations hold, and the ledger balances."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, func, select

from lanshou.inventory.queries import ledger_mismatches
from lanshou.schema import reservations, stock, warehouses
from tests.inventory_data import make_shop, put_stock

WORKER = [sys.executable, str(Path(__file__).with_name("inventory_worker.py"))]
ON_HAND = 60  # per hot SKU and warehouse: 4 × 150 orders want far more, so they compete for the last units


def test_four_processes_never_oversell_hot_skus(engine: Engine) -> None:
    put_stock(engine, [(f"HOT-{i}", site, ON_HAND) for i in range(1, 5) for site in ("main", "east")])
    with engine.begin() as conn:
        assert make_shop(conn) == 1
    url = engine.url.render_as_string(hide_password=False)
    procs = [
        subprocess.Popen([*WORKER, url, str(n), "150", "10"], stdout=subprocess.PIPE, text=True)
        for n in range(4)
    ]
    outputs = [proc.communicate(timeout=240)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0, 0]
    reserved_orders = sum(int(out.strip()) for out in outputs)
    r, s, w = reservations.c, stock.c, warehouses.c
    with engine.connect() as conn:
        assert ledger_mismatches(conn) == []
        held = dict(
            conn.execute(
                select(r.sku + "@" + func.cast(r.warehouse_id, stock.c.sku.type), func.sum(r.quantity))
                .where(r.state == "reserved")
                .group_by(r.sku, r.warehouse_id)
            ).all()
        )
        shipped = dict(
            conn.execute(
                select(r.sku + "@" + func.cast(r.warehouse_id, stock.c.sku.type), func.sum(r.quantity))
                .where(r.state == "deducted")
                .group_by(r.sku, r.warehouse_id)
            ).all()
        )
        rows = conn.execute(
            select(s.sku, s.warehouse_id, s.on_hand, s.reserved, w.code).join(warehouses)
        ).all()
        orders_reserved = conn.execute(select(func.count(func.distinct(r.order_no)))).scalar_one()
    assert orders_reserved == reserved_orders and reserved_orders > 100
    for row in rows:
        key = f"{row.sku}@{row.warehouse_id}"
        assert row.reserved == held.get(key, 0)  # exactly what live reservations hold
        assert row.on_hand == ON_HAND - shipped.get(key, 0)  # deducted on ship, nothing else
        assert 0 <= row.reserved <= row.on_hand
        assert held.get(key, 0) + shipped.get(key, 0) <= ON_HAND  # never more promised than there was
    # the hot SKUs really ran dry: the processes competed for the last units
    assert sum(row.on_hand - row.reserved for row in rows) < 8 * ON_HAND // 3
