"""Tencent Cloud SMS SendSms (API 3.0, TC3-HMAC-SHA256), written against its wire format.

Signing (WIRE-FORMATS.md §3, checked against Tencent's CVM worked example and an SMS-shaped vector):
CanonicalRequest = POST \\n / \\n (empty query) \\n content-type and host headers \\n signed header names \\n
hex(SHA256(payload)); StringToSign = "TC3-HMAC-SHA256" \\n ts \\n date/service/tc3_request \\n
hex(SHA256(CanonicalRequest)); the key is HMAC chained over "TC3"+secret → date → service → "tc3_request".

HTTP 200 is not delivery: each number's `Code` in `Response.SendStatusSet` decides, and a request-level
`Response.Error` fails every number of the request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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

HOST = "sms.tencentcloudapi.com"
CONTENT_TYPE = "application/json; charset=utf-8"
ALGORITHM = "TC3-HMAC-SHA256"
SIGNED_HEADERS = "content-type;host"
MAX_NUMBERS = 200

# Request-level and per-number codes worth another try later [from the SDK's error list, unverified here].
RETRYABLE_PREFIXES = ("InternalError", "RequestLimitExceeded", "LimitExceeded.PhoneNumberThirtySecondLimit")
RETRYABLE_CODES = frozenset(
    {"LimitExceeded.PhoneNumberOneHourLimit", "FailedOperation.FailResolvePacket", "ResourceUnavailable"}
)


@dataclass(frozen=True)
class TencentSmsSettings:
    secret_id: str
    secret_key: str
    sdk_app_id: str  # SmsSdkAppId, e.g. "1400000000"
    sign_name: str  # 短信签名 approved in the console
    region: str = "ap-guangzhou"
    host: str = HOST
    endpoint: str = f"https://{HOST}/"
    timeout_seconds: float = 10.0


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def utc_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def canonical_request(payload: bytes, host: str, content_type: str = CONTENT_TYPE) -> str:
    headers = f"content-type:{content_type}\nhost:{host}\n"
    return f"POST\n/\n\n{headers}\n{SIGNED_HEADERS}\n{_sha256_hex(payload)}"


def string_to_sign(timestamp: int, service: str, canonical: str) -> str:
    scope = f"{utc_date(timestamp)}/{service}/tc3_request"
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{_sha256_hex(canonical.encode())}"


def tc3_signature(secret_key: str, timestamp: int, service: str, to_sign: str) -> str:
    k_date = _hmac(("TC3" + secret_key).encode(), utc_date(timestamp))
    k_service = _hmac(k_date, service)
    k_signing = _hmac(k_service, "tc3_request")
    return hmac.new(k_signing, to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(
    secret_id: str, secret_key: str, timestamp: int, service: str, payload: bytes, host: str
) -> str:
    """The Authorization header for a POST of `payload` as application/json; charset=utf-8."""
    to_sign = string_to_sign(timestamp, service, canonical_request(payload, host))
    signature = tc3_signature(secret_key, timestamp, service, to_sign)
    scope = f"{utc_date(timestamp)}/{service}/tc3_request"
    return (
        f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
    )


def send_sms_payload(settings: TencentSmsSettings, message: Message) -> bytes:
    """The JSON body: compact, UTF-8 as is (the signature is over these exact bytes)."""
    if not message.template_id:
        raise MessageRejected("拒绝 refused: 腾讯云短信需要模板 Tencent SMS needs an approved TemplateId")
    if len(message.recipients) > MAX_NUMBERS:
        raise MessageRejected(f"拒绝 refused: more than {MAX_NUMBERS} numbers in one request")
    body: dict[str, Any] = {
        "PhoneNumberSet": [e164(n) for n in message.recipients],
        "SmsSdkAppId": settings.sdk_app_id,
        "SignName": settings.sign_name,
        "TemplateId": message.template_id,
        "TemplateParamSet": [value for _, value in message.template_params],
    }
    if message.key:
        body["SessionContext"] = message.key  # echoed back per number
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def e164(number: str) -> str:
    """Mainland numbers without a country code get +86 (Tencent wants E.164)."""
    digits = number.strip().replace(" ", "").replace("-", "")
    return digits if digits.startswith("+") else "+86" + digits


def build_request(settings: TencentSmsSettings, message: Message, *, timestamp: int) -> httpx.Request:
    payload = send_sms_payload(settings, message)
    headers = {
        "Content-Type": CONTENT_TYPE,
        "Host": settings.host,
        "X-TC-Action": "SendSms",
        "X-TC-Version": "2021-01-11",
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Region": settings.region,
        "Authorization": authorization(
            settings.secret_id, settings.secret_key, timestamp, "sms", payload, settings.host
        ),
    }
    return httpx.Request("POST", settings.endpoint, content=payload, headers=headers)


def _outcome(code: str) -> Outcome:
    if code in RETRYABLE_CODES or code.startswith(RETRYABLE_PREFIXES):
        return Outcome.RETRYABLE
    return Outcome.PERMANENT


def parse_response(recipients: tuple[str, ...], status_code: int, body: bytes) -> list[DeliveryResult]:
    """Per-number results from SendStatusSet, matched back to our recipients by E.164 number."""
    try:
        response = json.loads(body)["Response"]
    except (ValueError, KeyError, TypeError):
        return unreadable_answer(recipients, status_code, body)
    error = response.get("Error")
    if error:
        code = str(error.get("Code", "Error"))
        return results_for_all(recipients, _outcome(code), code, str(error.get("Message", "")))
    statuses = {str(s.get("PhoneNumber")): s for s in response.get("SendStatusSet") or []}
    results = []
    for recipient in recipients:
        status = statuses.get(e164(recipient))
        if status is None:
            # Unknown whether it left: not retried, so a buyer never gets it twice.
            results.append(
                DeliveryResult(recipient, Outcome.PERMANENT, "", "missing", "未返回状态 no status")
            )
            continue
        code = str(status.get("Code", ""))
        outcome = Outcome.SENT if code == "Ok" else _outcome(code)
        serial = str(status.get("SerialNo", ""))
        results.append(DeliveryResult(recipient, outcome, serial, code, str(status.get("Message", ""))))
    return results


class TencentSmsChannel:
    kind = ChannelKind.SMS

    def __init__(
        self,
        settings: TencentSmsSettings,
        client: httpx.Client | None = None,
        clock: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        require(settings, "secret_id", "secret_key", "sdk_app_id", "sign_name", "host", "endpoint")
        self.settings = settings
        self.client = client or httpx.Client(timeout=settings.timeout_seconds)
        self.clock = clock

    def send(self, message: Message) -> list[DeliveryResult]:
        check_message(message, self.kind)
        response = post(self.client, build_request(self.settings, message, timestamp=self.clock()))
        if isinstance(response, str):
            return network_failure(message.recipients, response)
        return parse_response(message.recipients, response.status_code, response.content)
