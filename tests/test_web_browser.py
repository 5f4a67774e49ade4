"""The pages in a real browser: Debian's headless Chromium driven by Playwright against `lanshou serve`.

Saves screenshots at 1366×768 and 390×844 under tests/output/web/ for a person to review. Skips locally
when chromium or playwright is missing; fails under CI (CI=true), where it must run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lanshou.db.engine import open_database
from tests.accounts_data import PASSWORD, SHOP_A, SHOP_B, SHOP_C
from tests.conftest import IN_CI
from tests.test_reports_misses_queue import SHOP
from tests.web2_data import CASE_SHOP, seed_both

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
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`lanshou serve` (two workers) on a free loopback port over a seeded SQLite database; yields its URL."""
    home = tmp_path_factory.mktemp("site")
    url = f"sqlite:///{home / 'lanshou.db'}"
    engine = open_database(url)
    seed_both(engine, home)
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
        yield base, url
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def site(served: tuple[str, str]) -> str:
    return served[0]


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
    page.wait_for_url(base + "/**")  # type: ignore[attr-defined]


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
    assert page.locator("svg.chart").first.is_visible()
    page.screenshot(path=SHOTS / "overview-zh-1366x768.png", full_page=True)

    page.click("button[data-lang=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "My shops" in page.locator("h2").all_inner_texts()
    page.screenshot(path=SHOTS / "overview-en-1366x768.png", full_page=True)

    # a POST without the session's CSRF token (what a forged cross-site form sends) is refused
    refused = context.request.post(site + "/logout", form={"next": "/"}, max_redirects=0)
    assert refused.status == 403
    page.reload()
    assert _shops_shown(page) == [SHOP_A]  # still signed in

    page.click("form[action='/logout'] button")
    page.wait_for_url(site + "/login**")
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
    assert _shops_shown(page) == sorted([SHOP_A, SHOP_B, SHOP_C, CASE_SHOP])
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


def _cli_json(db_url: str, *args: str) -> object:
    env = {**os.environ, "LANSHOU_DATABASE_URL": db_url}
    command = [sys.executable, "-c", "from lanshou.cli.app import main; main()", *args, "--json"]
    done = subprocess.run(command, env=env, capture_output=True, check=True, timeout=120)
    return json.loads(done.stdout)


def _fits(page: object, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # type: ignore[attr-defined]


def test_dashboard_flow_overview_equals_the_cli_orders_timeline_queue_alerts(
    chromium: object, served: tuple[str, str]
) -> None:
    site, db_url = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    watch = Watch(page, site)
    _sign_in(page, site, "dora")

    # the overview's numbers are `lanshou metrics --json` for the same shops and day
    page.goto(site + "/?as_of=2026-11-10")
    report = _cli_json(db_url, "metrics", "--as-of", "2026-11-10", "--shop", SHOP)
    assert isinstance(report, dict)
    cards = page.locator(".metric[data-key]")
    compared = 0
    for i in range(cards.count()):
        card = cards.nth(i)
        of, key = card.get_attribute("data-of"), card.get_attribute("data-key")
        entry = report["all"] if of == "" else next(e for e in report["shops"] if f"douyin/{e['shop']}" == of)
        block, field = str(key).split(".")
        expected = entry[block][field]
        raw = card.get_attribute("data-value")
        assert (raw == "") if expected is None else float(str(raw)) == pytest.approx(expected), (of, key)
        if expected is not None and block != "delivery_hours" and block != "experience_score":
            assert card.locator(".metric-value").inner_text() == f"{expected * 100:.1f}%"
        compared += 1
    assert compared == 12  # six cards for the shop, six for all of the user's shops
    page.screenshot(path=SHOTS / "overview-metrics-1366x768.png", full_page=True)

    # filter the orders, then open one and read its timeline
    page.goto(site + "/orders")
    page.select_option("select[name=status]", "shipped")
    page.click("#order-filters button.primary")
    page.wait_for_url("**status=shipped**")
    statuses = page.locator("tr[data-status]")
    assert statuses.count() >= 3
    assert {statuses.nth(i).get_attribute("data-status") for i in range(statuses.count())} == {"shipped"}
    page.screenshot(path=SHOTS / "orders-filtered-1366x768.png", full_page=True)
    page.click("tr[data-order=A1] a >> nth=0")
    page.wait_for_url("**/orders/*/A1")
    assert page.locator("#timeline li[data-kind=held]").inner_text().count("王芳") == 1
    assert page.locator(".parcel[data-tracking=T1] .events li").count() == 3
    page.screenshot(path=SHOTS / "order-timeline-zh-1366x768.png", full_page=True)
    page.click("button[data-lang=en]")
    page.wait_for_load_state()
    assert page.locator("#timeline h2").inner_text() == "Timeline"
    page.screenshot(path=SHOTS / "order-timeline-en-1366x768.png", full_page=True)

    # the queue's countdowns run in the page; what can still make it comes before the overdue
    page.goto(site + "/queue?now=2026-11-09T22:00")
    first = page.locator("tr[data-order=A5] .countdown").inner_text()
    page.wait_for_timeout(1500)
    assert page.locator("tr[data-order=A5] .countdown").inner_text() != first
    assert "left" in first
    assert "late by" in page.locator("tr[data-order=A2] .countdown").inner_text()
    page.screenshot(path=SHOTS / "queue-1366x768.png", full_page=True)

    page.goto(site + "/misses?by=carrier&as_of=2026-11-10")
    assert page.locator("tr[data-key=zto]").count() == 1
    assert page.locator("tr[data-key=zto] td").first.inner_text() == "ZTO Express"  # by name, not its code
    page.screenshot(path=SHOTS / "misses-1366x768.png", full_page=True)

    # acknowledge an alert with the page's own form (CSRF token included)
    page.goto(site + "/alerts")
    row = page.locator("tr[data-state=open]").first
    alert_id = row.get_attribute("data-alert")
    row.locator("button[data-action=ack]").click()
    page.wait_for_url(site + "/alerts")
    assert page.locator(f"tr[data-alert='{alert_id}']").get_attribute("data-state") == "acked"
    page.screenshot(path=SHOTS / "alerts-1366x768.png", full_page=True)
    watch.assert_clean()
    context.close()


def test_daily_flow_fits_a_phone(chromium: object, site: str, aftersales_cases: None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(  # type: ignore[attr-defined]
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    watch = Watch(page, site)
    _sign_in(page, site, "dora")
    for name, path in (
        ("overview-metrics", "/?as_of=2026-11-10"),
        ("queue", "/queue?now=2026-11-09T22:00"),
        ("orders", "/orders"),
        ("misses", "/misses?as_of=2026-11-10"),
        ("alerts", "/alerts"),
        ("tracking", "/tracking/T1"),
        ("aftersales", "/aftersales"),
    ):
        page.goto(site + path)
        _fits(page, PHONE["width"])
        page.screenshot(path=SHOTS / f"{name}-390x844.png", full_page=True)
    page.goto(site + "/orders")
    page.click("tr[data-order=A1] a >> nth=0")
    page.wait_for_url("**/orders/*/A1")
    _fits(page, PHONE["width"])
    assert page.locator("#timeline li").count() >= 1
    page.screenshot(path=SHOTS / "order-timeline-390x844.png", full_page=True)
    watch.assert_clean()
    context.close()


def _ready_to_review_and_ship(db_url: str) -> None:
    """Shop A (alice's): stock for every SKU, a carrier file and a waybill pool, and three orders held."""
    from lanshou.shipping.store import load_config_file
    from tests.accounts_data import ORDERS
    from tests.inventory_data import put_stock
    from tests.ship_data import CARRIERS, load_pool

    engine = open_database(db_url)
    put_stock(engine, [(f"SKU-{i}", "main", 100) for i in range(len(ORDERS))])
    carriers = Path(db_url.removeprefix("sqlite:///")).with_name("carriers.toml")
    carriers.write_text(CARRIERS, encoding="utf-8")
    load_config_file(engine, carriers)
    load_pool(engine, "zto", 10)
    engine.dispose()
    _hold_in_shop_a(db_url, "A-1", "A-3", "SAME-1")


def _hold_in_shop_a(db_url: str, *order_nos: str) -> int:
    """Hold these orders of shop A (tmall/旗舰店, alice's) for an address check; its id."""
    from sqlalchemy import select

    from lanshou import schema as s
    from lanshou.review.staff import act
    from lanshou.tracking.record import utc_now

    engine = open_database(db_url)
    with engine.connect() as conn:
        shop_a: int = conn.execute(
            select(s.shops.c.id).where(s.shops.c.platform == "tmall", s.shops.c.name == "旗舰店")
        ).scalar_one()
    act(engine, "hold", [(shop_a, no) for no in order_nos], utc_now(), "system", "地址待确认")
    engine.dispose()
    return shop_a


def test_batch_accept_on_review_then_ship_with_labels(chromium: object, served: tuple[str, str]) -> None:
    site, db_url = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    _ready_to_review_and_ship(db_url)
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    watch = Watch(page, site)
    _sign_in(page, site, "alice")
    page.goto(site + "/review?state=held")
    assert page.locator("tr[data-state=held]").count() == 3
    assert page.locator("tr[data-order=B-1]").count() == 0  # shop B is not alice's
    page.screenshot(path=SHOTS / "review-held-1366x768.png", full_page=True)
    page.check("#check-all")  # the header box checks the whole page, and clears it (static/check_all.js)
    assert page.locator("input[name=keys]:checked").count() == 3
    page.uncheck("#check-all")
    assert page.locator("input[name=keys]:checked").count() == 0
    for order in ("A-1", "A-3"):
        page.check(f"tr[data-order={order}] input[name=keys]")
    page.select_option("select[name=action]", "accept")
    page.click("#apply-action")
    page.wait_for_url(site + "/review?state=held")
    assert "2/2" in page.locator("#flash").inner_text()
    assert page.locator("tr[data-state=held]").count() == 1
    page.goto(site + "/review")
    assert page.locator("tr[data-state=accepted]").count() == 2
    page.screenshot(path=SHOTS / "review-1366x768.png", full_page=True)

    # ship one of the two accepted: the result links the labels PDF, which arrives as a PDF
    page.goto(site + "/ship")
    assert page.locator("tr[data-shipment]").count() == 2
    page.check("tr[data-shipment$=':A-1'] input[name=keys]")
    page.click("#ship-selected")
    page.wait_for_selector("#ship-result")
    link = page.locator("#labels-link").get_attribute("href")
    assert link and link.startswith("/ship/labels/")
    pdf = context.request.get(site + link)  # type: ignore[attr-defined]
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    assert page.locator("tr[data-shipment]").count() == 1  # A-3 is still to ship
    page.screenshot(path=SHOTS / "ship-result-1366x768.png", full_page=True)
    watch.assert_clean()
    context.close()

    phone = chromium.new_context(  # type: ignore[attr-defined]
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = phone.new_page()
    _sign_in(page, site, "alice")
    for name, path in (("review", "/review"), ("ship", "/ship")):
        page.goto(site + path)
        _fits(page, PHONE["width"])
        page.screenshot(path=SHOTS / f"{name}-390x844.png", full_page=True)
    assert page.locator("tr[data-shipment]").count() == 1
    phone.close()


def test_accept_a_held_order_on_its_own_page(chromium: object, served: tuple[str, str]) -> None:
    """A reviewer on a held order's page: it says why, cancel asks first ("no" sends nothing), accept comes
    back to the order page with the review page's message and the order accepted under the user's name."""
    from tests.inventory_data import put_stock

    site, db_url = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    engine = open_database(db_url)
    put_stock(engine, [("SKU-6", "main", 100)])  # SAME-1 of shop A: accepting reserves it
    engine.dispose()
    shop_a = _hold_in_shop_a(db_url, "SAME-1")
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    watch = Watch(page, site)
    _sign_in(page, site, "alice")
    url = f"{site}/orders/{shop_a}/SAME-1"
    page.goto(url)
    assert page.locator("#review").get_attribute("data-state") == "held"
    assert "地址待确认" in page.locator("#review").inner_text()
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("#review-cancel")
    assert questions == ["确认取消此订单？取消后不会发货"]
    assert page.locator("#review").get_attribute("data-state") == "held" and page.url == url
    page.fill("#review input[name=reason]", "已与买家确认地址")
    page.click("#review-accept")
    page.wait_for_selector("#flash")
    assert page.url == url and "通过：1/1" in page.locator("#flash").inner_text()
    assert page.locator("#review").get_attribute("data-state") == "accepted"
    entry = page.locator("#timeline li[data-kind=accepted]").last.inner_text()
    assert "alice" in entry and "已与买家确认地址" in entry
    page.screenshot(path=SHOTS / "order-accepted-1366x768.png", full_page=True)
    watch.assert_clean()
    context.close()


def test_stock_carriers_and_the_rule_editor_checking_as_you_type(
    chromium: object, served: tuple[str, str]
) -> None:
    from tests.inventory_data import put_stock

    site, db_url = served
    engine = open_database(db_url)
    put_stock(engine, [("BOWL", "main", 3), ("BOWL", "浙江省杭州市", 1)])  # a count makes the warehouses
    engine.dispose()
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    watch = Watch(page, site)
    _sign_in(page, site, "boss")
    page.goto(site + "/stock")
    page.fill("#adjust input[name=sku]", "CUP")
    warehouses = page.locator("#adjust select[name=warehouse] option").all_inner_texts()
    assert sorted(warehouses[1:]) == ["main", "浙江省杭州市"]  # the real ones, after "the SKU's own"
    page.select_option("#adjust select[name=warehouse]", "main")  # CUP is stocked nowhere yet
    page.fill("#adjust input[name=delta]", "5")
    page.click("#adjust button.primary")
    page.wait_for_url(site + "/stock?done=*")
    assert page.locator("tr[data-sku=CUP] td.num >> nth=0").inner_text() == "5"
    page.screenshot(path=SHOTS / "stock-1366x768.png", full_page=True)
    page.goto(site + "/carriers")
    assert page.locator("tr[data-lane]").count() >= 1
    page.screenshot(path=SHOTS / "carriers-1366x768.png", full_page=True)
    page.goto(site + "/rules")
    check = page.locator("#rule-check")
    page.fill("#rule-editor input[name=action]", "accept")
    page.type("#rule-editor textarea[name=condition]", "amount >")
    page.wait_for_selector("#rule-check.bad")
    assert "condition" in check.inner_text() and "1:" in check.inner_text()
    page.type("#rule-editor textarea[name=condition]", " 2000.0")
    page.wait_for_selector("#rule-check.ok")
    page.fill("#rule-editor input[name=name]", "大额暂停")
    page.fill("#rule-editor input[name=action]", "hold:大额订单")
    page.click("#rule-editor button.primary")
    page.wait_for_url(site + "/rules?saved=*")
    assert page.locator("tr[data-rule='大额暂停']").count() == 1
    page.screenshot(path=SHOTS / "rules-1366x768.png", full_page=True)
    watch.assert_clean()
    context.close()


def test_stock_notifications_carriers_and_rules_fit_a_phone(chromium: object, site: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(  # type: ignore[attr-defined]
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    watch = Watch(page, site)
    _sign_in(page, site, "boss")
    for name in ("stock", "notifications", "carriers", "rules", "followups", "buyers"):
        page.goto(f"{site}/{name}")
        _fits(page, PHONE["width"])
        page.screenshot(path=SHOTS / f"{name}-390x844.png", full_page=True)
    watch.assert_clean()
    context.close()


# dora's shop (测试小店) gets a case too, so her after-sales page on the phone has a row
DORA_CASE = f"douyin,{SHOP},DS-1,A1,refund,requested,物流慢,5.00,2026-11-04 09:00:00,,"


@pytest.fixture(scope="module")
def aftersales_cases(served: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> None:
    """The after-sales cases of tests/aftersales_web_data.py in the served database, once."""
    from tests.aftersales_web_data import CASES, add_cases

    engine = open_database(served[1])
    add_cases(engine, tmp_path_factory.mktemp("aftersales"), [*CASES, DORA_CASE])
    engine.dispose()


def test_customer_service_handles_a_case_on_desktop_and_phone(
    chromium: object, served: tuple[str, str], aftersales_cases: None
) -> None:
    from tests.aftersales_web_data import SHOP_A_CASES

    site, db_url = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    watch = Watch(page, site)
    _sign_in(page, site, "carol")
    page.click("nav.menu a[href='/aftersales']")
    page.wait_for_url(site + "/aftersales")
    rows = page.locator("tr[data-case]")
    assert [rows.nth(i).get_attribute("data-case") for i in range(rows.count())] == SHOP_A_CASES
    page.screenshot(path=SHOTS / "aftersales-1366x768.png", full_page=True)
    page.select_option("select[name=type]", "return_refund")
    page.click("#aftersales-filters button.primary")
    page.wait_for_url("**type=return_refund**")
    assert page.locator("tr[data-case]").count() == 2

    # agree to AS-1 with the page's own form (CSRF token included); the page says what changed
    page.goto(site + "/aftersales")
    page.click("tr[data-case='AS-1'] a >> nth=0")
    page.wait_for_url("**/aftersales/AS-1?**")
    steps = page.locator("form[data-step]")
    assert [steps.nth(i).get_attribute("data-step") for i in range(steps.count())] == ["agree", "refuse"]
    page.fill("form[data-step=agree] input[name=reason]", "已核实")
    questions: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        questions.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))  # asked first; "no" sends nothing
    page.click("form[data-step=agree] button")
    assert questions == ["确认同意？同意后将按售后类型退款或换货"]
    assert page.locator("#status").get_attribute("data-status") != "agreed"
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.click("form[data-step=agree] button")
    page.wait_for_url("**/aftersales/AS-1?**")
    assert "已同意" in page.locator("#flash").inner_text()
    assert page.locator("#status").get_attribute("data-status") == "agreed"
    shown = _cli_json(db_url, "aftersales", "show", "AS-1", "--shop", "tmall:旗舰店")
    assert isinstance(shown, dict) and shown["status"] == "agreed"
    assert shown["history"][-1]["actor"] == "carol" and shown["timeline"][-1]["actor"] == "carol"
    page.screenshot(path=SHOTS / "aftersale-agreed-1366x768.png", full_page=True)
    page.click("button[data-lang=en]")
    page.wait_for_load_state()
    assert page.locator("#timeline h2").inner_text() == "Order timeline"
    watch.assert_clean()
    context.close()

    phone = chromium.new_context(  # type: ignore[attr-defined]
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = phone.new_page()
    watch = Watch(page, site)
    _sign_in(page, site, "carol")
    for name, path in (("aftersales-cs", "/aftersales"), ("aftersale", f"/aftersales/AS-3?shop={SHOP_A}")):
        page.goto(site + path)
        _fits(page, PHONE["width"])
        page.screenshot(path=SHOTS / f"{name}-390x844.png", full_page=True)
    box = page.locator("form[data-step=receive] button").bounding_box()
    assert box is not None and box["height"] >= 44  # big enough for a thumb
    watch.assert_clean()
    phone.close()


BAD_REVIEWS = """platform,shop,order_id,created_at,rating,tags,content
tmall,旗舰店,A-2,2026-11-10 10:00:00,1,,等了一个星期才发货，客服也不回消息，包装还压坏了，非常失望
douyin,抖音小店,B-1,2026-11-10 11:00:00,2,,包装破损了
"""


def test_customer_service_reads_a_bad_review_and_gives_it_to_a_colleague(
    chromium: object, served: tuple[str, str], tmp_path: Path
) -> None:
    """The follow-up row says what the buyer wrote and whom to call (masked until asked for), fits a phone,
    and is given to a colleague picked from the shop's users who may work follow-ups."""
    from lanshou.intake.feedback import import_feedback

    site, db_url = served
    (tmp_path / "feedback.csv").write_text(BAD_REVIEWS, encoding="utf-8")
    engine = open_database(db_url)
    assert (
        import_feedback(engine, tmp_path / "feedback.csv", rejects=tmp_path / "rej.csv").rejected_count == 0
    )
    engine.dispose()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for viewport in (DESKTOP, PHONE):
        context = chromium.new_context(viewport=viewport, locale="zh-CN")  # type: ignore[attr-defined]
        page = context.new_page()
        watch = Watch(page, site)
        _sign_in(page, site, "carol")  # customer service of shop A
        page.goto(f"{site}/followups")
        row = page.locator("tr[data-order='A-2']")
        assert "等了一个星期才发货" in row.locator("[data-field=feedback]").inner_text()
        assert "139****1111" in row.locator("[data-field=buyer]").inner_text()
        _fits(page, viewport["width"])
        page.screenshot(path=SHOTS / f"followups-{viewport['width']}.png", full_page=True)
        page.click("#toggle-mask")
        assert "13900001111" in page.locator("tr[data-order='A-2'] [data-field=buyer]").inner_text()
        watch.assert_clean()
        context.close()
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    _sign_in(page, site, "carol")
    page.goto(f"{site}/followups")
    form = page.locator("tr[data-order='A-2'] form[data-action=assign]")
    offered = form.locator("select[name=owner] option").all_inner_texts()
    assert "alice" not in offered  # an operator of shop A, who may not close a follow-up
    form.locator("select[name=owner]").select_option("boss")
    form.locator("button").click()
    page.wait_for_selector("#flash")
    assert "boss" in page.locator("#flash").inner_text()
    assert page.locator("tr[data-order='A-2'] [data-owner]").get_attribute("data-owner") == "boss"
    context.close()
