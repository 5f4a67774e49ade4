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
from typing import Any

import httpx
import pypdfium2 as pdfium
import pytest
from sqlalchemy import Connection, Engine, func, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.carriers.kuaidi100.tracking import Kuaidi100Account
from lanshou.cli.app import app
from lanshou.events import OrderShipped, bus
from lanshou.orders import timeline
from lanshou.platforms.taobao.api import TopCredentials, top_notifier
from lanshou.review import queries as review_queries
from lanshou.shipping import leases
from lanshou.shipping.config import parse_config
from lanshou.shipping.labels.fonts import DEFAULT_CJK_FONT, FONT_ENV
from lanshou.shipping.pool_import import WaybillActionRefused, cancel_number
from lanshou.shipping.providers import providers_for
from lanshou.shipping.reprint import ReprintRefused, reprint_labels
from lanshou.shipping.ship import ShipOptions, ShipRefused, ship
from lanshou.shipping.tell import notifier_from_settings
from lanshou.shops.store import load_shops
from tests.conftest import IN_CI
from tests.kuaidi100_wire import MockKuaidi100, json_reply
from tests.ship_data import CARRIERS, add_order, add_shop, config, load_pool, paid_shipments

pytestmark = pytest.mark.skipif(
    not DEFAULT_CJK_FONT.is_file() and not os.environ.get(FONT_ENV) and not IN_CI,
    reason="no CJK font here: apt-get install fonts-wqy-zenhei (CI installs it and never skips)",
)


def run(engine: Engine, tmp_path: Path, name: str = "labels.pdf", **kw: Any) -> Any:
    with engine.connect() as conn:
        shipments = kw.pop("shipments", None) or paid_shipments(conn)
        shops = load_shops(conn)
    options = ShipOptions(tmp_path / name, upload_dir=tmp_path / "upload", **kw.pop("options", {}))
    return ship(engine, shipments, config(), shops, options, {}, **kw)


def pages(path: Path) -> int:
    return len(pdfium.PdfDocument(str(path)))


def count(engine: Engine, query: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def statuses(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(s.orders.c.order_no, s.orders.c.status)).all())


def used_numbers(engine: Engine) -> int:
    return count(engine, select(func.count()).where(s.waybill_numbers.c.status == "used"))


def kinds(engine: Engine, order_no: str) -> list[str]:
    with engine.connect() as conn:
        return [e.kind for e in timeline.read(conn, 1, order_no)]


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
        assert paid_shipments(conn) == []


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
    load_pool(engine, "zto", 5)
    with engine.connect() as conn:
        shipments = paid_shipments(conn)
    with engine.begin() as conn:  # the buyer cancels after the list was read
        conn.execute(s.orders.update().where(s.orders.c.order_no == "4001").values(status="cancelled"))
    report = run(engine, tmp_path, shipments=shipments)
    assert [o.shipment.order_nos[0] for o in report.shipped] == ["4000"]
    assert "cancelled" in report.failed[0].reason
    assert used_numbers(engine) == 1
    assert statuses(engine)["4001"] == "cancelled"
    assert kinds(engine, "4001") == []


def test_the_platform_is_told_through_its_notifier(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        add_shop(conn)
        add_order(conn, "5000")
        add_order(conn, "5001")
    load_pool(engine, "zto", 5)

    def answer(request: httpx.Request) -> httpx.Response:
        tid = dict(httpx.QueryParams(request.content.decode()))["tid"]
        if tid == "5000":
            return httpx.Response(
                200, json={"logistics_offline_send_response": {"shipping": {"is_success": True}}}
            )
        return httpx.Response(
            200, json={"error_response": {"code": 15, "sub_code": "B04", "sub_msg": "已发货"}}
        )

    client = httpx.Client(transport=httpx.MockTransport(answer))
    notifier = top_notifier(TopCredentials("12345678", "helloworld", "sess", "hmac-sha256"), client)
    report = run(engine, tmp_path, notifiers={1: notifier})  # by shop id (or by platform)
    assert len(report.shipped) == 2
    assert kinds(engine, "5000")[-1] == "platform_notified"
    assert kinds(engine, "5001")[-1] == "platform_notify_failed"
    assert any("5001" in note for note in report.notes)


def _count_rows(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(s.shipment_waybills)).scalar_one())


def test_cli_ship(cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review_queries, "ready_shipments", paid_shipments)  # whichever review is merged
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
    assert pages(tmp_path / "pick.pdf") >= 1 and pages(tmp_path / "pack.pdf") >= 1
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


def test_notifiers_come_from_the_shops_api_settings() -> None:
    api = {"app_key": "12345678", "app_secret": "helloworld", "session": "s", "access_token": "t"}
    taobao = notifier_from_settings("tmall", {"api": api})
    douyin = notifier_from_settings("douyin", {"api": api})
    assert taobao is not None and taobao.platform == "tmall"
    assert douyin is not None and douyin.platform == "douyin"
    assert notifier_from_settings("taobao", {}) is None
    assert notifier_from_settings("aliexpress", {"api": api}) is None  # no "shipped" adapter: upload the file


def test_waybills_through_kuaidi100(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        add_shop(conn)
        add_order(conn, "9000")
        add_order(conn, "9001", province="北京市")
    numbers = iter(("YT9000000000001", "YT9000000000002"))

    def answer(form: dict[str, str]) -> httpx.Response:
        param = json.loads(form["param"])
        assert (param["kuaidicom"], param["partnerId"]) == ("yuantong", "P123")
        if param["recMan"]["printAddr"].startswith("北京"):
            return json_reply({"code": 30001, "message": "超出服务范围", "data": None})
        number = next(numbers)
        data = {"kuaidinum": number, "taskId": f"task-{number}", "destSortingCode": "300-A1"}
        return json_reply({"code": 200, "message": "", "data": data})

    server = MockKuaidi100(answer)
    kd_config = parse_config(
        CARRIERS.replace(
            'code = "zto"', 'code = "yto"\nprovider = "kuaidi100"\nkuaidi100 = { partner_id = "P123" }'
        )
    )
    account = Kuaidi100Account("testkey", secret="testsecret")
    providers = providers_for(kd_config.plan, account, server.transport())
    with engine.connect() as conn:
        shipments, shops = paid_shipments(conn), load_shops(conn)
    report = ship(
        engine, shipments, kd_config, shops, ShipOptions(tmp_path / "kd.pdf"), {}, providers=providers
    )
    assert len(report.shipped) == 1, [o.reason for o in report.failed]
    assert [(o.carrier, o.tracking_no, o.sorting_code) for o in report.shipped] == [
        ("yto", "YT9000000000001", "300-A1")
    ]
    assert "超出服务范围" in report.failed[0].reason
    with engine.connect() as conn:
        ref = conn.execute(select(s.shipment_waybills.c.provider_ref)).scalar_one()
    assert json.loads(ref)["taskId"] == "task-YT9000000000001"  # what reprint and cancel need later
    # without an account the kuaidi100 services refuse, one clear line per shipment, nothing half-done
    no_account = providers_for(kd_config.plan, None, None)
    options = ShipOptions(tmp_path / "none.pdf")
    again = ship(engine, [report.failed[0].shipment], kd_config, shops, options, {}, providers=no_account)
    assert "no Kuaidi100 API account" in again.failed[0].reason


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
