"""Aliyun SMS SendSms (RPC API, signature v1), written against its wire format.

Three pieces in the Karrio shape: pure signing and request building, a transport that only posts, and a
pure response parser. Signing (WIRE-FORMATS.md §3, checked against the published vector): sort the
parameters, POP-encode keys and values (URL-encode, space as %20, `*` as %2A, `~` kept), join with `&`;
StringToSign = METHOD & enc("/") & enc(query); Signature = Base64(HMAC-SHA1(secret + "&", StringToSign)).

Aliyun answers once per request (one Code, one BizId for all numbers in it), so every recipient of the
request gets that verdict; the per-number handset receipt needs QuerySendDetails (not built here).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from lanshou.notifications.channels.base import (
    MessageRejected,
    check_message,
    network_failure,
    post,
    require,
    unreadable_answer,
)
from lanshou.notifications.model import ChannelKind, DeliveryResult, Message, Outcome, results_for_all

ENDPOINT = "https://dysmsapi.aliyuncs.com/"
MAX_NUMBERS = 1000  # PhoneNumbers limit per request [unverified]

# Codes worth another try later: provider-side trouble and short-window flow control.
RETRYABLE_CODES = frozenset(
    {
        "isp.SYSTEM_ERROR",
        "isv.BUSINESS_LIMIT_CONTROL",
        "Throttling",
        "Throttling.User",
        "ServiceUnavailable",
        "InternalError",
        "SignatureNonceUsed",
    }
)


@dataclass(frozen=True)
class AliyunSmsSettings:
    access_key_id: str
    access_key_secret: str
    sign_name: str  # 短信签名, approved in the Aliyun console
    endpoint: str = ENDPOINT
    region_id: str = "cn-hangzhou"
    timeout_seconds: float = 10.0


def pop_encode(value: str) -> str:
    """Aliyun "POP" percent-encoding: RFC 3986 unreserved characters kept, everything else %XX (UTF-8)."""
    return quote(value, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{pop_encode(k)}={pop_encode(v)}" for k, v in sorted(params.items()))


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method}&{pop_encode('/')}&{pop_encode(canonical_query(params))}"


def signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    digest = hmac.new(
        (access_key_secret + "&").encode(), string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


def send_sms_params(
    settings: AliyunSmsSettings, message: Message, *, timestamp: datetime, nonce: str
) -> dict[str, str]:
    """Every parameter of one SendSms call except Signature."""
    if not message.template_id:
        raise MessageRejected("拒绝 refused: 阿里云短信需要模板 Aliyun SMS needs an approved TemplateCode")
    if len(message.recipients) > MAX_NUMBERS:
        raise MessageRejected(f"拒绝 refused: more than {MAX_NUMBERS} numbers in one request")
    params = {
        "AccessKeyId": settings.access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "RegionId": settings.region_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce,
        "SignatureVersion": "1.0",
        "Timestamp": timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
        "PhoneNumbers": ",".join(message.recipients),
        "SignName": settings.sign_name,
        "TemplateCode": message.template_id,
    }
    if message.template_params:
        params["TemplateParam"] = json.dumps(
            dict(message.template_params), ensure_ascii=False, separators=(",", ":")
        )
    if message.key:
        params["OutId"] = message.key  # echoed in receipts: ties a handset report to our message
    return params


def build_request(
    settings: AliyunSmsSettings, message: Message, *, timestamp: datetime, nonce: str
) -> httpx.Request:
    """A signed POST form request (POST keeps phone numbers out of URLs and access logs)."""
    params = send_sms_params(settings, message, timestamp=timestamp, nonce=nonce)
    params["Signature"] = signature("POST", params, settings.access_key_secret)
    body = "&".join(f"{pop_encode(k)}={pop_encode(v)}" for k, v in params.items())
    return httpx.Request(
        "POST",
        settings.endpoint,
        content=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Accept": "application/json",
        },
    )


def parse_response(recipients: tuple[str, ...], status_code: int, body: bytes) -> list[DeliveryResult]:
    """One verdict for every number of the request: Code "OK" is sent (BizId is the provider id)."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict) or "Code" not in data:
        return unreadable_answer(recipients, status_code, body)
    code = str(data["Code"])
    detail = str(data.get("Message", ""))
    if code == "OK":
        return results_for_all(recipients, Outcome.SENT, code, detail, provider_id=str(data.get("BizId", "")))
    retryable = code in RETRYABLE_CODES or code.startswith("isp.")
    return results_for_all(recipients, Outcome.RETRYABLE if retryable else Outcome.PERMANENT, code, detail)


class AliyunSmsChannel:
    kind = ChannelKind.SMS

    def __init__(
        self,
        settings: AliyunSmsSettings,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        nonce: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        require(settings, "access_key_id", "access_key_secret", "sign_name", "endpoint")
        self.settings = settings
        self.client = client or httpx.Client(timeout=settings.timeout_seconds)
        self.clock = clock
        self.nonce = nonce

    def send(self, message: Message) -> list[DeliveryResult]:
        check_message(message, self.kind)
        request = build_request(self.settings, message, timestamp=self.clock(), nonce=self.nonce())
        response = post(self.client, request)
        if isinstance(response, str):
            return network_failure(message.recipients, response)
        return parse_response(message.recipients, response.status_code, response.content)
