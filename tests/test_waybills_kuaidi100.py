"""The Kuaidi100 e-waybill V2 adapter against the documented wire format, through a mock server."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx

from lanshou.carriers.kuaidi100.labels import LABEL_URL, Kuaidi100Waybills, LabelSettings, label_request
from lanshou.carriers.kuaidi100.signing import label_sign
from lanshou.carriers.kuaidi100.tracking import Kuaidi100Account
from lanshou.carriers.transport import FormTransport
from lanshou.shipping.waybills import Address, Recipient, WaybillProvider
from tests.kuaidi100_wire import LABEL_SIGN, MockKuaidi100, json_reply
from tests.waybill_data import PLAIN, request

ACCOUNT = Kuaidi100Account(key="testkey", secret="testsecret")
SETTINGS = LabelSettings(
    ACCOUNT, "zto", partner_id="P123", partner_key="K456", print_type="IMAGE", temp_id="T1"
)
T_MS = 1576123932000


def order_ok(number: str, **extra: str) -> dict[str, object]:
    data = {
        "kuaidinum": number,
        "taskId": f"task-{number}",
        "label": f"https://api.kuaidi100.com/label/{number}",
    }
    return {"code": 200, "message": "", "time": 120, "data": {**data, **extra}}


def provider(server: MockKuaidi100) -> Kuaidi100Waybills:
    return Kuaidi100Waybills(SETTINGS, server.transport(), clock_ms=lambda: T_MS)


def test_label_request_signs_the_vector_byte_for_byte() -> None:
    built = label_request(ACCOUNT, "order", {"kuaidicom": "zhongtong"}, T_MS)
    assert built.url == LABEL_URL == "https://api.kuaidi100.com/label/order"
    assert built.form == {
        "method": "order",
        "key": "testkey",
        "t": "1576123932000",
        "param": '{"kuaidicom":"zhongtong"}',
        "sign": LABEL_SIGN,
    }


def test_an_order_is_posted_as_documented_and_its_reply_read() -> None:
    server = MockKuaidi100(
        lambda form: json_reply(
            order_ok("78000000000001", bulkpen="粤-深圳", pkgName="深圳转运中心", destSortingCode="300-A1")
        )
    )
    [result] = provider(server).issue([request("o-1")])
    assert result.ok
    assert (result.waybill_no, result.short_address, result.package_center, result.sorting_code) == (
        "78000000000001",
        "粤-深圳",
        "深圳转运中心",
        "300-A1",
    )
    assert result.print_data == "https://api.kuaidi100.com/label/78000000000001"
    [(url, form)] = server.seen
    assert url == LABEL_URL
    assert (form["method"], form["key"], form["t"]) == ("order", "testkey", str(T_MS))
    assert form["sign"] == label_sign(form["param"], form["t"], "testkey", "testsecret")
    assert json.loads(form["param"]) == {
        "printType": "IMAGE",
        "kuaidicom": "zhongtong",
        "partnerId": "P123",
        "partnerKey": "K456",
        "recMan": {"name": "张三", "mobile": "13800001234", "printAddr": "广东省深圳市南山区科技南十二路2号"},
        "sendMan": {
            "name": "李四",
            "mobile": "15999566666",
            "company": "揽收小店",
            "printAddr": "浙江省杭州市余杭区文一西路969号",
        },
        "cargo": "保温杯",
        "count": 1,
        "payType": "MONTHLY",
        "expType": "标准快递",
        "orderId": "o-1",
        "reorder": False,
        "thirdOrderId": "3812345678901234567",
        "tempId": "T1",
        "weight": 0.85,
        "volume": "3000",
    }


def test_a_parent_with_children_and_a_token_recipient() -> None:
    server = MockKuaidi100(lambda form: json_reply(order_ok("SF100", childNum="SF101,SF102")))
    settings = replace(SETTINGS, carrier="sf")
    masked = Recipient(
        "王**", "131****1907", Address("广东省", "深圳市", "南山区", detail="****"), oaid="OAID1"
    )
    waybills = Kuaidi100Waybills(settings, server.transport(), clock_ms=lambda: T_MS)
    [result] = waybills.issue([request("o-2", carrier="sf", package_count=3, recipient=masked)])
    assert (result.waybill_no, result.child_waybill_nos, result.parent_waybill_no) == (
        "SF100",
        ("SF101", "SF102"),
        "",
    )
    param = json.loads(server.seen[0][1]["param"])
    assert (param["kuaidicom"], param["count"], param["needChild"], param["oaid"]) == (
        "shunfeng",
        3,
        "1",
        "OAID1",
    )
    assert param["recMan"] == {"province": "广东省", "city": "深圳市", "district": "南山区"}
    assert "*" not in server.seen[0][1]["param"]  # the masked display values never leave


def test_a_batch_partly_fails_and_masked_items_are_never_sent() -> None:
    replies = iter(
        [
            json_reply(order_ok("78000000000001")),
            json_reply({"code": 30002, "message": "电子面单余额不足", "time": 30, "data": None}),
            httpx.Response(503, text="busy"),
        ]
    )
    server = MockKuaidi100(lambda form: next(replies))
    results = provider(server).issue(
        [
            request("a"),
            request("masked", recipient=replace(PLAIN, address=replace(PLAIN.address, detail="南山区****"))),
            request("b"),
            request("c"),
        ]
    )
    assert [(r.object_id, r.ok) for r in results] == [
        ("a", True),
        ("masked", False),
        ("b", False),
        ("c", False),
    ]
    assert "收件人地址 recipient address" in results[1].error
    assert results[2].error == "快递100 拒绝 refused (30002): 电子面单余额不足"
    assert "HTTP 503" in results[3].error
    assert [json.loads(form["param"])["orderId"] for _, form in server.seen] == ["a", "b", "c"]


def test_cancel_and_reprint_use_what_the_order_returned() -> None:
    replies = iter(
        [
            json_reply(order_ok("78000000000001", kdComOrderNum="KD-9")),
            json_reply(
                {"code": 200, "message": "", "data": {"label": "https://api.kuaidi100.com/label/again"}}
            ),
            json_reply({"code": 200, "message": "", "data": None}),
        ]
    )
    server = MockKuaidi100(lambda form: next(replies))
    waybills: WaybillProvider = provider(server)
    [issued] = waybills.issue([request("a")])
    reprint = waybills.reprint(issued.waybill_no)
    assert reprint.ok and reprint.print_data == "https://api.kuaidi100.com/label/again"
    assert waybills.cancel(issued.waybill_no, reason="买家取消").ok
    _, (_, printed), (_, cancelled) = server.seen
    assert (printed["method"], json.loads(printed["param"])) == (
        "printOld",
        {"taskId": "task-78000000000001"},
    )
    assert cancelled["method"] == "cancel"
    assert json.loads(cancelled["param"]) == {
        "partnerId": "P123",
        "partnerKey": "K456",
        "kuaidicom": "zhongtong",
        "kuaidinum": "78000000000001",
        "orderId": "KD-9",
        "reason": "买家取消",
    }
    for _, form in server.seen:
        assert form["sign"] == label_sign(form["param"], form["t"], "testkey", "testsecret")


def test_reprint_of_an_unknown_waybill_and_a_refused_cancel_are_messages() -> None:
    server = MockKuaidi100(
        lambda form: json_reply({"code": 500, "message": "该单号已揽收，无法取消", "data": None})
    )
    waybills = provider(server)
    assert "no Kuaidi100 taskId" in waybills.reprint("X1").error
    cancel = waybills.cancel("78000000000001")
    assert not cancel.ok and cancel.error == "快递100 拒绝 refused (500): 该单号已揽收，无法取消"


def test_a_network_failure_fails_the_item_not_the_batch() -> None:
    calls = iter([None, httpx.Response(200, text=json.dumps(order_ok("78000000000002")))])

    def flaky(request: httpx.Request) -> httpx.Response:
        reply = next(calls)
        if reply is None:
            raise httpx.ReadTimeout("timed out", request=request)
        return reply

    waybills = Kuaidi100Waybills(
        SETTINGS, FormTransport(httpx.Client(transport=httpx.MockTransport(flaky))), clock_ms=lambda: T_MS
    )
    first, second = waybills.issue([request("a"), request("b")])
    assert not first.ok and "network error" in first.error
    assert second.ok and second.waybill_no == "78000000000002"
