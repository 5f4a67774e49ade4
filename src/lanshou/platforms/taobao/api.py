"""Taobao/Tmall TOP API: signing, and telling TOP an order has shipped (`taobao.logistics.offline.send`).

Three pieces, so only one does I/O: `build_offline_send` (pure: shipment -> signed httpx.Request),
`parse_offline_send` (pure: HTTP status + body -> ShipResult); `top_notifier` joins them over an httpx.Client
(a MockTransport in tests), the only I/O.

Sources: gateway, common params and the sign rule — bububa/opentaobao:core/const.go, core/client.go
`sign()`, model/request.go; WIRE-FORMATS.md §4 "Taobao/Tmall TOP" and its test vectors. The shipped call —
bububa/opentaobao:model/logistic/TaobaoLogisticsOfflineSendAPIRequest.go (commit 3a362f9b): method
`taobao.logistics.offline.send` "自己联系物流（线下物流）发货", params `tid` 淘宝交易ID, `out_sid` 运单号,
`company_code` 物流公司代码, optional `sub_tid`/`is_split` (split shipping), `sender_id`, `cancel_id`,
`feature`, `seller_ip`; TaobaoLogisticsOfflineSendAPIResponse.go: reply
`logistics_offline_send_response.shipping.is_success`; model/response.go: the error shape
`error_response{code,msg,sub_code,sub_msg,request_id}`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
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
)

GATEWAY = "https://eco.taobao.com/router/rest"
SANDBOX_GATEWAY = "https://gw.api.tbsandbox.com/router/rest"
OFFLINE_SEND = "taobao.logistics.offline.send"
OFFLINE_SEND_REPLY = "logistics_offline_send_response"

SignMethod = Literal["md5", "hmac", "hmac-sha256"]
SIGN_METHODS: tuple[SignMethod, ...] = ("md5", "hmac", "hmac-sha256")
BEIJING = timezone(timedelta(hours=8))  # TOP timestamps are GMT+8 and must be within ±10 min of TOP's clock


def top_sign(params: Mapping[str, str], secret: str, sign_method: SignMethod) -> str:
    """TOP signature: every param but `sign` (and empty ones) sorted by name, joined as name+value, hashed.

    md5: UPPER(hex(MD5(secret + s + secret))); hmac: UPPER(hex(HMAC-MD5(secret, s))); hmac-sha256 likewise.
    Empty values are left out as TOP's official SDK does; `top_params` never sends one, so both agree.
    """
    joined = "".join(name + value for name, value in sorted(params.items()) if name != "sign" and value != "")
    payload = joined.encode("utf-8")
    key = secret.encode("utf-8")
    if sign_method == "md5":
        digest = hashlib.md5(key + payload + key).hexdigest()
    elif sign_method == "hmac":
        digest = hmac.new(key, payload, hashlib.md5).hexdigest()
    elif sign_method == "hmac-sha256":
        digest = hmac.new(key, payload, hashlib.sha256).hexdigest()
    else:
        raise ValueError(f"unknown TOP sign_method {sign_method!r} (known: {', '.join(SIGN_METHODS)})")
    return digest.upper()


def top_timestamp(moment: datetime) -> str:
    """`yyyy-MM-dd HH:mm:ss` in GMT+8; a naive datetime is refused (it would silently be off by hours)."""
    if moment.tzinfo is None:
        raise ValueError("TOP timestamp needs a timezone-aware datetime")
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class TopCredentials:
    app_key: str
    app_secret: str
    session: str  # the shop's access token
    sign_method: SignMethod = "hmac-sha256"


def top_params(
    method: str, business: Mapping[str, str], creds: TopCredentials, timestamp: str
) -> dict[str, str]:
    """Common + business params of one TOP call, with `sign` added; empty business values are dropped."""
    params = {
        "method": method,
        "app_key": creds.app_key,
        "session": creds.session,
        "timestamp": timestamp,
        "format": "json",
        "v": "2.0",
        "sign_method": creds.sign_method,
        "simplify": "false",  # keep the documented nesting (…_response.shipping.is_success)
    }
    params.update({name: value for name, value in business.items() if value != ""})
    params["sign"] = top_sign(params, creds.app_secret, creds.sign_method)
    return params


def offline_send_params(shipment: Shipment, company_code: str) -> dict[str, str]:
    """Business params of taobao.logistics.offline.send; `tid` is TOP's int64 trade id, so digits only."""
    tid = shipment.order_id.strip()
    if not is_digits(tid):
        raise ShippingRefused(f"拒绝 refused: 淘宝订单号必须是数字 a Taobao tid is digits only, got {tid!r}")
    return {"tid": tid, "out_sid": shipment.tracking_no.strip(), "company_code": company_code}


def build_offline_send(
    shipment: Shipment, company_code: str, creds: TopCredentials, timestamp: str, gateway: str = GATEWAY
) -> httpx.Request:
    """The signed form POST (application/x-www-form-urlencoded; charset=utf-8, as the SDK sends it)."""
    params = top_params(OFFLINE_SEND, offline_send_params(shipment, company_code), creds, timestamp)
    body = urlencode(params).encode("ascii")
    headers = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}
    return httpx.Request("POST", gateway, content=body, headers=headers)


def top_error(reply: Mapping[str, Any]) -> tuple[str, str] | None:
    """(message, code) of a TOP `error_response`, or None when the reply has none."""
    error = reply.get("error_response")
    if not isinstance(error, dict):
        return None
    code = str(error.get("sub_code") or error.get("code") or "")
    text = error.get("sub_msg") or error.get("msg") or "no message"
    return f"淘宝拒绝 TOP refused: {text} ({code or 'no code'})", code


def parse_offline_send(order_id: str, status_code: int, body: bytes) -> ShipResult:
    """One shipment's result from TOP's reply: success only when `shipping.is_success` is true."""
    try:
        reply = decode_reply(status_code, body)
    except ShippingRefused as exc:
        return ShipResult.failure(order_id, str(exc))
    error = top_error(reply)
    if error is not None:
        return ShipResult.failure(order_id, *error)
    answer = reply.get(OFFLINE_SEND_REPLY)
    shipping = answer.get("shipping") if isinstance(answer, dict) else None
    if isinstance(shipping, dict) and shipping.get("is_success") in (True, "true"):
        return ShipResult.success(order_id)
    return ShipResult.failure(
        order_id, f"淘宝未确认发货 TOP did not confirm the shipment (HTTP {status_code})"
    )


def beijing_now() -> datetime:
    return datetime.now(BEIJING)


def top_notifier(
    creds: TopCredentials,
    client: httpx.Client,
    *,
    platform: str = "taobao",  # or "tmall": same API, same carrier codes
    carrier_codes: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] = beijing_now,
    gateway: str = GATEWAY,
) -> HttpShippedNotifier:
    """ShippedNotifier for Taobao and Tmall: one taobao.logistics.offline.send call per shipment."""

    def build(shipment: Shipment, company_code: str) -> httpx.Request:
        return build_offline_send(shipment, company_code, creds, top_timestamp(clock()), gateway)

    return HttpShippedNotifier(platform, client, build, parse_offline_send, "taobao", carrier_codes)
