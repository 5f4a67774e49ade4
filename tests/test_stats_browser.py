"""The statistics page in real headless Chromium against `lanshou serve`: its figures are those of
`lanshou stats --json` for the same shop and period, on a desktop and a phone screen, and a user of one shop
sees none of another shop's figures, on the page or through the API. Screenshots under tests/output/web/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from lanshou.db.engine import open_database
from tests.stats_web_data import B_ONLY, FROM, SHOP_B, TO, seed_stats
from tests.test_web_browser import (
    DESKTOP,
    PHONE,
    SHOTS,
    Watch,
    _cli_json,
    _fits,
    _free_port,
    _need_a_browser,  # noqa: F401  (the module's fixture: skip, or fail under CI, without a browser)
    _sign_in,
    _wait_until_up,
    chromium,  # noqa: F401  (fixture)
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, dict[str, str]]]:
    """`lanshou serve` over a SQLite database holding the two shops' statistics: (URL, database, tokens)."""
    home = tmp_path_factory.mktemp("stats-site")
    url = f"sqlite:///{home / 'lanshou.db'}"
    engine = open_database(url)
    tokens = seed_stats(engine, home).tokens
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "LANSHOU_DATABASE_URL": url, "LANSHOU_DATA_DIR": str(home / "data")}
    command = [sys.executable, "-c", "from lanshou.cli.app import main; main()", "serve", "--port", str(port)]
    log = (home / "serve.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base, url, tokens
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def _money(text: str) -> str:
    return f"¥{Decimal(text):,.2f}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _check_page_against(page: Any, report: dict[str, Any]) -> int:
    """Every figure the page shows against the CLI's JSON; how many were compared."""
    compared = 0
    for key, value in report["totals"].items():
        card = page.locator(f".metric[data-key={key}]")
        if card.count() == 0:
            continue
        assert card.get_attribute("data-value") == str(value), key
        shown = card.locator(".metric-value").inner_text()
        if key.endswith("_rate"):
            assert shown == _share(value), key
        elif isinstance(value, str):
            assert shown == _money(value), key
        else:
            assert shown == f"{value:,}", key
        change = report["change"][key]
        expected = "—" if change is None else f"{change * 100:+.1f}%"
        assert card.locator(".metric-change").inner_text() == expected, key
        compared += 1
    if page.locator("#daily details[open]").count() == 0:
        page.locator("#daily details summary").click()  # the day-by-day table is folded at first
    for day in report["daily"]:
        row = page.locator(f"tr[data-day='{day['day']}']")
        assert row.locator("[data-field=orders]").inner_text(timeout=1000) == str(day["orders"])
        assert row.locator("[data-field=sales]").inner_text() == _money(day["sales"])
        compared += 2
    sections = {
        "categories": ("category", "sales", "share"),
        "products": ("sku", "sales", "share"),
        "provinces": ("province", "sales", "share"),
        "returns_by_sku": ("sku", "returns", "return_rate"),
        "returns_by_reason": ("reason_code", "refunded", "cases"),
        "feedback_themes": ("theme", "count", None),
    }
    for section, (key, figure, rate) in sections.items():
        rows = page.locator(f"[data-section={section}] tbody tr")
        assert rows.count() == len(report[section]), section
        for i, entry in enumerate(report[section]):
            row = rows.nth(i)  # in the report's order
            assert row.get_attribute("data-key") == str(entry[key]), section
            cell = row.locator(f"[data-field={figure}]").inner_text()
            value = entry[figure]
            assert cell == (_money(value) if isinstance(value, str) else f"{value:,}"), (section, entry)
            if rate is not None:
                assert row.locator(f"[data-field={rate}]").inner_text() in (
                    _share(entry[rate]),
                    f"{entry[rate]:,}",
                )
            compared += 1
    return compared


def test_stats_page_equals_the_cli_on_desktop_and_phone(
    chromium: Any,  # noqa: F811
    served: tuple[str, str, dict[str, str]],
) -> None:
    site, db_url, _ = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    watch = Watch(page, site)
    _sign_in(page, site, "boss")
    page.click("nav.menu a[href='/stats']")
    page.wait_for_url(site + "/stats")
    assert page.locator("h1").inner_text() == "经营统计"
    page.fill("input[name=from]", FROM)
    page.fill("input[name=to]", TO)
    page.click("#stats-filters button.primary")
    page.wait_for_url("**/stats?*from=2026-10-01*")
    everything = _cli_json(db_url, "stats", "--from", FROM, "--to", TO)
    assert isinstance(everything, dict) and everything["totals"]["orders"] == 5
    assert _check_page_against(page, everything) > 30
    assert page.locator("#daily svg.chart").count() == 2
    page.screenshot(path=SHOTS / "stats-1366x768.png", full_page=True)
    page.click("button[data-lang=en]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Business statistics"
    assert (
        page.locator("[data-section=damage_by_carrier] td[data-field=reason_code]").inner_text() == "Damaged"
    )
    watch.assert_clean()
    context.close()

    phone = chromium.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = phone.new_page()
    watch = Watch(page, site)
    _sign_in(page, site, "bob")
    page.goto(f"{site}/stats?from={FROM}&to={TO}")
    _fits(page, PHONE["width"])
    bobs = _cli_json(db_url, "stats", "--from", FROM, "--to", TO, "--shop", "taobao:专卖店")
    assert isinstance(bobs, dict)
    _check_page_against(page, bobs)
    _fits(page, PHONE["width"])
    page.screenshot(path=SHOTS / "stats-390x844.png", full_page=True)
    watch.assert_clean()
    phone.close()


def test_a_user_of_shop_a_sees_nothing_of_shop_b(
    chromium: Any,  # noqa: F811
    served: tuple[str, str, dict[str, str]],
) -> None:
    site, db_url, tokens = served
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    _sign_in(page, site, "alice")
    page.goto(f"{site}/stats?from={FROM}&to={TO}")
    mine = _cli_json(db_url, "stats", "--from", FROM, "--to", TO, "--shop", "taobao:旗舰店")
    assert isinstance(mine, dict) and mine["totals"]["sales"] == "450.00"
    _check_page_against(page, mine)
    text = page.content()
    assert not any(word in text for word in B_ONLY)
    options = page.locator("select[name=shop] option")
    assert options.all_inner_texts() == ["全部店铺", "淘宝 · 旗舰店"]  # the platform by name, for people
    assert options.nth(1).get_attribute("value") == "taobao/旗舰店"  # the filter still sends the code
    other = page.goto(f"{site}/stats?shop={SHOP_B}&from={FROM}&to={TO}")
    assert other is not None and other.status == 404
    # the API with alice's token: her shop's JSON, and shop B does not exist for her
    query = f"from={FROM}&to={TO}"
    headers = {"Authorization": f"Bearer {tokens['alice']}"}
    with urllib.request.urlopen(urllib.request.Request(f"{site}/api/v1/stats?{query}", headers=headers)) as r:
        assert json.loads(r.read()) == mine
    answer = context.request.get(f"{site}/api/v1/stats?{query}&shop={SHOP_B}", headers=headers)
    assert answer.status == 404
    context.close()
