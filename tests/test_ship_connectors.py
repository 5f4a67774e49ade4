"""The connectors of batch ship: Kuaidi100 e-waybills (issue, cancel) and the platforms' "shipped" API
clients, through mock servers speaking the documented wire formats (WIRE-FORMATS.md 1c, 4)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from lanshou import schema as s
from lanshou.carriers.kuaidi100.tracking import Kuaidi100Account
from lanshou.platforms.taobao.api import TopCredentials, top_notifier
from lanshou.review.queries import ready_shipments
from lanshou.shipping.config import parse_config
from lanshou.shipping.labels.fonts import DEFAULT_CJK_FONT, FONT_ENV
from lanshou.shipping.pool_import import WaybillActionRefused, cancel_number
from lanshou.shipping.providers import providers_for
from lanshou.shipping.ship import ShipOptions, ShipRefused, ship
from lanshou.shipping.tell import notifier_from_settings
from lanshou.shops.store import load_shops
from tests.conftest import IN_CI
from tests.kuaidi100_wire import MockKuaidi100, json_reply
from tests.ship_data import CARRIERS, add_order, add_shop, kinds, load_pool, run

pytestmark = pytest.mark.skipif(
    not DEFAULT_CJK_FONT.is_file() and not os.environ.get(FONT_ENV) and not IN_CI,
    reason="no CJK font here: apt-get install fonts-wqy-zenhei (CI installs it and never skips)",
)


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
        shipments, shops = ready_shipments(conn), load_shops(conn)
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


def test_a_kuaidi100_waybill_is_cancelled_by_its_cancel_call(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as conn:
        add_shop(conn)
        add_order(conn, "9200")

    def answer(form: dict[str, str]) -> httpx.Response:
        if form["method"] == "order":
            data = {"kuaidinum": "YT9200000000001", "taskId": "task-1", "kdComOrderNum": "KD-9"}
            return json_reply({"code": 200, "message": "", "data": data})
        if form["method"] == "cancel":
            return json_reply({"code": 200, "message": "", "data": None})
        return json_reply({"code": 500, "message": "unexpected"})

    server = MockKuaidi100(answer)
    kd_config = parse_config(
        CARRIERS.replace(
            'code = "zto"', 'code = "yto"\nprovider = "kuaidi100"\nkuaidi100 = { partner_id = "P1" }'
        )
    )
    providers = providers_for(
        kd_config.plan, Kuaidi100Account("testkey", secret="testsecret"), server.transport()
    )
    with engine.connect() as conn:
        shipments, shops = ready_shipments(conn), load_shops(conn)
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "no-such-font.ttf"))  # the waybill is taken, not printed
    with pytest.raises(ShipRefused):
        ship(engine, shipments, kd_config, shops, ShipOptions(tmp_path / "kd.pdf"), {}, providers=providers)
    done = cancel_number(engine, "yto", "YT9200000000001", "王芳", providers, reason="地址错误")
    assert (done.was, done.orders) == ("kuaidi100", ("9200",))
    method, param = server.seen[-1][1]["method"], json.loads(server.seen[-1][1]["param"])
    assert method == "cancel" and (param["kuaidinum"], param["orderId"], param["reason"]) == (
        "YT9200000000001",
        "KD-9",
        "地址错误",
    )
    assert kinds(engine, "9200")[-1] == "waybill_cancelled"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.shipment_waybills)).scalar_one() == 0
    with pytest.raises(ShipRefused):  # the next run takes a fresh waybill (the mock answers the same number)
        ship(engine, shipments, kd_config, shops, ShipOptions(tmp_path / "kd.pdf"), {}, providers=providers)
    with pytest.raises(WaybillActionRefused, match="no kuaidi100 account"):
        cancel_number(engine, "yto", "YT9200000000001", providers=None)
