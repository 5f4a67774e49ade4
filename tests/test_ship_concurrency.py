"""Two `lanshou ship` processes on the same orders at once, on SQLite and PostgreSQL: one run ships the shop
(the other is told another run is shipping it, or finds nothing left); every order ships once with one
waybill and one label, and no number goes to two shipments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from lanshou import schema as s
from lanshou.shipping.labels.fonts import DEFAULT_CJK_FONT, FONT_ENV
from tests.conftest import IN_CI
from tests.ship_data import CARRIERS, add_order, add_shop, load_pool

pytestmark = pytest.mark.skipif(
    not DEFAULT_CJK_FONT.is_file() and not os.environ.get(FONT_ENV) and not IN_CI,
    reason="no CJK font here: apt-get install fonts-wqy-zenhei (CI installs it and never skips)",
)
ROOT = Path(__file__).parent.parent
ORDERS = 120


def test_two_ship_runs_at_once(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        add_shop(conn)
        for i in range(ORDERS):
            add_order(conn, f"8{i:05d}", minutes=i)
        conn.execute(s.carrier_configs.insert(), {"source": CARRIERS, "loaded_at": datetime(2026, 11, 30)})
    load_pool(engine, "zto", ORDERS * 2)
    env = {**os.environ, "LANSHOU_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    script = "import lanshou.shipping.ship as m; m.BATCH = 10; from lanshou.cli.app import main; main()"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, "ship", "--labels", str(tmp_path / f"run{n}.pdf"), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=env,
        )
        for n in range(2)
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, 1) and out.startswith("{"), err
        reports.append(json.loads(out))
    shipped = Counter(o for r in reports for item in r["shipments"] if item["ok"] for o in item["orders"])
    assert sorted(shipped) == [f"8{i:05d}" for i in range(ORDERS)]
    assert set(shipped.values()) == {1}  # the other run is told it is already shipped
    assert sum(r["pages"] for r in reports) == ORDERS  # and no label is printed twice
    with engine.connect() as conn:
        assert set(conn.execute(select(s.orders.c.status)).scalars()) == {"shipped"}
        held = conn.execute(select(s.shipment_waybills.c.order_no, s.shipment_waybills.c.tracking_no)).all()
        assert len(held) == ORDERS and len({number for _, number in held}) == ORDERS
        used = conn.execute(
            select(s.waybill_numbers.c.tracking_no).where(s.waybill_numbers.c.status == "used")
        ).scalars()
        assert sorted(used) == sorted(number for _, number in held)  # numbers taken in vain went back
        links = conn.execute(select(func.count()).select_from(s.parcel_orders)).scalar_one()
        assert links == ORDERS
