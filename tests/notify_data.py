"""Shared pieces of the notification tests: a real local SMTP server (aiosmtpd), a real local webhook
receiver (http.server in a thread), orders with parcels, and a shop wired to both."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select

from lanshou.notifications.settings_store import save_settings
from lanshou.notifications.store import add_rule
from lanshou.shops.tables import shops
from lanshou.webhook_signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_webhook
from tests.tracking_data import ORDERS_HEADER

SECRET = "hook-secret"


class Mailbox:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted"

    def keys(self) -> list[str]:
        with self.lock:
            return [str(m["X-Lanshou-Key"]) for m in self.messages]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield box, controller.port
    finally:
        controller.stop()


class Receiver:
    """What the webhook receiver got; `fail_first` answers 503 to that many requests first."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.bodies: list[dict[str, Any]] = []
        self.keys: list[str] = []
        self.refused = 0
        self.lock = threading.Lock()


@contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[tuple[Receiver, str]]:
    got = Receiver(fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            verify_webhook(
                SECRET, self.headers.get(TIMESTAMP_HEADER), self.headers.get(SIGNATURE_HEADER), body
            )
            with got.lock:
                if got.refused < got.fail_first:
                    got.refused += 1
                    status = 503
                else:
                    got.bodies.append(json.loads(body))
                    got.keys.append(self.headers.get("Idempotency-Key", ""))
                    status = 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def order_line(
    order_no: str, tracking_no: str, buyer: str, amount: str = "88.00", phone: str = "13900001111"
) -> str:
    return (
        f"douyin,小店,{order_no},shipped,2026-11-01 09:00:00,2026-11-01 09:01:00,0,,{buyer},王小明,{phone},"
        f"广东省,深圳市,南山区,科技园,,SKU-1,发夹,服饰,1,{amount},{amount},zto,{tracking_no},"
        "2026-11-01 12:00:00"
    )


def import_orders_file(engine: Engine, tmp: Path, rows: list[str]) -> int:
    """Imports the rows; returns the shop id."""
    from lanshou.intake.orders import import_orders

    path = tmp / "orders.csv"
    path.write_text("\n".join([ORDERS_HEADER, *rows]) + "\n", encoding="utf-8")
    report = import_orders(engine, path, rejects=tmp / "rej.csv")
    assert report.rejected_count == 0, report.rejected
    with engine.connect() as conn:
        return int(conn.execute(select(shops.c.id).where(shops.c.name == "小店")).scalar_one())


def configure_shop(
    engine: Engine, shop_id: int, now: datetime, *, smtp_port: int = 0, hook_url: str = "", **settings: Any
) -> None:
    channels: dict[str, dict[str, Any]] = {}
    if smtp_port:
        channels["email"] = {
            "host": "127.0.0.1",
            "port": smtp_port,
            "sender": "小店 <shop@example.com>",
            "security": "none",
        }
    if hook_url:
        channels["webhook"] = {"url": hook_url, "secret": SECRET}
    with engine.begin() as conn:
        save_settings(conn, shop_id, now, channels=channels, **settings)


def rule(
    engine: Engine,
    shop_id: int,
    name: str,
    stage: str,
    channel: str,
    *,
    when: str = "",
    template: str = "default",
    position: int = 0,
    language: str = "zh-CN",
) -> None:
    with engine.begin() as conn:
        add_rule(
            conn, shop_id, name, stage, when, template, channel, language, position, datetime(2026, 11, 1)
        )
