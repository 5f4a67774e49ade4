"""Signed webhooks, sent to a real HTTP receiver (stdlib http.server in a thread) that verifies them
with verify_webhook exactly as a merchant's endpoint would."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from lanshou.notifications.channels.webhook import WebhookChannel, WebhookSettings
from lanshou.notifications.model import ChannelKind, Message, Outcome
from lanshou.webhook_signing import WebhookSignatureError, sign_webhook, verify_webhook

SECRET = "whsec-测试"
STATUS_BY_PATH = {"/ok": 200, "/accepted": 202, "/busy": 503, "/throttled": 429, "/gone": 410}


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            verify_webhook(
                SECRET, self.headers["X-Lanshou-Timestamp"], self.headers["X-Lanshou-Signature"], body
            )
        except WebhookSignatureError as exc:
            self._answer(401, str(exc))
            return
        self.received.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
        self._answer(
            STATUS_BY_PATH.get(self.path, 404), "thanks", {"X-Request-Id": f"req-{len(self.received)}"}
        )

    def _answer(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        data = text.encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def message(*urls: str) -> Message:
    data = {"stage": "delivered", "facts": {"order": {"order_no": "TB1"}, "buyer": {"first_name": "小明"}}}
    return Message("7:TB1:55:delivered:webhook", ChannelKind.WEBHOOK, urls, text="已签收", data=data)


def test_webhooks_reach_a_real_receiver_signed_and_per_url_results(receiver: str) -> None:
    urls = [f"{receiver}{p}" for p in ("/ok", "/busy", "/gone", "/throttled", "/accepted")]
    results = WebhookChannel(WebhookSettings(SECRET)).send(message(*urls))
    assert [(r.outcome, r.code) for r in results] == [
        (Outcome.SENT, "200"),
        (Outcome.RETRYABLE, "503"),
        (Outcome.PERMANENT, "410"),
        (Outcome.RETRYABLE, "429"),
        (Outcome.SENT, "202"),
    ]
    assert results[0].provider_id == "req-1" and results[0].recipient == urls[0]
    first = Receiver.received[0]
    assert first["json"] == {"data": message().data, "key": "7:TB1:55:delivered:webhook", "text": "已签收"}
    assert first["headers"]["Idempotency-Key"] == "7:TB1:55:delivered:webhook"
    assert first["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert len(Receiver.received) == 5  # every request passed the receiver's signature check


def test_a_receiver_with_another_secret_refuses_it(receiver: str) -> None:
    results = WebhookChannel(WebhookSettings("wrong secret")).send(message(f"{receiver}/ok"))
    assert (results[0].outcome, results[0].code) == (Outcome.PERMANENT, "401")
    assert "signature mismatch" in results[0].detail and Receiver.received == []


def test_an_unreachable_receiver_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nobody listens there
    results = WebhookChannel(WebhookSettings(SECRET)).send(message(f"http://127.0.0.1:{port}/ok"))
    assert results[0].outcome is Outcome.RETRYABLE and results[0].code == "network"


def test_verify_webhook_refuses_tampering_staleness_and_missing_headers() -> None:
    body = b'{"key":"k"}'
    signature = sign_webhook(SECRET, 1700000000, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    verify_webhook(SECRET, "1700000000", signature, body, now=1700000100)
    with pytest.raises(WebhookSignatureError, match="mismatch"):
        verify_webhook(SECRET, "1700000000", signature, b'{"key":"K"}', now=1700000000)
    with pytest.raises(WebhookSignatureError, match="mismatch"):  # the timestamp is signed too
        verify_webhook(SECRET, "1700000001", signature, body, now=1700000000)
    with pytest.raises(WebhookSignatureError, match="outside"):
        verify_webhook(SECRET, "1700000000", signature, body, now=1700000301)
    with pytest.raises(WebhookSignatureError, match="missing"):
        verify_webhook(SECRET, None, signature, body)
    with pytest.raises(WebhookSignatureError, match="bad timestamp"):
        verify_webhook(SECRET, "yesterday", signature, body)
