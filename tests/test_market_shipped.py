"""The "shipped" API adapters round-trip through httpx.MockTransport against the documented wire shapes."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from lanshou.platforms.douyin.api import (
    DoudianCredentials,
    doudian_notifier,
    doudian_sign,
    parse_logistics_add,
)
from lanshou.platforms.pdd.api import PddCredentials, parse_online_send, pdd_notifier, pdd_sign
from lanshou.platforms.shipping_api import (
    CARRIERS,
    Shipment,
    ShippedNotifier,
    ShipResult,
    UnmappedCarrier,
    carrier_lookup,
    shipping_data,
)
from lanshou.platforms.taobao.api import TopCredentials, parse_offline_send, top_notifier

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler, seen: list[httpx.Request]) -> httpx.Client:
    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    return httpx.Client(transport=httpx.MockTransport(record))


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode("ascii"), keep_blank_values=True))


# --- Taobao / Tmall: taobao.logistics.offline.send --------------------------------------------------------

TOP = TopCredentials("12345678", "helloworld", "sess-token", "hmac-sha256")
FIXED = datetime(2026, 3, 1, 1, 2, 3, tzinfo=UTC)  # 09:02:03 in Beijing


def top_handler(request: httpx.Request) -> httpx.Response:
    params = form(request)
    assert request.url == "https://eco.taobao.com/router/rest"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded;charset=utf-8"
    # the sign must verify with an independent re-computation of the documented rule
    joined = "".join(k + v for k, v in sorted(params.items()) if k != "sign")
    assert params["sign"] == hmac.new(b"helloworld", joined.encode(), hashlib.sha256).hexdigest().upper()
    tid = params["tid"]
    if tid == "1001":
        return httpx.Response(
            200, json={"logistics_offline_send_response": {"shipping": {"is_success": True}}}
        )
    if tid == "1002":
        error = {
            "code": 15,
            "msg": "Remote service error",
            "sub_code": "isv.logistics-offline-service-error:B04",
        }
        error["sub_msg"] = "该订单已发货"
        return httpx.Response(200, json={"error_response": error})
    if tid == "1003":
        return httpx.Response(502, text="<html>Bad Gateway</html>")
    if tid == "1004":
        raise httpx.ConnectTimeout("timed out", request=request)
    return httpx.Response(200, json={"logistics_offline_send_response": {"shipping": {"is_success": False}}})


def test_top_round_trip_success_and_partial_failure() -> None:
    seen: list[httpx.Request] = []
    notifier = top_notifier(TOP, client_for(top_handler, seen), clock=lambda: FIXED)
    shipments = [
        Shipment("1001", "yto", "YT7000000000001"),
        Shipment("1002", "zto", "75000000000001"),
        Shipment("1003", "sf", "SF1000000000001"),
        Shipment("1004", "sf", "SF1000000000002"),
        Shipment("1005", "sf", "SF1000000000003"),
        Shipment("1006", "dhl", "D1"),  # not a Lanshou carrier: refused before any call
        Shipment("T-1007", "sf", "SF1"),  # a tid is digits only: refused before any call
        Shipment("1008", "sf", " "),  # no tracking number
    ]
    results = notifier.notify_shipped(shipments)

    assert [r.order_id for r in results] == [s.order_id for s in shipments]
    assert [r.ok for r in results] == [True, False, False, False, False, False, False, False]
    assert results[1].code == "isv.logistics-offline-service-error:B04"
    assert "该订单已发货" in results[1].error and "TOP refused" in results[1].error
    assert "HTTP 502" in results[2].error and "Bad Gateway" in results[2].error
    assert "network error" in results[3].error and "ConnectTimeout" in results[3].error
    assert "did not confirm" in results[4].error
    assert "'dhl'" in results[5].error and "carrier_codes" in results[5].error
    assert "digits only" in results[6].error
    assert "tracking number" in results[7].error
    assert len(seen) == 5  # the refused ones never reached the wire

    first = form(seen[0])
    assert first["method"] == "taobao.logistics.offline.send"
    assert (first["tid"], first["out_sid"], first["company_code"]) == ("1001", "YT7000000000001", "YTO")
    assert (first["app_key"], first["session"], first["sign_method"]) == (
        "12345678",
        "sess-token",
        "hmac-sha256",
    )
    assert (first["timestamp"], first["format"], first["v"]) == ("2026-03-01 09:02:03", "json", "2.0")


def test_top_tmall_uses_the_same_call_and_a_shop_override_map() -> None:
    seen: list[httpx.Request] = []
    notifier = top_notifier(
        TOP,
        client_for(top_handler, seen),
        platform="tmall",
        carrier_codes={"sf": "SFEXPRESS"},
        clock=lambda: FIXED,
    )
    assert notifier.platform == "tmall"
    [result] = notifier.notify_shipped([Shipment("1001", "sf", "SF9")])
    assert result == ShipResult("1001", True)
    assert form(seen[0])["company_code"] == "SFEXPRESS"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"logistics_offline_send_response":{"shipping":{"is_success":true}}}', True),
        (b'{"logistics_offline_send_response":{"shipping":{"is_success":"true"}}}', True),
        (b'{"logistics_offline_send_response":{}}', False),
        (b'{"error_response":{"code":7,"msg":"App Call Limited"}}', False),
        (b"[]", False),
        (b"\xff\xfe", False),
    ],
)
def test_top_parser_is_pure_and_strict(body: bytes, expected: bool) -> None:
    assert parse_offline_send("1", 200, body).ok is expected


def test_top_error_without_sub_code_keeps_the_code() -> None:
    result = parse_offline_send("1", 200, b'{"error_response":{"code":7,"msg":"App Call Limited"}}')
    assert (result.code, result.error) == ("7", "淘宝拒绝 TOP refused: App Call Limited (7)")


# --- Douyin: order.logisticsAdd ---------------------------------------------------------------------------

DOUDIAN = DoudianCredentials("1234567890123456789", "secret", "dy-token")


def doudian_handler(request: httpx.Request) -> httpx.Response:
    url = urlsplit(str(request.url))
    query = dict(parse_qsl(url.query))
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "openapi-fxg.jinritemai.com",
        "/order/logisticsAdd",
    )
    assert request.headers["content-type"] == "application/json;charset=UTF-8"
    body = request.content.decode("utf-8")
    expected = doudian_sign(query["app_key"], "secret", query["method"], body, int(query["timestamp"]))
    assert query["sign"] == expected
    order_id = json.loads(body)["order_id"]
    if order_id == "6900000000000000001":
        return httpx.Response(200, json={"code": 10000, "msg": "success", "data": {}, "log_id": "x"})
    return httpx.Response(
        200,
        json={
            "code": 50002,
            "msg": "业务处理失败",
            "sub_code": "isv.business-failed:1509",
            "sub_msg": "订单已发货",
        },
    )


def test_doudian_round_trip_success_and_partial_failure() -> None:
    seen: list[httpx.Request] = []
    notifier = doudian_notifier(DOUDIAN, client_for(doudian_handler, seen), clock=lambda: 1700000000)
    results = notifier.notify_shipped(
        [
            Shipment("6900000000000000001", "jtexpress", "JT0000000000001"),
            Shipment("6900000000000000002", "zto", "75000000000002"),
            Shipment("6900000000000000003A", "zto", "75000000000003"),
        ]
    )
    assert [r.ok for r in results] == [True, False, False]
    assert results[1].code == "isv.business-failed:1509" and "订单已发货" in results[1].error
    assert "digits only" in results[2].error
    assert len(seen) == 2

    query = dict(parse_qsl(urlsplit(str(seen[0].url)).query))
    assert query == {
        "app_key": "1234567890123456789",
        "method": "order.logisticsAdd",
        "timestamp": "1700000000",
        "sign": query["sign"],
        "v": "2",
        "sign_method": "hmac-sha256",
        "access_token": "dy-token",
    }
    # company_code is the carrier, logistics_code the tracking number (the SDK's naming, not ours)
    assert seen[0].content == (
        b'{"company_code":"jtexpress","logistics_code":"JT0000000000001","order_id":"6900000000000000001"}'
    )


def test_doudian_parser_needs_code_10000_and_http_200() -> None:
    assert parse_logistics_add("1", 200, b'{"code":10000,"msg":"success"}').ok
    assert not parse_logistics_add("1", 500, b'{"code":10000,"msg":"success"}').ok
    failed = parse_logistics_add("1", 200, b'{"code":40004,"msg":"access_token expired"}')
    assert (failed.ok, failed.code) == (False, "40004")
    assert "access_token expired" in failed.error


# --- Pinduoduo: pdd.logistics.online.send -----------------------------------------------------------------

PDD = PddCredentials("cid", "csecret", "pdd-token")


def pdd_handler(request: httpx.Request) -> httpx.Response:
    params = form(request)
    assert str(request.url) == "https://gw-api.pinduoduo.com/api/router"
    assert params["sign"] == pdd_sign(params, "csecret")
    if params["order_sn"] == "260301-1":
        return httpx.Response(200, json={"logistics_online_send_response": {"is_success": True}})
    error = {"error_code": 70031, "error_msg": "订单状态不可发货", "sub_code": "", "sub_msg": ""}
    return httpx.Response(200, json={"error_response": error})


def test_pdd_round_trip_with_the_shops_logistics_ids() -> None:
    seen: list[httpx.Request] = []
    notifier = pdd_notifier(PDD, client_for(pdd_handler, seen), carrier_codes={"sf": "44"}, clock=lambda: 1)
    results = notifier.notify_shipped(
        [
            Shipment("260301-1", "sf", "SF1"),
            Shipment("260301-2", "sf", "SF2"),
            Shipment("260301-3", "zto", "Z3"),
        ]
    )
    assert [r.ok for r in results] == [True, False, False]
    assert results[1].code == "70031" and "订单状态不可发货" in results[1].error
    assert "'zto'" in results[2].error
    params = form(seen[0])
    assert {k: params[k] for k in ("type", "client_id", "access_token", "data_type", "timestamp")} == {
        "type": "pdd.logistics.online.send",
        "client_id": "cid",
        "access_token": "pdd-token",
        "data_type": "JSON",
        "timestamp": "1",
    }
    assert (params["order_sn"], params["logistics_id"], params["tracking_number"]) == (
        "260301-1",
        "44",
        "SF1",
    )


def test_pdd_ships_no_guessed_logistics_ids() -> None:
    seen: list[httpx.Request] = []
    [result] = pdd_notifier(PDD, client_for(pdd_handler, seen)).notify_shipped(
        [Shipment("260301-1", "sf", "SF1")]
    )
    assert not result.ok and "pdd's [carrier_codes]" in result.error and not seen


def test_pdd_parser_handles_an_unconfirmed_reply() -> None:
    assert not parse_online_send("1", 200, b'{"logistics_online_send_response":{"is_success":false}}').ok


# --- carrier maps and the shared protocol -----------------------------------------------------------------


@pytest.mark.parametrize("platform", ["taobao", "douyin"])
def test_every_lanshou_carrier_has_an_api_code(platform: str) -> None:
    codes = shipping_data(platform)["carrier_codes"]
    assert set(codes) == set(CARRIERS)
    assert all(isinstance(code, str) and code for code in codes.values())


@pytest.mark.parametrize("platform", ["taobao", "douyin", "pdd", "jd", "aliexpress"])
def test_every_lanshou_carrier_has_an_upload_name(platform: str) -> None:
    assert set(shipping_data(platform)["carrier_names"]) == set(CARRIERS)


def test_unmapped_carrier_is_one_clear_error() -> None:
    with pytest.raises(UnmappedCarrier, match=r"carrier 'ups' is not in taobao's \[carrier_codes\]"):
        carrier_lookup("taobao", "carrier_codes", "ups")
    assert carrier_lookup("taobao", "carrier_codes", "deppon") == "DBKD"


def test_all_notifiers_fill_the_protocol() -> None:
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    notifiers: list[ShippedNotifier] = [
        top_notifier(TOP, client),
        doudian_notifier(DOUDIAN, client),
        pdd_notifier(PDD, client),
    ]
    assert [n.platform for n in notifiers] == ["taobao", "douyin", "pdd"]
    for notifier in notifiers:
        assert notifier.notify_shipped([]) == []
