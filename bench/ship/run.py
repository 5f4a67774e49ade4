"""Batch-ship benchmark: shipments/s through `lanshou.shipping.ship.ship` (carrier choice, pool waybills,
labels PDF, marking shipped with parcels and timeline), against the labels PDF alone for the same
shipments in the same run (the floor: drawing the labels is most of the work).

    .venv/bin/python bench/ship/run.py                       # 1,000 orders, SQLite in a temp dir
    .venv/bin/python bench/ship/run.py --orders 5000 --url postgresql://postgres@127.0.0.1:5432/bench_ship

A PostgreSQL URL must name a database the benchmark may empty (it is created if missing and dropped after).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text

from lanshou import bootstrap
from lanshou import schema as s
from lanshou.db.bulk import insert_rows
from lanshou.db.engine import make_engine, upgrade, write_transaction
from lanshou.review.ready import ReadyLine, ReadyShipment
from lanshou.shipping.config import EXAMPLE_CONFIG, parse_config
from lanshou.shipping.labels import write_labels
from lanshou.shipping.labels.fonts import cjk_font
from lanshou.shipping.parcels import Waybill, label_for
from lanshou.shipping.pool_store import DbNumberPool
from lanshou.shipping.ship import ShipOptions, ship
from lanshou.shops.store import load_shops

CONFIG = EXAMPLE_CONFIG
PROVINCES = ("广东省", "浙江省", "江苏省", "北京市", "四川省", "新疆维吾尔自治区", "湖北省", "上海市")


def shipments_of(orders: int) -> list[ReadyShipment]:
    """The seeded orders as review hands them on (built here: the bench measures shipping, not review)."""
    paid = datetime(2026, 11, 30, 1, 0)
    return [
        ReadyShipment(
            keys=((1, f"{9_000_000 + i}"),),
            platform="taobao",
            shop="旗舰店",
            shop_id=1,
            warehouse="",
            priority=0,
            pickup_deadline=paid + timedelta(hours=24),
            promised_ship_by=None,
            receiver_name="张三",
            receiver_phone="13800001234",
            country="CN",
            province=PROVINCES[i % len(PROVINCES)],
            city="某市",
            district="某区",
            address=f"幸福路{i}号{i % 30}栋{i % 7 + 1}单元",
            buyer_data_masked=False,
            shipping_method="",
            amount=Decimal("88.00"),
            lines=(ReadyLine(f"{9_000_000 + i}", f"SKU-{i % 40}", "保温杯 500ml 不锈钢", 1 + i % 3),),
        )
        for i in range(orders)
    ]


def seed(url: str, orders: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    paid = datetime(2026, 11, 30, 1, 0)
    with engine.begin() as conn:
        conn.execute(s.shops.insert(), {"id": 1, "platform": "taobao", "name": "旗舰店"})
        rows = [
            {
                "shop_id": 1,
                "order_no": f"{9_000_000 + i}",
                "status": "paid",
                "created_at": paid,
                "paid_at": paid + timedelta(seconds=i),
                "receiver_name": "张三",
                "receiver_phone": "13800001234",
                "province": PROVINCES[i % len(PROVINCES)],
                "city": "某市",
                "district": "某区",
                "address": f"幸福路{i}号{i % 30}栋{i % 7 + 1}单元",
                "order_amount": Decimal("88.00"),
                "updated_at": paid,
            }
            for i in range(orders)
        ]
        insert_rows(conn, s.orders, rows)
        lines = [
            {
                "shop_id": 1,
                "order_no": f"{9_000_000 + i}",
                "line_key": "1",
                "sku": f"SKU-{i % 40}",
                "title": "保温杯 500ml 不锈钢",
                "quantity": 1 + i % 3,
            }
            for i in range(orders)
        ]
        insert_rows(conn, s.order_lines, lines)
        accepted = [
            {"shop_id": 1, "order_no": f"{9_000_000 + i}", "state": "accepted", "reviewed_at": paid}
            for i in range(orders)
        ]
        insert_rows(conn, s.review_state, accepted)  # review accepted them: shipping's guard lets them go
        conn.execute(s.carrier_configs.insert(), {"source": CONFIG.read_text("utf-8"), "loaded_at": paid})
    with write_transaction(engine) as conn:
        pool = DbNumberPool(conn)
        for code in ("zto", "yto", "sf", "ems"):
            pool.add(code, [f"7{code}{i:012d}" for i in range(orders)])
    engine.dispose()


def bench(url: str, orders: int, workdir: Path) -> None:
    seed(url, orders)
    engine = make_engine(url)
    config = parse_config(CONFIG.read_text("utf-8"))
    cjk_font()  # register the font first, as a long-running process would have
    with engine.connect() as conn:
        shops = load_shops(conn)
    shipments = shipments_of(orders)
    assert config.sender is not None
    labels = [label_for(sh, Waybill("zto", f"75{i:012d}"), config.sender) for i, sh in enumerate(shipments)]
    start = time.perf_counter()
    write_labels(labels, workdir / "floor.pdf")
    floor = time.perf_counter() - start
    start = time.perf_counter()
    report = ship(engine, shipments, config, shops, ShipOptions(workdir / "ship.pdf"), {})
    seconds = time.perf_counter() - start
    assert len(report.shipped) == orders, report.failed[:3]
    print(f"{engine.dialect.name}: {orders:,} orders")
    print(f"  labels PDF alone (floor)  {orders / floor:8.0f} /s  {floor:6.1f} s")
    print(f"  lanshou ship              {orders / seconds:8.0f} /s  {seconds:6.1f} s")
    print(f"  ratio ship / floor        {seconds / floor:8.2f} ×")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--url", help="PostgreSQL URL of a scratch database (default: SQLite in a temp dir)")
    args = parser.parse_args()
    bootstrap.start()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.url:
            bench(f"sqlite:///{tmp}/bench.db", args.orders, Path(tmp))
            return
        url = args.url.replace("postgresql://", "postgresql+psycopg://", 1)
        admin_url, name = url.rsplit("/", 1)
        admin = create_engine(f"{admin_url}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            bench(url, args.orders, Path(tmp))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
