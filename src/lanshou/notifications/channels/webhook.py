"""Merchant webhooks: a JSON POST signed with HMAC-SHA256 over `timestamp + "." + body`.

Headers: `X-Lanshou-Timestamp` (unix seconds), `X-Lanshou-Signature` (`sha256=<hex>`), and
`Idempotency-Key` (the message key: a receiver that sees it twice should act once).
Receivers check with `verify_webhook(...)`, which also refuses stale timestamps (replays).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from lanshou.notifications.channels.base import (
    check_message,
    network_failure,
    post,
    require,
    retryable_status,
)
from lanshou.notifications.model import ChannelKind, DeliveryResult, Message, Outcome
from lanshou.webhook_signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_webhook

IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class WebhookSettings:
    secret: str
    timeout_seconds: float = 10.0


def webhook_body(message: Message) -> bytes:
    payload = {"key": message.key, "text": message.text, "data": dict(message.data)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def build_request(settings: WebhookSettings, url: str, message: Message, *, timestamp: int) -> httpx.Request:
    body = webhook_body(message)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign_webhook(settings.secret, timestamp, body),
        IDEMPOTENCY_HEADER: message.key,
        "User-Agent": "lanshou-webhook/1",
    }
    return httpx.Request("POST", url, content=body, headers=headers)


def parse_response(url: str, status_code: int, request_id: str, body: bytes) -> DeliveryResult:
    """2xx sent; 408, 425, 429 and 5xx retryable; other answers permanent (the receiver refused it)."""
    if 200 <= status_code < 300:
        return DeliveryResult(url, Outcome.SENT, request_id, str(status_code))
    outcome = Outcome.RETRYABLE if retryable_status(status_code) else Outcome.PERMANENT
    return DeliveryResult(url, outcome, request_id, str(status_code), body[:200].decode(errors="replace"))


class WebhookChannel:
    """Recipients are the receivers' URLs; each gets its own signed POST."""

    kind = ChannelKind.WEBHOOK

    def __init__(
        self,
        settings: WebhookSettings,
        client: httpx.Client | None = None,
        clock: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        require(settings, "secret")
        self.settings = settings
        self.client = client or httpx.Client(timeout=settings.timeout_seconds)
        self.clock = clock

    def send(self, message: Message) -> list[DeliveryResult]:
        check_message(message, self.kind)
        results = []
        for url in message.recipients:
            response = post(self.client, build_request(self.settings, url, message, timestamp=self.clock()))
            if isinstance(response, str):
                results.extend(network_failure((url,), response))
                continue
            request_id = response.headers.get("X-Request-Id", "")
            results.append(parse_response(url, response.status_code, request_id, response.content))
        return results
