"""Aliyun and Tencent Cloud SMS adapters: signing byte for byte against WIRE-FORMATS.md's vectors, the
requests they build, and per-recipient results parsed from the providers' documented responses.
The providers cannot be reached from here, so httpx.MockTransport plays them, checking each signature."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import httpx
import pytest

from lanshou.notifications.channels import ChannelConfigError, MessageRejected
from lanshou.notifications.channels import sms_aliyun as aliyun
from lanshou.notifications.channels import sms_tencent as tencent
from lanshou.notifications.model import ChannelKind, Message, Outcome

# --- Aliyun -----------------------------------------------------------------------------------------------

ALIYUN_VECTOR_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
ALIYUN_VECTOR_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001"
    "%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4"
    "%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26"
    "SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007"
    "%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z"
    "%26Version%3D2017-05-25"
)


def test_aliyun_signature_matches_the_published_vector_byte_for_byte() -> None:
    assert aliyun.string_to_sign("GET", ALIYUN_VECTOR_PARAMS) == ALIYUN_VECTOR_STRING_TO_SIGN
    assert aliyun.signature("GET", ALIYUN_VECTOR_PARAMS, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_pop_encoding() -> None:
    assert aliyun.pop_encode("a b*c~d/é") == "a%20b%2Ac~d%2F%C3%A9"


ALIYUN = aliyun.AliyunSmsSettings("testId", "testSecret", "揽收")
SMS = Message(
    "7:TB1:55:delivered:sms",
    ChannelKind.SMS,
    ("13800000000", "13900000001"),
    text="preview",
    template_id="SMS_71390007",
    template_params=(("name", "小明"), ("no", "SF123")),
)
CLOCK = datetime(2017, 7, 12, 2, 42, 19, tzinfo=UTC)


def aliyun_channel(handler: httpx.MockTransport) -> aliyun.AliyunSmsChannel:
    return aliyun.AliyunSmsChannel(
        ALIYUN, httpx.Client(transport=handler), clock=lambda: CLOCK, nonce=lambda: "nonce-1"
    )


def aliyun_provider(answer: dict, status: int = 200, seen: list | None = None) -> httpx.MockTransport:
    """Plays dysmsapi: refuses a request whose signature does not verify, else answers `answer`."""

    def handle(request: httpx.Request) -> httpx.Response:
        params = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
        claimed = params.pop("Signature")
        if claimed != aliyun.signature("POST", params, "testSecret"):
            return httpx.Response(400, json={"Code": "SignatureDoesNotMatch", "Message": "bad"})
        if seen is not None:
            seen.append(params)
        return httpx.Response(status, json=answer)

    return httpx.MockTransport(handle)


def test_aliyun_request_is_a_signed_post_with_the_documented_parameters() -> None:
    seen: list[dict] = []
    ok = {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5"}
    results = aliyun_channel(aliyun_provider(ok, seen=seen)).send(SMS)
    params = seen[0]
    assert params["PhoneNumbers"] == "13800000000,13900000001"
    assert params["TemplateParam"] == '{"name":"小明","no":"SF123"}'
    assert params["Timestamp"] == "2017-07-12T02:42:19Z" and params["SignatureNonce"] == "nonce-1"
    assert params["OutId"] == SMS.key and params["SignName"] == "揽收" and params["Format"] == "JSON"
    assert [(r.recipient, r.outcome, r.provider_id) for r in results] == [
        ("13800000000", Outcome.SENT, "900619746936498440^0"),
        ("13900000001", Outcome.SENT, "900619746936498440^0"),
    ]


@pytest.mark.parametrize(
    ("answer", "status", "outcome", "code"),
    [
        (
            {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发小时级流控Permits:5"},
            200,
            Outcome.RETRYABLE,
            None,
        ),
        ({"Code": "isp.SYSTEM_ERROR", "Message": "系统错误"}, 200, Outcome.RETRYABLE, None),
        ({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}, 200, Outcome.PERMANENT, None),
        ({"Code": "isv.AMOUNT_NOT_ENOUGH", "Message": "账户余额不足"}, 200, Outcome.PERMANENT, None),
        ({"no": "json code"}, 503, Outcome.RETRYABLE, "http_503"),
    ],
)
def test_aliyun_errors_are_retryable_or_permanent(
    answer: dict, status: int, outcome: Outcome, code: str
) -> None:
    results = aliyun_channel(aliyun_provider(answer, status)).send(SMS)
    assert {r.outcome for r in results} == {outcome}
    assert results[0].code == (code or answer["Code"]) and results[0].provider_id == ""


def test_aliyun_html_error_page_and_network_failure() -> None:
    page = httpx.MockTransport(lambda r: httpx.Response(502, text="<html>Bad Gateway</html>"))
    assert aliyun.parse_response(("1",), 502, b"<html>Bad Gateway</html>")[0].outcome is Outcome.RETRYABLE
    assert aliyun_channel(page).send(SMS)[0].code == "http_502"

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    results = aliyun_channel(httpx.MockTransport(refuse)).send(SMS)
    assert [r.outcome for r in results] == [Outcome.RETRYABLE] * 2 and "ConnectError" in results[0].detail


def test_aliyun_refuses_messages_it_cannot_send_and_incomplete_settings() -> None:
    channel = aliyun_channel(aliyun_provider({"Code": "OK"}))
    with pytest.raises(MessageRejected, match="TemplateCode"):
        channel.send(Message("k", ChannelKind.SMS, ("13800000000",), text="free text"))
    with pytest.raises(MessageRejected, match="email message sent to the sms channel"):
        channel.send(Message("k", ChannelKind.EMAIL, ("a@b.c",)))
    with pytest.raises(MessageRejected, match="no recipient"):
        channel.send(Message("k", ChannelKind.SMS, (), template_id="T"))
    with pytest.raises(ChannelConfigError, match="access_key_secret"):
        aliyun.AliyunSmsChannel(aliyun.AliyunSmsSettings("id", "", "sign"))


# --- Tencent ----------------------------------------------------------------------------------------------

CVM_PAYLOAD = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
SMS_VECTOR_PAYLOAD = (
    '{"PhoneNumberSet":["+8613800000000"],"SmsSdkAppId":"1400000000","SignName":"测试签名",'
    '"TemplateId":"100000","TemplateParamSet":["1234","5"]}'
).encode()


def test_tc3_matches_tencents_cvm_worked_example() -> None:
    canonical = tencent.canonical_request(CVM_PAYLOAD, "cvm.tencentcloudapi.com")
    to_sign = tencent.string_to_sign(1551113065, "cvm", canonical)
    assert to_sign.startswith("TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n")
    signature = tencent.tc3_signature("Gu5t9xGARNpq86cd98joQYCN3*******", 1551113065, "cvm", to_sign)
    assert signature == "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"


def test_tc3_matches_the_sms_shaped_vector_and_the_payload_is_built_byte_for_byte() -> None:
    settings = tencent.TencentSmsSettings("AKIDEXAMPLE", "SECRETEXAMPLE", "1400000000", "测试签名")
    message = Message("", ChannelKind.SMS, ("13800000000",), template_id="100000",
                      template_params=(("code", "1234"), ("minutes", "5")))  # fmt: skip
    payload = tencent.send_sms_payload(settings, message)
    assert payload == SMS_VECTOR_PAYLOAD
    canonical = tencent.canonical_request(payload, tencent.HOST)
    assert canonical == (
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:sms.tencentcloudapi.com\n\n"
        "content-type;host\nc94ba1708fa425424298da9e71339aca3e0755d2208f8ed663b1d3b7c5c4400a"
    )
    assert tencent.string_to_sign(1700000000, "sms", canonical) == (
        "TC3-HMAC-SHA256\n1700000000\n2023-11-14/sms/tc3_request\n"
        "6f2a3552d8491313e81836844ca2f338a7290173aed43e291019e1361885287a"
    )
    assert tencent.build_request(settings, message, timestamp=1700000000).headers["Authorization"] == (
        "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/sms/tc3_request, SignedHeaders=content-type;host, "
        "Signature=bb119cbbffc15d8bbc1bf0ff4034850f36cb674a49f53dbc3ffa68284040f521"
    )


TENCENT = tencent.TencentSmsSettings("AKIDEXAMPLE", "SECRETEXAMPLE", "1400000000", "揽收")


def tencent_provider(answer: dict, status: int = 200, seen: list | None = None) -> httpx.MockTransport:
    """Plays sms.tencentcloudapi.com: checks the headers and the TC3 signature over the exact body."""

    def handle(request: httpx.Request) -> httpx.Response:
        ts = int(request.headers["X-TC-Timestamp"])
        expected = tencent.authorization(
            "AKIDEXAMPLE", "SECRETEXAMPLE", ts, "sms", request.content, tencent.HOST
        )
        if request.headers["Authorization"] != expected or request.headers["X-TC-Action"] != "SendSms":
            return httpx.Response(200, json={"Response": {"Error": {"Code": "AuthFailure.SignatureFailure"}}})
        if seen is not None:
            seen.append((dict(request.headers), json.loads(request.content)))
        return httpx.Response(status, json=answer)

    return httpx.MockTransport(handle)


def tencent_channel(transport: httpx.MockTransport) -> tencent.TencentSmsChannel:
    return tencent.TencentSmsChannel(TENCENT, httpx.Client(transport=transport), clock=lambda: 1700000000)


def status(number: str, code: str, serial: str = "", message: str = "") -> dict:
    return {"SerialNo": serial, "PhoneNumber": number, "Fee": 1, "SessionContext": SMS.key,
            "Code": code, "Message": message, "IsoCode": "CN"}  # fmt: skip


def test_tencent_results_are_per_number_http_200_is_not_delivery() -> None:
    seen: list = []
    answer = {"Response": {"RequestId": "a0aabda6", "SendStatusSet": [
        status("+8613900000001", "LimitExceeded.PhoneNumberDailyLimit", message="日下发条数超过上限"),
        status("+8613800000000", "Ok", "2640:336219431610180215315151650", "send success"),
    ]}}  # fmt: skip
    results = tencent_channel(tencent_provider(answer, seen=seen)).send(SMS)
    assert [(r.recipient, r.outcome, r.code) for r in results] == [
        ("13800000000", Outcome.SENT, "Ok"),
        ("13900000001", Outcome.PERMANENT, "LimitExceeded.PhoneNumberDailyLimit"),
    ]
    assert results[0].provider_id == "2640:336219431610180215315151650"
    headers, body = seen[0]
    assert headers["x-tc-version"] == "2021-01-11" and headers["x-tc-region"] == "ap-guangzhou"
    assert body["PhoneNumberSet"] == ["+8613800000000", "+8613900000001"]
    assert body["TemplateParamSet"] == ["小明", "SF123"] and body["SessionContext"] == SMS.key


def test_tencent_request_errors_missing_numbers_and_throttling() -> None:
    error = {"Response": {"Error": {"Code": "InternalError.Timeout", "Message": "timeout"}, "RequestId": "x"}}
    assert {r.outcome for r in tencent_channel(tencent_provider(error)).send(SMS)} == {Outcome.RETRYABLE}
    auth = {
        "Response": {"Error": {"Code": "AuthFailure.SecretIdNotFound", "Message": "no"}, "RequestId": "x"}
    }
    assert {r.outcome for r in tencent_channel(tencent_provider(auth)).send(SMS)} == {Outcome.PERMANENT}
    partial = {"Response": {"RequestId": "y", "SendStatusSet": [
        status("+8613800000000", "LimitExceeded.PhoneNumberThirtySecondLimit"),
    ]}}  # fmt: skip
    first, second = tencent_channel(tencent_provider(partial)).send(SMS)
    assert first.outcome is Outcome.RETRYABLE
    assert (second.outcome, second.code) == (Outcome.PERMANENT, "missing")  # unknown: never sent twice
    gateway = httpx.MockTransport(lambda r: httpx.Response(504, text="gateway timeout"))
    assert tencent_channel(gateway).send(SMS)[0].outcome is Outcome.RETRYABLE


def test_tencent_numbers_become_e164() -> None:
    assert tencent.e164("138-0000 0000") == "+8613800000000"
    assert tencent.e164("+85291234567") == "+85291234567"
