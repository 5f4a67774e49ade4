"""Kuaidi100 signing, request builders, tracking parsers and the tracking client over a mock server."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from lanshou.carriers.kuaidi100.client import Kuaidi100Tracking
from lanshou.carriers.kuaidi100.signing import label_sign, push_sign, push_signature_ok, query_sign
from lanshou.carriers.kuaidi100.tracking import (
    QUERY_URL,
    SUBSCRIBE_URL,
    Kuaidi100Account,
    kuaidi100_company,
    parse_time,
    parse_track,
    query_request,
    subscribe_request,
)
from lanshou.carriers.transport import FormTransport
from lanshou.tracking.status import TrackingStatus as T
from tests.kuaidi100_wire import (
    LABEL_SIGN,
    PUSH_PARAM,
    PUSH_SALT,
    PUSH_SIGN,
    QUERY_PARAM,
    QUERY_SIGN,
    YTO_RESULT,
    MockKuaidi100,
    json_reply,
    text_only,
)

ACCOUNT = Kuaidi100Account(key="testkey", customer="testcustomer", secret="testsecret")
CHINA = ZoneInfo("Asia/Shanghai")
# YTO_RESULT's events, newest first; the last is main state 1 with a pre-pickup text: not the pickup
YTO_STATUSES = [
    T.DELIVERED,
    T.AVAILABLE_FOR_PICKUP,
    T.OUT_FOR_DELIVERY,
    T.IN_TRANSIT,
    T.PICKED_UP,
    T.INFO_RECEIVED,
]


def test_signatures_match_the_vectors_byte_for_byte() -> None:
    assert query_sign(QUERY_PARAM, "testkey", "testcustomer") == QUERY_SIGN
    assert push_sign(PUSH_PARAM, PUSH_SALT) == PUSH_SIGN
    assert label_sign('{"kuaidicom":"zhongtong"}', "1576123932000", "testkey", "testsecret") == LABEL_SIGN


def test_push_signature_is_checked_on_the_raw_param() -> None:
    assert push_signature_ok(PUSH_PARAM, PUSH_SIGN, PUSH_SALT)
    assert push_signature_ok(PUSH_PARAM, PUSH_SIGN.lower(), PUSH_SALT)
    reserialised = json.dumps(json.loads(PUSH_PARAM), ensure_ascii=False)
    assert not push_signature_ok(reserialised, PUSH_SIGN, PUSH_SALT)
    assert not push_signature_ok(PUSH_PARAM, PUSH_SIGN, "othersalt")
    assert not push_signature_ok(PUSH_PARAM, "签名" * 16, PUSH_SALT)  # non-ASCII: wrong, not a crash


def test_query_request_is_the_vector_byte_for_byte() -> None:
    request = query_request(ACCOUNT, "圆通速递", "YT9693083639795")
    assert request.url == QUERY_URL
    assert request.form == {"customer": "testcustomer", "sign": QUERY_SIGN, "param": QUERY_PARAM}


def test_subscribe_request_carries_the_key_in_param_and_no_sign() -> None:
    request = subscribe_request(ACCOUNT, "zto", "78123456789012", "https://shop.example/kd100", "s3cret")
    assert request.url == SUBSCRIBE_URL
    assert set(request.form) == {"schema", "param"}
    assert request.form["schema"] == "json"
    assert json.loads(request.form["param"]) == {
        "company": "zhongtong",
        "number": "78123456789012",
        "key": "testkey",
        "parameters": {
            "callbackurl": "https://shop.example/kd100",
            "salt": "s3cret",
            "resultv2": "4",
            "autoCom": "0",
            "phone": "",
        },
    }


def test_company_codes() -> None:
    assert kuaidi100_company("sf") == "shunfeng"
    assert kuaidi100_company("邮政快递包裹") == "ems"
    assert kuaidi100_company("Tiantian") == "tiantian"  # unknown to us: passed on, lowercased


def test_parse_track_reads_codes_and_keeps_text() -> None:
    track = parse_track(YTO_RESULT)
    assert (track.tracking_no, track.carrier, track.state, track.signed) == (
        "YT9693083639795",
        "yto",
        T.DELIVERED,
        True,
    )
    assert [e.status for e in track.events] == YTO_STATUSES
    first = track.events[0]
    assert first.time == datetime(2026, 11, 3, 17, 31, 57, tzinfo=CHINA)
    assert (first.raw_status, first.location) == ("304", "济南市")
    assert first.text.startswith("您的快件已签收")
    assert track.events[1].location == "山东,济南市,历城区"  # areaName when no location
    assert track.problems == ()


def test_parse_track_without_codes_infers_every_status_from_text() -> None:
    track = parse_track(text_only(YTO_RESULT))
    assert [e.status for e in track.events] == YTO_STATUSES
    assert {e.raw_status for e in track.events} == {""}


def test_unknown_codes_and_texts_are_unknown_and_bad_events_are_reported() -> None:
    result = {
        "com": "nosuchcarrier",
        "nu": "X1",
        "state": "99",
        "data": [
            {"context": "包裹状态更新", "time": "2026-11-01 10:00:00", "statusCode": "9999"},
            {"context": "快件已揽收", "time": "yesterday"},
            "not an object",
            {"context": "快件已到达【上海】", "ftime": 20261101, "time": "2026-11-01 09:00:00"},
        ],
    }
    track = parse_track(result)
    assert track.carrier == "nosuchcarrier"
    assert track.state is None
    assert [(e.status, e.raw_status) for e in track.events] == [(None, "9999"), (T.IN_TRANSIT, "")]
    assert len(track.problems) == 2
    assert "第 2 条轨迹无法读取 event 2" in track.problems[0]


def test_events_are_newest_first_even_if_sent_out_of_order() -> None:
    result = {**YTO_RESULT, "data": list(reversed(YTO_RESULT["data"]))}  # type: ignore[call-overload]
    times = [e.time for e in parse_track(result).events]
    assert times == sorted(times, reverse=True)


def test_query_client_posts_the_signed_form_and_reads_the_result() -> None:
    server = MockKuaidi100(lambda form: json_reply(YTO_RESULT))
    outcome = Kuaidi100Tracking(ACCOUNT, server.transport()).query("yto", "YT9693083639795")
    assert outcome.ok and outcome.track is not None
    assert len(outcome.track.events) == 6
    assert server.seen == [
        (QUERY_URL, {"customer": "testcustomer", "sign": QUERY_SIGN, "param": QUERY_PARAM})
    ]


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            json_reply({"result": False, "returnCode": "500", "message": "查询无结果，请隔段时间再查"}),
            "查询无结果",
        ),
        (json_reply({"result": False, "returnCode": "601", "message": "POLL:KEY已过期"}), "(601)"),
        (httpx.Response(502, text="Bad Gateway"), "HTTP 502"),
        (httpx.Response(200, text="<html>oops</html>"), "unreadable reply"),
    ],
)
def test_query_failures_are_messages(reply: httpx.Response, message: str) -> None:
    server = MockKuaidi100(lambda form: reply)
    outcome = Kuaidi100Tracking(ACCOUNT, server.transport()).query("yto", "YT1")
    assert not outcome.ok and outcome.track is None
    assert message in outcome.message


def test_subscribe_client_outcomes() -> None:
    replies = iter(
        [
            {"result": True, "returnCode": "200", "message": "提交成功"},
            {"result": False, "returnCode": "501", "message": "重复订阅"},
            {"result": False, "returnCode": "700", "message": "订阅方的订阅数据存在错误"},
        ]
    )
    server = MockKuaidi100(lambda form: json_reply(next(replies)))
    client = Kuaidi100Tracking(ACCOUNT, server.transport())
    first, again, bad = (
        client.subscribe("sf", "SF1", "https://x/cb", "salt", phone="5678") for _ in range(3)
    )
    assert (first.ok, first.code) == (True, "200")
    assert (again.ok, again.code) == (True, "501") and "already subscribed" in again.message
    assert (bad.ok, bad.code) == (False, "700")
    url, form = server.seen[0]
    assert url == SUBSCRIBE_URL
    assert json.loads(form["param"])["parameters"]["phone"] == "5678"


def test_a_network_failure_is_an_outcome_not_an_exception() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transport = FormTransport(httpx.Client(transport=httpx.MockTransport(refuse)))
    client = Kuaidi100Tracking(ACCOUNT, transport)
    outcome = client.query("yto", "YT1")
    assert not outcome.ok and "network error" in outcome.message
    assert not client.subscribe("yto", "YT1", "https://x/cb", "salt").ok


def test_times_are_china_local_and_strictly_shaped() -> None:
    assert parse_time(" 2026-11-01 10:00:00 ") == datetime(2026, 11, 1, 10, 0, tzinfo=CHINA)
    for bad in (
        "2026-02-30 10:00:00",
        "20261101",
        "2026-11-01T10:00:00",
        "2026-11-01 10:00",
        "",
        "昨天 10:00:00",
    ):
        assert parse_time(bad) is None, bad
