"""The statistics API and page on SQLite and PostgreSQL: `GET /api/v1/stats` is exactly `lanshou stats
--json` over the caller's shops; the page shows those numbers; a user of one shop sees none of another's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.cli.app import app as cli_app
from tests.stats_web_data import B_ONLY, FROM, SHOP_B, TO, StatsSite, seed_stats
from tests.test_web_pages import sign_in

runner = CliRunner()


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> StatsSite:
    return seed_stats(engine, tmp_path)


@pytest.fixture
def client(site: StatsSite) -> Iterator[TestClient]:
    with TestClient(create_app(site.engine, AppSettings.for_tests()), base_url="https://testserver") as c:
        yield c


def api(client: TestClient, site: StatsSite, who: str, **params: str) -> Any:
    return client.get("/api/v1/stats", params=params, headers={"Authorization": f"Bearer {site.tokens[who]}"})


def cli_json(engine: Engine, *args: str) -> Any:
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(cli_app, ["stats", *args, "--json"], env={"LANSHOU_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_api_is_the_cli_json_over_the_callers_shops(client: TestClient, site: StatsSite) -> None:
    period = ("--from", FROM, "--to", TO)
    everything = api(client, site, "boss", **{"from": FROM, "to": TO})
    assert everything.status_code == 200, everything.text
    assert everything.json() == cli_json(site.engine, *period)
    # shop A alone: 4 orders, ¥450 (tests/test_stats.py); with shop B's B1 (¥999 on 2 October) 5 and ¥1449
    assert (everything.json()["totals"]["orders"], everything.json()["totals"]["sales"]) == (5, "1449.00")
    alices = api(client, site, "alice", **{"from": FROM, "to": TO}).json()
    assert alices == cli_json(site.engine, *period, "--shop", "taobao:旗舰店")
    assert (alices["totals"]["orders"], alices["totals"]["sales"]) == (4, "450.00")
    assert not any(word in json.dumps(alices, ensure_ascii=False) for word in B_ONLY)
    bobs = api(client, site, "bob", **{"from": FROM, "to": TO}).json()
    assert bobs == cli_json(site.engine, *period, "--shop", "taobao:专卖店")
    assert (bobs["totals"]["orders"], bobs["previous_totals"]["sales"]) == (1, "1000.00")
    named = api(client, site, "boss", shop=SHOP_B, **{"from": FROM, "to": TO}).json()
    assert named == bobs


def test_api_refuses_other_shops_roles_and_bad_periods(client: TestClient, site: StatsSite) -> None:
    assert api(client, site, "alice", shop=SHOP_B).status_code == 404
    assert api(client, site, "alice", shop="专卖店").status_code == 404
    assert api(client, site, "carol").status_code == 403  # customer service: no statistics
    backwards = api(client, site, "boss", **{"from": TO, "to": FROM})
    assert backwards.status_code == 400 and "before" in backwards.json()["error"]["message"]
    too_long = api(client, site, "boss", **{"from": "2025-01-01", "to": "2026-10-03"})
    assert too_long.status_code == 400 and "366" in too_long.json()["error"]["message"]
    assert api(client, site, "boss", **{"from": "1"}).status_code == 422  # not a day
    default = api(client, site, "boss").json()  # the CLI's default: the last 30 days up to today
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert (default["period"]["to"], default["period"]["days"]) == (today, 30)


def _row(html: str, section: str, key: str) -> dict[str, str]:
    block = html.split(f'data-section="{section}"')[1].split("</section>")[0]
    row = block.split(f'<tr data-key="{key}">')[1].split("</tr>")[0]
    return dict(re.findall(r'data-field="([a-z_]+)"[^>]*>([^<]*)</td>', row))


def test_page_shows_the_report_with_changes_and_only_the_users_shops(
    client: TestClient, site: StatsSite
) -> None:
    sign_in(client, "alice")
    page = client.get(f"/stats?from={FROM}&to={TO}")
    assert page.status_code == 200 and 'href="/stats"' in page.text
    report = cli_json(site.engine, "--from", FROM, "--to", TO, "--shop", "taobao:旗舰店")
    cards = dict(re.findall(r'data-key="([a-z_]+)" data-value="([^"]*)"', page.text))
    assert cards["orders"] == "4" and cards["sales"] == "450.00" and cards["repeat_rate"] == "0.5"
    assert all(cards[key] == str(report["totals"][key]) for key in cards)
    # 服饰: ¥260.00 of ¥450 now; nothing of it in the previous period (A1 sold 家居): no change to show
    assert _row(page.text, "categories", "服饰") == {
        "category": "服饰", "quantity": "3", "sales": "¥260.00", "share": "57.8%", "change": "—"
    }  # fmt: skip
    # 家居: ¥50 now against A1's ¥100 in 28–30 September: -50 %
    assert _row(page.text, "categories", "家居")["change"] == "-50.0%"
    assert _row(page.text, "returns_by_sku", "SKU-A")["return_rate"] == "100.0%"
    # 发货慢 once now, once before (A1's 太慢 on 30 September): no change
    assert _row(page.text, "feedback_themes", "发货慢") == {
        "theme": "发货慢",
        "count": "1",
        "change": "+0.0%",
    }
    assert _row(page.text, "damage_by_carrier", "zto/damaged")["reason_code"] == "破损"
    assert not any(word in page.text for word in B_ONLY)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    default = client.get("/stats").text  # the last 30 days, today included
    assert f'data-from="{today - timedelta(days=29)}" data-to="{today}"' in default
    assert client.get(f"/stats?shop={SHOP_B}").status_code == 404
    backwards = client.get(f"/stats?from={TO}&to={FROM}")
    assert (
        backwards.status_code == 400 and "早于" in backwards.text and 'data-section="' not in backwards.text
    )
    sign_in(client, "bob")
    bobs = client.get(f"/stats?from={FROM}&to={TO}").text
    assert "四川省" in bobs and "服饰" not in bobs
    sign_in(client, "carol")
    assert client.get("/stats").status_code == 403
