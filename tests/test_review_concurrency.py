"""Four `lanshou review run` processes review the same orders for the same hot SKUs at once: each order is
reviewed exactly once, nothing is oversold, reserved stock is exactly what accepted orders hold, and the
ledger balances (on SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, func, select

from lanshou.db.bulk import insert_rows
from lanshou.inventory.queries import ledger_mismatches
from lanshou.schema import order_events, order_lines, orders, reservations, review_state, stock
from tests.inventory_data import NOW, make_shop, put_stock

CLI = [sys.executable, str(Path(__file__).with_name("review_cli_small.py")), "review", "run", "--json"]
HOT = ("HOT-1", "HOT-2", "HOT-3", "HOT-4")
ORDERS = 400


def fill(engine: Engine) -> None:
    put_stock(engine, [(sku, "main", 120) for sku in HOT])  # about half of what the orders want
    rng = random.Random(3)
    with engine.begin() as conn:
        shop = make_shop(conn)
        order_rows, line_rows = [], []
        for i in range(ORDERS):
            no = f"C{i:04d}"
            place = ("广东省", "深圳市", "南山区", f"科技园{i}号")
            order_rows.append((shop, no, "paid", NOW, NOW, f"buyer-{i}", "李四", "13800000000", *place, NOW))
            for n, sku in enumerate(rng.sample(HOT, rng.randint(1, 3))):
                line_rows.append((shop, no, str(n), sku, rng.randint(1, 2)))
        columns = [
            "shop_id",
            "order_no",
            "status",
            "created_at",
            "paid_at",
            "buyer_key",
            "receiver_name",
            "receiver_phone",
            "province",
            "city",
            "district",
            "address",
            "updated_at",
        ]
        insert_rows(conn, orders, order_rows, columns)
        insert_rows(conn, order_lines, line_rows, ("shop_id", "order_no", "line_key", "sku", "quantity"))


def test_four_review_processes_review_each_order_once_and_never_oversell(engine: Engine) -> None:
    fill(engine)
    env = {**os.environ, "LANSHOU_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    procs = [subprocess.Popen(CLI, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    results = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0, 0], [err[-500:] for _, err in results]
    r, v, s = review_state.c, reservations.c, stock.c
    with engine.connect() as conn:
        reviewed = conn.execute(select(func.count(), func.count(func.distinct(r.order_no)))).one()
        assert tuple(reviewed) == (ORDERS, ORDERS)
        entries = conn.execute(select(func.count()).select_from(order_events)).scalar_one()
        assert entries == ORDERS  # one decision per order: no order reviewed twice
        accepted = set(conn.execute(select(r.order_no).where(r.state == "accepted")).scalars())
        holding = set(conn.execute(select(v.order_no).where(v.state == "reserved")).scalars())
        assert accepted == holding and 100 < len(accepted) < ORDERS
        stock_only = conn.execute(
            select(func.count()).where(r.state == "held", r.stock_only.is_(True))
        ).scalar_one()
        assert stock_only == ORDERS - len(accepted)  # everything else was held for stock alone
        for row in conn.execute(select(s.sku, s.on_hand, s.reserved)):
            held = conn.execute(
                select(func.coalesce(func.sum(v.quantity), 0)).where(v.sku == row.sku, v.state == "reserved")
            ).scalar_one()
            assert row.reserved == held <= row.on_hand == 120
        assert ledger_mismatches(conn) == []
    reports = [out for out, _ in results]
    assert sum(len(out) > 0 for out in reports) == 4  # every process answered with its JSON report
