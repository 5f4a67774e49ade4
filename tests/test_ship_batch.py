"""`lanshou ship` end to end on SQLite and PostgreSQL: waybills from the pool, one labels PDF in pick order,
orders shipped with their parcels, timeline and events; re-runs finish what is left without a second waybill;
one order's failure stops nothing; a cancelled order is never shipped."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from sqlalchemy import Connection, Engine, func, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.cli.app import app
from lanshou.events import OrderShipped, bus
from lanshou.review.queries import ready_shipments
from lanshou.shipping import leases
from lanshou.shipping.labels.fonts import DEFAULT_CJK_FONT, FONT_ENV
from lanshou.shipping.pool_import import WaybillActionRefused, cancel_number
from lanshou.shipping.reprint import ReprintRefused, reprint_labels
from lanshou.shipping.ship import ShipRefused
from tests.conftest import IN_CI
from tests.ship_data import (
    CARRIERS,
    add_order,
    add_shop,
    kinds,
    load_pool,
    pages,
    run,
    statuses,
    used_numbers,
)

pytestmark = pytest.mark.skipif(
    not DEFAULT_CJK_FONT.is_file() and not os.environ.get(FONT_ENV) and not IN_CI,
    reason="no CJK font here: apt-get install fonts-wqy-zenhei (CI installs it and never skips)",
)


def test_ship_end_to_end(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        add_shop(conn)
        for i in range(5):
            add_order(conn, f"100{i}", minutes=i)
        add_order(conn, "1009", province="新疆维吾尔自治区")
        add_order(conn, "1010", status="cancelled")
    load_pool(engine, "zto", 10)
    load_pool(engine, "ems", 2)
    seen: list[OrderShipped] = []
    bus.during(OrderShipped, lambda _conn, event: seen.append(event))
    try:
        report = run(engine, tmp_path)
    finally:
        bus._during[OrderShipped].pop()
    assert (len(report.shipped), len(report.failed)) == (6, 0), [o.reason for o in report.failed]
    assert pages(tmp_path / "labels.pdf") == 6
    by_order = {o.shipment.order_nos[0]: o for o in report.outcomes}
    assert by_order["1009"].carrier == "ems" and "偏远地区走邮政" in by_order["1009"].reason
    assert by_order["1000"].carrier == "zto" and "cheapest" in by_order["1000"].reason
    assert statuses(engine) == {
        **{f"100{i}": "shipped" for i in range(5)},
        "1009": "shipped",
        "1010": "cancelled",
    }
    assert sorted(e.key[1] for e in seen) == ["1000", "1001", "1002", "1003", "1004", "1009"]
    with engine.connect() as conn:
        links = dict(conn.execute(select(s.parcel_orders.c.order_no, s.parcel_orders.c.tracking_no)).all())
        assert links["1000"] == by_order["1000"].tracking_no
        state = conn.execute(select(s.parcel_state.c.status).distinct()).scalars().all()
        assert state == ["info_received"]
        assert conn.execute(select(func.count()).select_from(s.parcels)).scalar_one() == 6
    assert kinds(engine, "1000") == ["carrier_chosen", "waybill_taken", "shipped"]
    assert used_numbers(engine) == 6
    upload = tmp_path / "upload" / "taobao_批量发货.csv"
    rows = list(csv.reader(io.StringIO(upload.read_bytes().decode("gb18030"))))
    assert len(rows) == 7 and rows[1][0].strip() == "1000"
    # nothing is left: a second run ships nothing and takes no number
    with engine.connect() as conn:
        assert ready_shipments(conn) == []


def test_a_rerun_after_a_failed_print_reuses_the_waybills(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as conn:
        add_shop(conn)
        for i in range(4):
            add_order(conn, f"200{i}")
    load_pool(engine, "zto", 10)
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "no-such-font.ttf"))
    with pytest.raises(ShipRefused, match="nothing marked shipped"):
        run(engine, tmp_path)
    assert set(statuses(engine).values()) == {"paid"}
    assert used_numbers(engine) == 4  # the waybills were recorded before printing
    assert not (tmp_path / "labels.pdf").exists()
    monkeypatch.undo()
    report = run(engine, tmp_path)
    assert len(report.shipped) == 4 and all(o.reused for o in report.shipped)
    assert used_numbers(engine) == 4  # never a second waybill
    assert set(statuses(engine).values()) == {"shipped"}
    assert kinds(engine, "2000") == ["carrier_chosen", "waybill_taken", "shipped"]


def test_one_failure_stops_nothing_and_a_dry_pool_is_finished_later(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        add_shop(conn)
        add_order(conn, "3000", address="")  # no address: refused by the waybill guard
        add_order(conn, "3001", address="科技路*号")  # masked: never sent to a carrier
        for i in range(2, 6):
            add_order(conn, f"300{i}", minutes=i)
    load_pool(engine, "zto", 3)
    report = run(engine, tmp_path)
    failed = {o.shipment.order_nos[0]: o.reason for o in report.failed}
    assert "missing recipient address" in failed["3000"]
    assert "masked" in failed["3001"]
    assert sum("number pool of zto is empty" in r for r in failed.values()) == 1
    assert len(report.shipped) == 3 and pages(tmp_path / "labels.pdf") == 3
    load_pool(engine, "zto", 5, start=100)
    again = run(engine, tmp_path, "labels2.pdf")
    assert len(again.shipped) == 1 and len(again.failed) == 2
    assert pages(tmp_path / "labels2.pdf") == 1
    assert used_numbers(engine) == 4


def test_a_cancelled_order_is_refused_and_takes_no_waybill(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        add_shop(conn)
        add_order(conn, "4000")
        add_order(conn, "4001")
        add_order(conn, "4002")
        add_order(conn, "4003", review="")  # never reviewed: not ready, not listed
    load_pool(engine, "zto", 5)
    with engine.connect() as conn:
        shipments = ready_shipments(conn)
    with engine.begin() as conn:  # after the list was read: the buyer cancels one, staff hold another
        conn.execute(s.orders.update().where(s.orders.c.order_no == "4001").values(status="cancelled"))
        held = s.review_state.c.order_no == "4002"
        conn.execute(s.review_state.update().where(held).values(state="held"))
    report = run(engine, tmp_path, shipments=shipments)
    assert [o.shipment.order_nos[0] for o in report.shipped] == ["4000"]
    reasons = {o.shipment.order_nos[0]: o.reason for o in report.failed}
    assert "the order is cancelled" in reasons["4001"]
    assert "not accepted in review (held)" in reasons["4002"]
    assert "4003" not in reasons
    assert used_numbers(engine) == 1
    assert statuses(engine)["4001"] == "cancelled"
    assert kinds(engine, "4001") == []


def _count_rows(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(s.shipment_waybills)).scalar_one())


def test_cli_ship(cli_env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["ship"])
    assert result.exit_code == 2 and "carriers load" in result.output
    carriers = tmp_path / "carriers.toml"
    carriers.write_text(CARRIERS, encoding="utf-8")
    assert runner.invoke(app, ["carriers", "load", str(carriers)]).exit_code == 0
    bad = tmp_path / "bad.toml"
    bad.write_text(CARRIERS.replace("province in", "province inn"), encoding="utf-8")
    result = runner.invoke(app, ["carriers", "load", str(bad)])
    assert result.exit_code == 2 and "line 1 column" in result.output
    from lanshou.db.engine import open_database

    engine = open_database(None)
    with engine.begin() as conn:
        add_shop(conn)
        for i in range(3):
            add_order(conn, f"600{i}")
    load_pool(engine, "zto", 5)
    result = runner.invoke(app, ["ship", "--size", "80x80"])
    assert result.exit_code == 2 and "unsupported label size" in result.output
    lists = ["--pick-list", str(tmp_path / "pick.pdf"), "--packing-list", str(tmp_path / "pack.pdf")]
    result = runner.invoke(
        app, ["ship", "--labels", str(tmp_path / "l.pdf"), "--size", "76x130", "--json", *lists]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["shipped"] == 3 and body["pages"] == 3
    # the batch-ship upload file is written without asking, beside the labels (issue 10 item 7)
    assert body["upload_files"] == [str(tmp_path / "l-upload" / "taobao_批量发货.csv")]
    assert pages(tmp_path / "pick.pdf") >= 1 and pages(tmp_path / "pack.pdf") >= 1
    # nothing left to ship (e.g. another run shipped it first): --json still answers with a report
    result = runner.invoke(app, ["ship", "--labels", str(tmp_path / "again.pdf"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "shipped": 0,
        "failed": 0,
        "labels": None,
        "pages": 0,
        "upload_files": [],
        "notes": [],
        "shipments": [],
    }
    result = runner.invoke(app, ["ship", "--labels", str(tmp_path / "again.pdf")])
    assert result.exit_code == 0 and "nothing ready to ship" in result.output
    assert not (tmp_path / "again.pdf").exists()
    page = pdfium.PdfDocument(str(tmp_path / "l.pdf"))[0]
    assert [round(v / 72 * 25.4) for v in page.get_size()] == [76, 130]
    result = runner.invoke(app, ["carriers", "scorecard", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["carrier"] == "zto"
    with engine.connect() as conn:
        assert _count_rows(conn) == 3


def test_cancel_and_reprint_waybills(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with engine.begin() as conn:
        add_shop(conn)
        add_order(conn, "7000")
        add_order(conn, "7001")
        conn.execute(s.carrier_configs.insert(), {"source": CARRIERS, "loaded_at": datetime(2026, 11, 30)})
    numbers = load_pool(engine, "zto", 5)
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "no-such-font.ttf"))
    with pytest.raises(ShipRefused):
        run(engine, tmp_path)
    monkeypatch.undo()
    # the first order's waybill is withdrawn before it shipped: it takes a fresh number next time
    cancelled = cancel_number(engine, "zto", numbers[0], "王芳")
    assert cancelled.orders == ("7000",) and kinds(engine, "7000")[-1] == "waybill_cancelled"
    report = run(engine, tmp_path)
    by_order = {o.shipment.order_nos[0]: o for o in report.shipped}
    assert by_order["7000"].tracking_no == numbers[2] and not by_order["7000"].reused
    assert by_order["7001"].tracking_no == numbers[1] and by_order["7001"].reused
    with pytest.raises(WaybillActionRefused, match="shipped parcel"):
        cancel_number(engine, "zto", numbers[1])
    done = reprint_labels(engine, "zto", [numbers[1], numbers[2], "79999999999"], tmp_path / "again.pdf")
    assert (done.pages, done.missing) == (2, ("79999999999",))
    assert pages(tmp_path / "again.pdf") == 2
    with pytest.raises(ReprintRefused, match="no shipment holds"):
        reprint_labels(engine, "zto", [numbers[0]], tmp_path / "none.pdf")


def test_one_ship_run_per_shop_at_a_time(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        add_shop(conn)
        add_shop(conn, 2, "douyin", "抖店")
        add_order(conn, "9100")
        add_order(conn, "9101", shop_id=2)
    load_pool(engine, "zto", 5)
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:  # another run is shipping shop 1
        assert leases.acquire(conn, [1], "other-run", now) == {1}
    report = run(engine, tmp_path)
    assert [o.shipment.shop for o in report.shipped] == ["抖店"]
    assert "another lanshou ship run is shipping 旗舰店" in report.failed[0].reason
    with engine.begin() as conn:
        assert leases.acquire(conn, [1, 2], "third-run", now) == {2}  # ours was released at the end
        assert leases.acquire(conn, [1], "third-run", now + leases.LEASE * 3) == {1}  # a dead run's lapses
        leases.release(conn, "third-run")
    assert len(run(engine, tmp_path, "again.pdf").shipped) == 1


def test_review_then_ship_deducts_the_reserved_stock(cli_env: Path, tmp_path: Path) -> None:
    """The whole day: stock, review accepts (reserving), ship takes waybills and marks shipped, inventory
    deducts what was reserved (it listens to OrderShipped)."""
    from lanshou.cli.common import database
    from tests.inventory_data import add_order as add_paid
    from tests.inventory_data import make_shop, put_stock, stock_of

    engine = database()
    put_stock(engine, [("A", "main", 5)])
    with engine.begin() as conn:
        shop = make_shop(conn)
        add_paid(conn, shop, "1101", [("A", 2)])
        add_paid(conn, shop, "1102", [("A", 1)])
        conn.execute(s.carrier_configs.insert(), {"source": CARRIERS, "loaded_at": datetime(2026, 11, 30)})
    load_pool(engine, "zto", 5)
    load_pool(engine, "ems", 5)
    runner = CliRunner()
    rule = ["rules", "add", "大单走邮政", "total_quantity >= 2", "carrier:ems", "--scope", "carrier"]
    assert runner.invoke(app, rule).exit_code == 0
    assert runner.invoke(app, ["review", "run"]).exit_code == 0
    with engine.connect() as conn:
        assert stock_of(conn)[("A", "main")] == (5, 3)  # on hand, reserved
    result = runner.invoke(app, ["ship", "--labels", str(tmp_path / "day.pdf"), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["shipped"] == 2
    carriers = {item["orders"][0]: (item["carrier"], item["reason"]) for item in body["shipments"]}
    assert carriers["1101"][0] == "ems" and "大单走邮政" in carriers["1101"][1]  # the saved carrier rule
    assert carriers["1102"][0] == "zto"
    with engine.connect() as conn:
        assert stock_of(conn)[("A", "main")] == (2, 0)
    engine.dispose()
