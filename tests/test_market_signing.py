"""Marketplace signing against the test vectors of WIRE-FORMATS.md, byte for byte."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanshou.platforms.douyin.api import (
    PushRefused,
    doudian_sign,
    param_json,
    parse_push,
    push_event_sign,
    sign_pattern,
    verify_push,
)
from lanshou.platforms.pdd.api import pdd_sign
from lanshou.platforms.taobao.api import top_sign, top_timestamp

# --- inputs listed under WIRE-FORMATS.md "Test vectors" ---------------------------------------------------
TOP_SECRET = "helloworld"
TOP_PARAMS = {
    "method": "taobao.trade.fullinfo.get",
    "app_key": "12345678",
    "session": "test",
    "timestamp": "2016-01-01 12:00:00",
    "format": "json",
    "v": "2.0",
    "sign_method": "md5",
    "fields": "tid,type,status,payment,orders",
    "tid": "11223344",
}
DOUDIAN_KEY, DOUDIAN_SECRET = "1234567890123456789", "secret"
DOUDIAN_PARAMS = {"size": 20, "page": 0, "create_time_start": 1700000000}  # deliberately unsorted
PDD_SECRET = "csecret"
PDD_PARAMS = {
    "type": "pdd.order.list.get",
    "client_id": "cid",
    "timestamp": "1700000000",
    "data_type": "JSON",
    "order_status": "1",
    "refund_status": "5",
    "start_confirm_at": "1699990000",
    "end_confirm_at": "1700000000",
    "page": "1",
    "page_size": "100",
}
PUSH_BODY = (
    b'[{"tag":"101","msg_id":"7000000000000000000",'
    b'"data":"{\\"p_id\\":4781320682406083640,\\"shop_id\\":4463798}"}]'
)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("md5", "DAE4C765B6DC29FD8996BD5492075553"),
        ("hmac", "DD071836EAEA02B83CFD8678E13CB81B"),
        ("hmac-sha256", "9E3E3BE6E6FF468B358C84FA4A5DC9909663B8D2D674B41D7E4D6C352DF6E7C1"),
    ],
)
def test_top_sign_vectors(method: Any, expected: str) -> None:
    assert top_sign(TOP_PARAMS, TOP_SECRET, method) == expected


def test_top_sign_ignores_an_existing_sign_and_the_param_order() -> None:
    shuffled = dict(reversed(list(TOP_PARAMS.items())))
    shuffled["sign"] = "WHATEVER"
    assert top_sign(shuffled, TOP_SECRET, "md5") == "DAE4C765B6DC29FD8996BD5492075553"


def test_top_sign_changes_with_any_value() -> None:
    changed = dict(TOP_PARAMS, tid="11223345")
    assert top_sign(changed, TOP_SECRET, "md5") != "DAE4C765B6DC29FD8996BD5492075553"


def test_top_sign_refuses_an_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown TOP sign_method 'sha1'"):
        top_sign(TOP_PARAMS, TOP_SECRET, "sha1")  # type: ignore[arg-type]


def test_top_timestamp_is_beijing_time_and_refuses_naive() -> None:
    from datetime import UTC, datetime

    assert top_timestamp(datetime(2016, 1, 1, 4, 0, tzinfo=UTC)) == "2016-01-01 12:00:00"
    with pytest.raises(ValueError, match="timezone-aware"):
        top_timestamp(datetime(2016, 1, 1, 12, 0))


def test_doudian_param_json_vector() -> None:
    assert param_json(DOUDIAN_PARAMS) == '{"create_time_start":1700000000,"page":0,"size":20}'


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("hmac-sha256", "ab3f2325562e4e1d5d091eba468646defdda472cb6eed307c5ddb964b7b2e7c7"),
        ("md5", "6b5385adef5731d08f078e0db7ed3e7a"),
    ],
)
def test_doudian_sign_vectors(method: Any, expected: str) -> None:
    text = param_json(DOUDIAN_PARAMS)
    assert doudian_sign(DOUDIAN_KEY, DOUDIAN_SECRET, "order.searchList", text, 1700000000, method) == expected


def test_doudian_sign_pattern_is_the_documented_concatenation() -> None:
    pattern = sign_pattern("k", "s", "order.searchList", "{}", 1)
    assert pattern == "sapp_keykmethodorder.searchListparam_json{}timestamp1v2s"


def test_doudian_param_json_sorts_nested_keys_and_does_not_escape_html_or_chinese() -> None:
    text = param_json({"b": {"z": 1, "a": [{"y": "<&>", "x": "中文"}]}, "a": "\u2028"})
    assert text == '{"a":"\\u2028","b":{"a":[{"x":"中文","y":"<&>"}],"z":1}}'


def test_doudian_param_json_refuses_floats() -> None:
    with pytest.raises(ValueError, match=r"param_json\.price: float"):
        param_json({"price": 1.5})


JSON_VALUES = st.recursive(
    st.none() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(JSON_VALUES)
def test_doudian_param_json_round_trips_and_is_canonical(value: Any) -> None:
    wrapped = {"v": value}
    text = param_json(wrapped)
    assert json.loads(text) == wrapped
    assert param_json(json.loads(text)) == text  # re-marshalling gives the same bytes: what the sign needs


def test_doudian_push_event_sign_vector() -> None:
    assert push_event_sign(PUSH_BODY, DOUDIAN_KEY, DOUDIAN_SECRET) == "fc6b16f7dbd87d114c8bcd3c923905c9"
    assert verify_push(PUSH_BODY, "fc6b16f7dbd87d114c8bcd3c923905c9", DOUDIAN_KEY, DOUDIAN_SECRET)
    assert verify_push(PUSH_BODY, " FC6B16F7DBD87D114C8BCD3C923905C9 ", DOUDIAN_KEY, DOUDIAN_SECRET)


def test_doudian_push_is_verified_on_the_raw_body_not_a_reserialisation() -> None:
    reserialised = json.dumps(json.loads(PUSH_BODY)).encode()  # adds spaces: a different body
    assert not verify_push(reserialised, "fc6b16f7dbd87d114c8bcd3c923905c9", DOUDIAN_KEY, DOUDIAN_SECRET)
    assert not verify_push(PUSH_BODY, "fc6b16f7dbd87d114c8bcd3c923905c8", DOUDIAN_KEY, DOUDIAN_SECRET)
    assert not verify_push(PUSH_BODY, "签名", DOUDIAN_KEY, DOUDIAN_SECRET)
    assert not verify_push(PUSH_BODY, "", DOUDIAN_KEY, DOUDIAN_SECRET)


def test_doudian_push_messages_parse() -> None:
    [message] = parse_push(PUSH_BODY)
    assert (message.tag, message.msg_id) == ("101", "7000000000000000000")
    assert message.data == {"p_id": 4781320682406083640, "shop_id": 4463798}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON"),
        (b'{"tag":"101"}', "JSON array"),
        (b'[{"msg_id":"1"}]', "lacks tag or data"),
        (b'[{"tag":"101","data":"{broken"}]', "data is not JSON"),
        (b'[{"tag":"101","data":"[1]"}]', "must be an object"),
    ],
)
def test_doudian_push_bad_bodies_get_one_clear_error(body: bytes, reason: str) -> None:
    with pytest.raises(PushRefused, match=reason):
        parse_push(body)


def test_pdd_sign_vector() -> None:
    assert pdd_sign(PDD_PARAMS, PDD_SECRET) == "8A62F86E91B57F5E2FAB389470A0FA38"
    assert pdd_sign(dict(PDD_PARAMS, sign="X"), PDD_SECRET) == "8A62F86E91B57F5E2FAB389470A0FA38"


def test_pdd_sign_is_the_documented_md5() -> None:
    joined = "".join(k + v for k, v in sorted(PDD_PARAMS.items()))
    expected = hashlib.md5(f"{PDD_SECRET}{joined}{PDD_SECRET}".encode()).hexdigest().upper()
    assert pdd_sign(PDD_PARAMS, PDD_SECRET) == expected
