"""`lanshou serve` in a real process: its access log never holds the phone number or name a buyer search
asked for (order numbers and other parameters stay readable); behind a trusted load balancer the login
limit counts the client the balancer names."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, text

from lanshou.api.access_log import BuyerDataFilter, mask_target
from tests.test_run_serves import _wait_until_up
from tests.test_web_browser import _free_port

PHONE = "13812345678"
NAME = "蒋融强"


def test_buyer_searches_are_masked_and_order_numbers_kept() -> None:
    assert mask_target(f"/api/v1/orders?buyer={PHONE}&status=paid") == "/api/v1/orders?buyer=***&status=paid"
    assert mask_target(f"/orders?buyer={quote(NAME)}") == "/orders?buyer=***"
    assert mask_target(f"/tracking/{PHONE}") == "/tracking/138****5678"
    assert mask_target(f"/x?note=call+{PHONE}+now") == "/x?note=call+138****5678+now"
    kept = "/api/v1/orders?order_id=1261124000001839492&shop=%E5%B0%8F%E5%BA%97"
    assert mask_target(kept) == kept
    assert mask_target("/orders") == "/orders"


def test_the_filter_rewrites_uvicorns_access_record() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/orders?buyer={PHONE}", "1.1", 200), None,
    )  # fmt: skip
    assert BuyerDataFilter().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /orders?buyer=*** HTTP/1.1" 200'


def test_lanshou_serve_logs_no_searched_phone_or_name(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "LANSHOU_DATA_DIR": str(tmp_path / "data")}
    env.pop("LANSHOU_DATABASE_URL", None)
    output = tmp_path / "serve.log"
    command = [sys.executable, "-c", "from lanshou.cli.app import main; main()", "serve", "--port", str(port)]
    with output.open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/"
            _wait_until_up(url, seconds=120)
            with httpx.Client(base_url=url) as client:
                client.get("/api/v1/orders", params={"buyer": PHONE, "status": "paid"})
                client.get("/orders", params={"buyer": NAME})
                client.get(f"/api/v1/tracking/{PHONE}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = output.read_text(encoding="utf-8", errors="replace")
    assert "GET /api/v1/orders?buyer=***&status=paid" in text, text  # the access log is on, and masked
    assert PHONE not in text and NAME not in text and quote(NAME) not in text, text


def _failed_login_from(tmp_path: Path, trusted: str, forwarded_for: str) -> list[str]:
    """The client addresses the login limit recorded for one failed login sent through a 'proxy'."""
    port = _free_port()
    data = tmp_path / f"data-{port}"
    env = {**os.environ, "LANSHOU_DATA_DIR": str(data)}
    env.pop("LANSHOU_DATABASE_URL", None)
    command = [sys.executable, "-c", "from lanshou.cli.app import main; main()", "serve", "--port", str(port)]
    with (tmp_path / f"serve-{port}.log").open("wb") as log:
        server = subprocess.Popen(
            [*command, "--forwarded-allow-ips", trusted], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            _wait_until_up(url, seconds=120)
            with httpx.Client(base_url=url, headers={"X-Forwarded-For": forwarded_for}) as client:
                token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
                assert token
                form = {"name": "nobody", "password": "guess", "csrf_token": token.group(1)}
                assert "用户名或密码错误" in client.post("/login", data=form).text  # refused, not CSRF
        finally:
            server.terminate()
            server.wait(timeout=30)
    engine = create_engine(f"sqlite:///{data / 'lanshou.db'}")
    with engine.connect() as conn:
        found = list(conn.execute(text("SELECT client FROM login_failures")).scalars())
    engine.dispose()
    return found


def test_behind_a_trusted_load_balancer_the_login_limit_counts_the_real_client(tmp_path: Path) -> None:
    """`--forwarded-allow-ips`: the balancer's X-Forwarded-For names the client (else twenty wrong
    passwords from anyone would lock every user behind the balancer out); an untrusted sender's is ignored."""
    assert _failed_login_from(tmp_path, "127.0.0.1", "203.0.113.7") == ["203.0.113.7"]
    assert _failed_login_from(tmp_path, "192.0.2.1", "203.0.113.7") == ["127.0.0.1"]
