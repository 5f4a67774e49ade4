"""`lanshou run` (the README's first command) in a real process: demo data on first run, the summary, then
the dashboard and API served with a worker in-process, its URL and a demo login printed; that login works."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.test_web_browser import _free_port


def _wait_for_login(output: Path, server: subprocess.Popen[bytes], seconds: float = 180) -> tuple[str, str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"lanshou run exited with {server.returncode}: {output.read_text()}")
        found = re.search(r"demo login: (\S+) / (\S+)", output.read_text(encoding="utf-8", errors="replace"))
        if found:
            return found.group(1), found.group(2)
        time.sleep(0.3)
    raise AssertionError(f"no demo login printed within {seconds} s: {output.read_text()}")


def _wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url}")


def test_run_generates_serves_and_prints_a_working_login(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "LANSHOU_DATA_DIR": str(tmp_path / "data"),
        "COLUMNS": "200",  # the login line unwrapped
    }
    env.pop("LANSHOU_DATABASE_URL", None)
    env.pop("LANSHOU_QUEUE_URL", None)
    output = tmp_path / "run.log"
    command = [sys.executable, "-c", "from lanshou.cli.app import main; main()", "run", "--orders", "300"]
    with output.open("wb") as log:
        server = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            name, password = _wait_for_login(output, server)
            url = f"http://127.0.0.1:{port}/"
            _wait_until_up(url)
            text = output.read_text(encoding="utf-8")
            assert f"running at {url}" in text and "demo data: 300 orders" in text
            assert "worker: 1 consumer in-process" in text
            with httpx.Client(base_url=url) as client:
                page = client.get("/login").text
                token = re.search(r'name="csrf_token" value="([^"]+)"', page)
                assert token
                form = {"name": name, "password": password, "csrf_token": token.group(1), "next": "/"}
                assert client.post("/login", data=form).status_code == 303
                overview = client.get("/")
                assert overview.status_code == 200 and 'class="metric"' in overview.text
        finally:
            server.terminate()
            server.wait(timeout=30)
