"""Pages name what merchants know by name — a shop's platform (天猫 · 旗舰店 / Tmall · 旗舰店) — in the
reader's language, while every value sent back to the server (filters, forms) keeps its code
(`tmall/旗舰店`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from tests.accounts_data import SHOP_A, SHOP_B, seed
from tests.aftersales_web_data import add_cases
from tests.test_web_pages import sign_in

SHOP_NAMES = {
    "zh-CN": ("天猫 · 旗舰店", "抖店 · 抖音小店"),
    "en": ("Tmall · 旗舰店", "Douyin · 抖音小店"),
}


def visible(html: str) -> str:
    """What a reader sees: the page's text without its tags and their attributes (values, data-*)."""
    body = html.split("<body", 1)[-1]
    return unescape(re.sub(r"<[^>]*>", " ", body))


@pytest.fixture
def boss(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    seed(engine, tmp_path)
    add_cases(engine, tmp_path)
    with TestClient(create_app(engine, AppSettings.for_tests()), base_url="https://testserver") as client:
        assert sign_in(client, "boss").status_code == 303  # type: ignore[attr-defined]
        yield client


@pytest.mark.parametrize("lang", sorted(SHOP_NAMES))
def test_shops_show_their_platforms_name_and_filters_keep_the_code(boss: TestClient, lang: str) -> None:
    boss.cookies.set("lang", lang)
    for path in ("/orders", "/aftersales", "/", "/queue", "/review"):
        html = boss.get(path).text
        text = visible(html)
        assert all(name in text for name in SHOP_NAMES[lang]), (path, lang)
        assert "tmall/" not in text and "douyin/" not in text, (path, lang)
        assert f'<option value="{SHOP_A}"' in html and f'<option value="{SHOP_B}"' in html, path
    filtered = boss.get("/orders", params={"shop": SHOP_A}).text
    assert f'<option value="{SHOP_A}" selected>{SHOP_NAMES[lang][0]}</option>' in filtered
    assert visible(filtered).count(SHOP_NAMES[lang][0]) > 1  # the filter and the table's rows
