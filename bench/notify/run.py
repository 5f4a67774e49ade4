"""Notification benchmark: what buyer notifications cost on the tracking write path, and how fast the outbox
is sent, each beside a baseline measured in the same run.

    .venv/bin/python bench/notify/run.py [--parcels 5000] [--batch 1000]

1. Queueing: `delivered` events for every parcel recorded in batches (lanshou.tracking.record, the one write
   path) with a delivered → webhook rule, so each change puts its message in the outbox in the same
   transaction. Baseline: the same events for another set of parcels with no rule for the stage.
2. Sending: `send_due` over the outbox to a local webhook receiver (http.server, threads): claim, checks,
   facts, render, signed POST, state and timeline per message. Baseline: the bare signed POSTs of the same
   bodies to the same receiver, one client, in a loop.
SQLite in a temporary directory; nothing is kept.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from lanshou import bootstrap
from lanshou.db.engine import open_database
from lanshou.events import bus
from lanshou.intake.orders import import_orders
from lanshou.notifications import subscriptions
from lanshou.notifications.channels.webhook import WebhookSettings, build_request
from lanshou.notifications.model import ChannelKind, Message
from lanshou.notifications.sending import send_due
from lanshou.notifications.settings_store import save_settings
from lanshou.notifications.store import add_rule
from lanshou.tracking.record import record_events

HEADER = (
    "platform,shop,order_id,status,created_at,paid_at,is_presale,promised_ship_by,buyer_id,buyer_name,"
    "buyer_phone,province,city,district,address,buyer_message,sku,title,category,quantity,unit_price,"
    "order_amount,carrier,tracking_no,shipped_at"
)
NOW = datetime(2027, 1, 5, 3, 0)


def receiver() -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook"


def orders_file(folder: Path, parcels: int) -> Path:
    path = folder / "orders.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write(HEADER + "\n")
        for i in range(2 * parcels):
            f.write(
                f"douyin,小店,B{i:07d},shipped,2026-11-01 09:00:00,2026-11-01 09:01:00,0,,buyer{i},王小明,"
                f"13900001111,广东省,深圳市,南山区,科技园,,SKU-1,发夹,服饰,1,88.00,88.00,zto,ZB{i:07d},"
                "2026-11-01 12:00:00\n"
            )
    return path


def record(engine: Any, numbers: list[str], batch: int) -> float:
    start = time.perf_counter()
    when = datetime(2026, 11, 3, 9, 0)
    for at in range(0, len(numbers), batch):
        rows = [
            {
                "tracking_no": n,
                "carrier": "zto",
                "event_time": when,
                "status": "delivered",
                "raw_status": "3",
                "location": "深圳市",
                "description": "已签收",
            }
            for n in numbers[at : at + batch]
        ]
        with engine.begin() as conn:
            record_events(conn, rows)
        bus.settle(engine)
    return time.perf_counter() - start


def line(what: str, seconds: float, count: int, unit: str, ratio: float | None = None) -> None:
    tail = f"  (ratio {ratio:.2f})" if ratio is not None else ""
    print(f"{what:<48} {seconds:7.2f} s {count / seconds:9,.0f} {unit}/s{tail}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    bootstrap.start()
    subscriptions.enqueue_send = lambda: None  # no queue here: the bench calls send_due itself
    server, url = receiver()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = open_database(f"sqlite:///{folder / 'bench.db'}")
        import_orders(engine, orders_file(folder, args.parcels), rejects=folder / "rej.csv")
        numbers = [f"ZB{i:07d}" for i in range(2 * args.parcels)]
        without = record(engine, numbers[args.parcels :], args.batch)  # no rule yet: the baseline
        with engine.begin() as conn:
            save_settings(conn, 1, NOW, channels={"webhook": {"url": url, "secret": "s"}})
            add_rule(conn, 1, "delivered", "delivered", "", "default", "webhook", "zh-CN", 0, NOW)
        with_rule = record(engine, numbers[: args.parcels], args.batch)
        n = args.parcels
        line(f"record {n:,} delivered events, no rule", without, n, "events")
        line(f"record {n:,} delivered events, each a message", with_rule, n, "events", without / with_rule)

        start = time.perf_counter()
        report = send_due(engine, NOW, limit=500)
        sending = time.perf_counter() - start
        assert report.sent == n, report.as_dict()
        settings = WebhookSettings("s")
        message = Message("k", ChannelKind.WEBHOOK, (url,), text="x" * 200, data={"stage": "delivered"})
        start = time.perf_counter()
        with httpx.Client() as client:
            for i in range(n):
                request = build_request(settings, url, message, timestamp=int(time.time()))
                assert client.send(request).status_code == 200, i
        bare = time.perf_counter() - start
        line(f"send_due {n:,} webhook messages", sending, n, "messages")
        line("bare signed POSTs, same receiver", bare, n, "posts", bare / sending)
        engine.dispose()
    server.shutdown()


if __name__ == "__main__":
    main()
