"""The signature of Lanshou's webhooks, both ways: the messages Lanshou sends (notifications) and the generic
tracking pushes it receives. HMAC-SHA256 over `timestamp + "." + body`, sent as `sha256=<hex>` with the
timestamp in its own header; a receiver refuses a stale timestamp (replay) and compares in constant time."""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Lanshou-Timestamp"
SIGNATURE_HEADER = "X-Lanshou-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


class WebhookSignatureError(ValueError):
    """A webhook whose signature or timestamp does not check out."""


def sign_webhook(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_webhook(
    secret: str,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    *,
    now: int | None = None,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Raise WebhookSignatureError unless the body was signed with `secret` within the tolerance."""
    if not timestamp_header or not signature_header:
        raise WebhookSignatureError(f"缺少签名 missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}")
    try:
        timestamp = int(timestamp_header)
    except ValueError:
        raise WebhookSignatureError(f"时间戳无效 bad timestamp {timestamp_header!r}") from None
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise WebhookSignatureError(f"时间戳过期 timestamp outside ±{tolerance_seconds}s")
    if not hmac.compare_digest(sign_webhook(secret, timestamp, body), signature_header.strip()):
        raise WebhookSignatureError("签名不符 signature mismatch")
