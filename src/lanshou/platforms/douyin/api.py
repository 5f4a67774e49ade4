"""Douyin 抖店 open platform: signing, push-message verification, and "shipped" (`order.logisticsAdd`).

`build_logistics_add` (pure) -> httpx.Request; `parse_logistics_add` (pure) -> ShipResult;
`doudian_notifier` joins them over an httpx.Client (a MockTransport in tests), the only I/O.

Sources (WIRE-FORMATS.md §4 "Douyin 抖店 open platform" and its test vectors):
- sign: zsmhub/doudian-sdk:utils/sign_util.go (`Sign`, `Marshal`): pattern = secret + "app_key"… + "v2"
  + secret, hex(HMAC-SHA256(secret, pattern)), lowercase; legacy md5 = hex(MD5(pattern)). param_json is
  re-marshalled via a map (keys sorted, nested ones too) with SetEscapeHTML(false), compact.
- request: core/doudian_op_api_client.go + core/http/doudian_op_http_client.go — POST <gateway>/<path>,
  query `app_key, method, timestamp, sign, v=2, sign_method=hmac-sha256, access_token`, body = param_json;
  success is `code == 10000` (core/access_token_builder.go); errors carry `code, msg, sub_code, sub_msg`.
- shipped call: api/order_logisticsAdd/request/order_logisticsAdd_request.go — path /order/logisticsAdd,
  `order_id` (string), `company_code` (物流公司code, required), `logistics_code` (快递单号: the tracking
  number, not a carrier code, whatever the name suggests), optional `is_refund_reject`, `address_id`, ….
- push: message/doudian_sign.go — `event-sign` = hex(MD5(app_key + raw body + app_secret)); the body is a
  JSON array of {"tag","msg_id","data"(JSON string)}; reply {"code":0,"msg":"success"}
  (message/doudian_message.go).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import httpx

from lanshou.platforms.shipping_api import (
    HttpShippedNotifier,
    Shipment,
    ShippingRefused,
    ShipResult,
    decode_reply,
    is_digits,
    unix_now,
)

GATEWAY = "https://openapi-fxg.jinritemai.com"
SANDBOX_GATEWAY = "https://openapi-sandbox.jinritemai.com"
LOGISTICS_ADD = "order.logisticsAdd"
SUCCESS_CODE = 10000
PUSH_REPLY = b'{"code":0,"msg":"success"}'

SignMethod = Literal["hmac-sha256", "md5"]


def _check_plain(value: Any, where: str = "param_json") -> None:
    """Only strings, ints, bools, null, lists and objects: a float prints differently from Go's encoder."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: key {key!r} is not a string")
            _check_plain(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_plain(item, f"{where}[{index}]")
    elif not (value is None or isinstance(value, str | int)):
        raise ValueError(f"{where}: {type(value).__name__} values are not signed reliably; send a string")


def param_json(params: Mapping[str, Any]) -> str:
    """The exact text that is both signed and sent: compact, keys sorted at every depth, no HTML escaping.

    Python's json with ensure_ascii=False matches Go's encoder with SetEscapeHTML(false) for these types,
    except that Go always escapes U+2028/U+2029, so they are escaped here too.
    """
    _check_plain(dict(params))
    text = json.dumps(params, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def sign_pattern(app_key: str, app_secret: str, method: str, param_json_text: str, timestamp: int) -> str:
    inner = f"app_key{app_key}method{method}param_json{param_json_text}timestamp{timestamp}v2"
    return app_secret + inner + app_secret


def doudian_sign(
    app_key: str,
    app_secret: str,
    method: str,
    param_json_text: str,
    timestamp: int,
    sign_method: SignMethod = "hmac-sha256",
) -> str:
    pattern = sign_pattern(app_key, app_secret, method, param_json_text, timestamp).encode("utf-8")
    if sign_method == "hmac-sha256":
        return hmac.new(app_secret.encode("utf-8"), pattern, hashlib.sha256).hexdigest()
    if sign_method == "md5":
        return hashlib.md5(pattern).hexdigest()
    raise ValueError(f"unknown Douyin sign_method {sign_method!r} (known: hmac-sha256, md5)")


# --- push messages ----------------------------------------------------------------------------------------


def push_event_sign(body: bytes, app_key: str, app_secret: str) -> str:
    return hashlib.md5(app_key.encode("utf-8") + body + app_secret.encode("utf-8")).hexdigest()


def verify_push(body: bytes, event_sign: str, app_key: str, app_secret: str) -> bool:
    """Check the `event-sign` header over the raw body bytes exactly as received, in constant time."""
    expected = push_event_sign(body, app_key, app_secret).encode("ascii")
    given = event_sign.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected, given)


class PushRefused(ValueError):
    pass


@dataclass(frozen=True)
class PushMessage:
    tag: str  # "101" 订单支付, "200" 买家发起售后, … (WIRE-FORMATS.md §4 tags)
    msg_id: str
    data: dict[str, Any]


def parse_push(body: bytes) -> list[PushMessage]:
    """The messages of one push (verify it first); PushRefused names what is wrong with the body."""
    try:
        items = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PushRefused(f"抖店推送不是 JSON / Douyin push body is not JSON: {exc}") from None
    if not isinstance(items, list):
        raise PushRefused("抖店推送应为数组 / Douyin push body must be a JSON array")
    messages = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or "tag" not in item or "data" not in item:
            raise PushRefused(f"抖店推送第 {index} 条缺少 tag/data / push item {index} lacks tag or data")
        try:
            data = json.loads(item["data"]) if isinstance(item["data"], str) else item["data"]
        except ValueError:
            raise PushRefused(
                f"抖店推送第 {index} 条 data 不是 JSON / push item {index} data is not JSON"
            ) from None
        if not isinstance(data, dict):
            raise PushRefused(
                f"抖店推送第 {index} 条 data 应为对象 / push item {index} data must be an object"
            )
        messages.append(PushMessage(str(item["tag"]), str(item.get("msg_id", "")), data))
    return messages


# --- the shipped call -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoudianCredentials:
    app_key: str
    app_secret: str
    access_token: str


def build_call(
    method: str, params: Mapping[str, Any], creds: DoudianCredentials, timestamp: int, gateway: str = GATEWAY
) -> httpx.Request:
    """A signed open-platform call: common params in the query, param_json as the JSON body."""
    body = param_json(params)
    query = {
        "app_key": creds.app_key,
        "method": method,
        "timestamp": str(timestamp),
        "sign": doudian_sign(creds.app_key, creds.app_secret, method, body, timestamp),
        "v": "2",
        "sign_method": "hmac-sha256",
        "access_token": creds.access_token,
    }
    url = f"{gateway}/{method.replace('.', '/')}?{urlencode(query)}"
    headers = {"Content-Type": "application/json;charset=UTF-8", "x-open-no-old-err-code": "1"}
    return httpx.Request("POST", url, content=body.encode("utf-8"), headers=headers)


def logistics_add_params(shipment: Shipment, company_code: str) -> dict[str, str]:
    order_id = shipment.order_id.strip()
    if not is_digits(order_id):
        raise ShippingRefused(
            f"拒绝 refused: 抖店订单号必须是数字 a Douyin order id is digits only, got {order_id!r}"
        )
    return {
        "order_id": order_id,
        "company_code": company_code,
        "logistics_code": shipment.tracking_no.strip(),
    }


def build_logistics_add(
    shipment: Shipment, company_code: str, creds: DoudianCredentials, timestamp: int, gateway: str = GATEWAY
) -> httpx.Request:
    return build_call(LOGISTICS_ADD, logistics_add_params(shipment, company_code), creds, timestamp, gateway)


def parse_logistics_add(order_id: str, status_code: int, body: bytes) -> ShipResult:
    """Success only on `code == 10000`; otherwise the platform's sub_msg and sub_code."""
    try:
        reply = decode_reply(status_code, body)
    except ShippingRefused as exc:
        return ShipResult.failure(order_id, str(exc))
    code = reply.get("code")
    if str(code) == str(SUCCESS_CODE) and status_code == 200:
        return ShipResult.success(order_id)
    sub_code = str(reply.get("sub_code") or code or "")
    text = reply.get("sub_msg") or reply.get("msg") or f"HTTP {status_code}"
    return ShipResult.failure(
        order_id, f"抖店拒绝 Douyin refused: {text} ({sub_code or 'no code'})", sub_code
    )


def doudian_notifier(
    creds: DoudianCredentials,
    client: httpx.Client,
    *,
    carrier_codes: Mapping[str, str] | None = None,
    clock: Callable[[], int] = unix_now,
    gateway: str = GATEWAY,
) -> HttpShippedNotifier:
    """ShippedNotifier for Douyin: one order.logisticsAdd call per shipment (it ships whole orders only)."""

    def build(shipment: Shipment, company_code: str) -> httpx.Request:
        return build_logistics_add(shipment, company_code, creds, clock(), gateway)

    return HttpShippedNotifier("douyin", client, build, parse_logistics_add, "douyin", carrier_codes)
