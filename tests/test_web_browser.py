"""The pages in a real browser: Debian's headless Chromium driven by Playwright against `lanshou serve`.

Saves screenshots at 1366×768 and 390×844 under tests/output/web/ for a person to review. Skips locally
when chromium or playwright is missing; fails under CI (CI=true), where it must run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanshou.db.engine import open_database
from tests.accounts_data import PASSWORD, SHOP_A, SHOP_B, SHOP_C, seed
from tests.conftest import IN_CI

CHROMIUM = os.environ.get("LANSHOU_TEST_CHROMIUM", "/usr/bin/chromium")
# WIRE-FORMATS.md §7: without the background-networking flags Debian's chromium has its connections refused
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).parent / "output" / "web"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"{CHROMIUM} is missing (Debian package chromium)"
    return None


@pytest.fixture(scope="module", autouse=True)
def _need_a_browser() -> None:
    problem = _browser_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"browser tests must run under CI: {problem}")
        pytest.skip(problem)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"lanshou serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url + "/api/v1/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"lanshou serve did not answer at {url} within {seconds} s")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`lanshou serve` (two workers) on a free loopback port over a seeded SQLite database; yields its URL."""
    home = tmp_path_factory.mktemp("site")
    url = f"sqlite:///{home / 'lanshou.db'}"
    engine = open_database(url)
    seed(engine, home)
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "LANSHOU_DATABASE_URL": url, "LANSHOU_DATA_DIR": str(home / "data")}
    # two workers: a session signed by one must be honoured by the other (the key is shared through the
    # data dir), as with any real deployment
    serve = ["serve", "--port", str(port), "--workers", "2"]
    command = [sys.executable, "-c", "from lanshou.cli.app import main; main()", *serve]
    log = (home / "serve.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watch:
    """Every request a page makes and every console error it logs."""

    def __init__(self, page: object, base: str) -> None:
        self.base = base
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))  # type: ignore[attr-defined]
        page.on(  # type: ignore[attr-defined]
            "console", lambda message: self.errors.append(message.text) if message.type == "error" else None
        )

    def assert_clean(self) -> None:
        assert self.requests and all(url.startswith(self.base + "/") for url in self.requests), self.requests
        assert self.errors == []


def _sign_in(page: object, base: str, name: str) -> None:
    page.goto(base + "/")  # type: ignore[attr-defined]
    assert "/login?next=/" in page.url  # type: ignore[attr-defined]
    page.fill("input[name=name]", name)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("button.primary")  # type: ignore[attr-defined]
    page.wait_for_url(base + "/")  # type: ignore[attr-defined]


def _shops_shown(page: object) -> list[str]:
    rows = page.locator("tr[data-shop]")  # type: ignore[attr-defined]
    return sorted(rows.nth(i).get_attribute("data-shop") for i in range(rows.count()))


def test_desktop_login_scoping_language_and_csrf(chromium: object, site: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    watch = Watch(page, site)
    page.goto(site + "/login")
    assert page.locator("h1").inner_text() == "登录"
    page.screenshot(path=SHOTS / "login-1366x768.png", full_page=True)

    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", "wrong password")
    page.click("button.primary")
    assert "用户名或密码错误" in page.locator(".alert").inner_text()

    _sign_in(page, site, "alice")
    assert _shops_shown(page) == [SHOP_A]
    assert "抖音小店" not in page.content()
    assert page.locator("svg.chart").is_visible()
    page.screenshot(path=SHOTS / "overview-zh-1366x768.png", full_page=True)

    page.click("button[data-lang=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h2").first.inner_text().startswith("My shops")
    page.screenshot(path=SHOTS / "overview-en-1366x768.png", full_page=True)

    # a POST without the session's CSRF token (what a forged cross-site form sends) is refused
    refused = context.request.post(site + "/logout", form={"next": "/"}, max_redirects=0)
    assert refused.status == 403
    page.reload()
    assert _shops_shown(page) == [SHOP_A]  # still signed in

    page.click("form[action='/logout'] button")
    page.wait_for_url(site + "/login")
    page.goto(site + "/")
    assert "/login" in page.url
    watch.assert_clean()
    context.close()


def test_phone_screen_shows_every_shop_of_the_owner_without_sideways_scrolling(
    chromium: object, site: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(  # type: ignore[attr-defined]
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    watch = Watch(page, site)
    page.goto(site + "/login")
    page.screenshot(path=SHOTS / "login-390x844.png", full_page=True)
    _sign_in(page, site, "boss")
    assert _shops_shown(page) == sorted([SHOP_A, SHOP_B, SHOP_C])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # table rows become labelled cards: the header row is hidden, each cell shows its label
    assert not page.locator("table thead").is_visible()
    label = page.evaluate(
        "getComputedStyle(document.querySelector('tbody td'), '::before').getPropertyValue('content')"
    )
    assert label == '"平台"'
    for button in ("button[data-lang=en]", "form[action='/logout'] button"):
        box = page.locator(button).bounding_box()
        assert box is not None and box["height"] >= 44  # big enough for a thumb
    page.screenshot(path=SHOTS / "overview-390x844.png", full_page=True)
    watch.assert_clean()
    context.close()
