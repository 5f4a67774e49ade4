"""An order_shipped SMS from the outbox through the Aliyun adapter to a local stand-in of the provider
(http.server speaking the SendSms wire format of WIRE-FORMATS.md §3), which checks the signature the way
Aliyun does: the approved template code for the stage, its parameters, the buyer's number and our key as
OutId; and the message is refused, not retried, when no template code is configured for the stage."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import Engine, select

from lanshou.events import OrderShipped, bus
from lanshou.notifications import subscriptions
from lanshou.notifications.channels.sms_aliyun import signature
from lanshou.notifications.sending import send_due
from lanshou.notifications.settings_store import save_settings
from lanshou.notifications.tables import notify_outbox
from tests.notify_data import import_orders_file, order_line, rule

SECRET = "testSecret"
LATER = datetime(2027, 1, 5, 3, 0)


@contextmanager
def aliyun() -> Iterator[tuple[list[dict[str, str]], str]]:
    received: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            params = dict(parse_qsl(body, keep_blank_values=True))
            given = params.pop("Signature")
            if given != signature("POST", params, SECRET):
                answer = {"Code": "SignatureDoesNotMatch", "Message": "bad signature", "RequestId": "r0"}
            else:
                received.append(params)
                answer = {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "r1"}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield received, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_shipped_sms_through_the_aliyun_wire_format(engine: Engine, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(subscriptions, "enqueue_send", lambda: None)
    rows = [order_line("S1", "ZTS1", "s1", phone="13800001234"), order_line("S2", "ZTS2", "s2")]
    shop = import_orders_file(engine, tmp_path, rows)
    rule(engine, shop, "shipped-sms", "order_shipped", "sms")
    with aliyun() as (received, endpoint):
        sms = {
            "provider": "aliyun",
            "access_key_id": "testId",
            "access_key_secret": SECRET,
            "sign_name": "小店",
            "endpoint": endpoint,
            "templates": {"order_shipped": "SMS_71390007"},
        }
        with engine.begin() as conn:
            save_settings(conn, shop, LATER, channels={"sms": sms})
        with engine.begin() as conn:
            bus.publish(conn, OrderShipped((shop, "S1"), "ZTS1", "zto"))
        bus.settle(engine)
        assert send_due(engine, LATER).sent == 1
        with engine.begin() as conn:  # the stage has no approved template: refused, not retried
            save_settings(conn, shop, LATER, channels={"sms": {"templates": {}}})
        with engine.begin() as conn:
            bus.publish(conn, OrderShipped((shop, "S2"), "ZTS2", "zto"))
        bus.settle(engine)
        assert send_due(engine, LATER).failed == 1
    assert len(received) == 1
    sent = received[0]
    assert (sent["Action"], sent["PhoneNumbers"], sent["TemplateCode"]) == (
        "SendSms",
        "13800001234",
        "SMS_71390007",
    )
    assert sent["SignName"] == "小店" and sent["OutId"].endswith(":order_shipped:sms")
    params = json.loads(sent["TemplateParam"])
    assert params["no"] == "ZTS1" and params["carrier"] == "zto"
    with engine.connect() as conn:
        states = {
            r.order_no: (r.state, r.provider_id, r.last_error) for r in conn.execute(select(notify_outbox))
        }
    assert states["S1"][:2] == ("sent", "900619746936498440^0")
    assert states["S2"][0] == "failed" and "TemplateCode" in states["S2"][2]
