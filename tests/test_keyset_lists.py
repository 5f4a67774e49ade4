"""The lists that were paged by offset — buyers, follow-ups (API and pages) and stock (API) — are keyset
pages now, on SQLite and PostgreSQL: rows added before the position, or the rows already shown removed,
between two pages neither repeat a row nor skip one (an offset did both); rows added after the position are
reached once; an offset cursor of before, or a forged position, is refused with invalid_cursor (a page starts
over)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, insert

from lanshou import schema as s
from lanshou.api.app import create_app
from lanshou.api.pagination import encode_cursor
from lanshou.api.settings import AppSettings
from tests.accounts_data import SHOP_A
from tests.cs_data import Desk, seed_desk
from tests.test_web_pages import sign_in

NOW = datetime(2026, 11, 12, 9, 0)


@dataclass(frozen=True)
class Listed:
    """A list as the tests walk it: what identifies a row, and how to add rows at its top or its end."""

    url: str
    ident: Callable[[dict[str, Any]], Any]
    add: Callable[[Desk, str, int], None]  # (desk, "top" | "end", how many)
    remove: Callable[[Desk, list[Any]], None]  # these rows (idents) deleted


def _add_buyers(desk: Desk, where: str, count: int) -> None:
    spend = "99999.00" if where == "top" else "-1.00"  # a refund larger than the spend sorts last
    rows = [{"key": f"zz:{where}{i}", "spend": spend, "updated_at": NOW} for i in range(count)]
    with desk.engine.begin() as conn:
        conn.execute(insert(s.buyer_profiles), rows)


def _add_followups(desk: Desk, where: str, count: int) -> None:
    due = datetime(2000, 1, 1) if where == "top" else datetime(2100, 1, 1)
    rows = [
        {
            "shop_id": desk.shop_id(SHOP_A),
            "order_no": f"X-{where}{i}",
            "feedback_at": NOW,
            "due_at": due,
            "status": "open",
            "opened_at": NOW,
        }
        for i in range(count)
    ]
    with desk.engine.begin() as conn:
        conn.execute(insert(s.followups), rows)


def _add_stock(desk: Desk, where: str, count: int) -> None:
    prefix = {"top": "A", "middle": "M", "end": "Z"}[where]
    with desk.engine.begin() as conn:
        warehouse = conn.execute(insert(s.warehouses).values(code=f"w-{where}")).inserted_primary_key[0]
        rows = [{"sku": f"{prefix}-{i}", "warehouse_id": warehouse, "updated_at": NOW} for i in range(count)]
        conn.execute(insert(s.stock), rows)


def _remove(table: Any, column: str) -> Callable[[Desk, list[Any]], None]:
    def remove(desk: Desk, idents: list[Any]) -> None:
        with desk.engine.begin() as conn:
            conn.execute(delete(table).where(table.c[column].in_(idents)))

    return remove


def _remove_stock(desk: Desk, idents: list[Any]) -> None:
    with desk.engine.begin() as conn:
        for sku, _ in idents:
            conn.execute(delete(s.stock).where(s.stock.c.sku == sku))


LISTS = {
    "buyers": Listed("/api/v1/buyers", lambda r: r["key"], _add_buyers, _remove(s.buyer_profiles, "key")),
    "followups": Listed("/api/v1/followups", lambda r: r["id"], _add_followups, _remove(s.followups, "id")),
    "stock": Listed("/api/v1/stock", lambda r: (r["sku"], r["warehouse"]), _add_stock, _remove_stock),
}


@pytest.fixture
def desk(engine: Engine, tmp_path: Path) -> Desk:
    desk = seed_desk(engine, tmp_path)
    _add_stock(desk, "middle", 5)  # the desk has no stock: M-0 … M-4
    return desk


@pytest.fixture
def client(desk: Desk) -> Iterator[TestClient]:
    with TestClient(create_app(desk.engine, AppSettings.for_tests()), base_url="https://testserver") as c:
        c.headers["Authorization"] = f"Bearer {desk.both.token('boss')}"
        yield c


def _page(client: TestClient, url: str, **params: Any) -> dict[str, Any]:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def _walk(client: TestClient, listed: Listed, between: Callable[[list[Any]], None]) -> list[Any]:
    """Every row's ident, two a page, with `between(first page's idents)` done after the first page."""
    page = _page(client, listed.url, limit=2)
    seen = [listed.ident(row) for row in page["items"]]
    between(list(seen))
    while page["next"] is not None:
        page = _page(client, listed.url, limit=2, cursor=page["next"])
        seen.extend(listed.ident(row) for row in page["items"])
    return seen


@pytest.mark.parametrize("name", LISTS)
def test_rows_added_before_the_position_neither_repeat_nor_push_one_past(
    client: TestClient, desk: Desk, name: str
) -> None:
    listed = LISTS[name]
    before = _walk(client, listed, lambda shown: None)
    assert len(before) >= 3 and len(set(before)) == len(before)
    end = _walk(client, listed, lambda shown: (listed.add(desk, "top", 3), listed.add(desk, "end", 2)))
    # an offset went on at 2 of a list grown by 3 above it: it showed rows 0-1 again
    assert end[: len(before)] == before
    assert len(end) == len(before) + 2 and len(set(end)) == len(end)  # the two added at the end, once


@pytest.mark.parametrize("name", LISTS)
def test_the_rows_shown_removed_skip_nothing(client: TestClient, desk: Desk, name: str) -> None:
    listed = LISTS[name]
    before = _walk(client, listed, lambda shown: None)
    after = _walk(client, listed, lambda shown: listed.remove(desk, shown))
    assert after == before  # an offset went on at 2 of a list shrunk by 2 above it: it skipped rows 2-3


FORGED = {
    "buyers": [
        {"s": "1e999", "k": "a"},
        {"s": "1.00", "k": "a\x00"},
        {"s": "1.00", "k": ""},
        {"s": 1, "k": "a"},
    ],
    "followups": [
        {"c": 0, "d": "2026-13-01", "i": 1},
        {"c": 0, "d": "2026-11-01", "i": 10**20},
        {"c": 2, "d": "", "i": 1},
    ],
    "stock": [{"s": "A", "r": 10**20, "w": "main"}, {"s": "A\x00", "r": 0, "w": "main"}],
}


@pytest.mark.parametrize("name", LISTS)
def test_an_offset_cursor_of_before_or_a_forged_position_is_refused(
    client: TestClient, desk: Desk, name: str
) -> None:
    for position in [{"offset": 2}, {"offset": 10**20}, *FORGED[name]]:
        response = client.get(LISTS[name].url, params={"cursor": encode_cursor(position)})
        assert response.status_code == 422, (position, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_cursor" and "\n" not in error["message"]
    for garbage in ("%%%", "e30", "bm90IGpzb24"):  # not base64, {}, "not json"
        assert client.get(LISTS[name].url, params={"cursor": garbage}).status_code == 422


# --- the pages ----------------------------------------------------------------------------------------------


def _rows_of(name: str, html: str) -> list[str]:
    pattern = r'<tr data-buyer="([^"]+)"' if name == "buyers" else r'<tr data-followup="(\d+)"'
    return re.findall(pattern, html)


def _next_of(html: str) -> str | None:
    found = re.search(r'id="next-page" href="([^"]+)"', html)
    return unescape(found.group(1)) if found else None


@pytest.mark.parametrize("name", ["buyers", "followups"])
def test_a_page_walk_neither_repeats_nor_skips_when_rows_come_between(
    desk: Desk, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lanshou.web import buyer_pages, followup_pages

    monkeypatch.setattr(buyer_pages if name == "buyers" else followup_pages, "PAGE_SIZE", 2)
    with TestClient(create_app(desk.engine, AppSettings.for_tests()), base_url="https://testserver") as boss:
        assert sign_in(boss, "boss").status_code == 303  # type: ignore[attr-defined]

        def walk(between: Callable[[], None]) -> list[str]:
            html = boss.get(f"/{name}").text
            seen = _rows_of(name, html)
            between()
            while (link := _next_of(html)) is not None:
                html = boss.get(f"/{name}{link}").text
                seen.extend(_rows_of(name, html))
            return seen

        before = walk(lambda: None)
        assert len(before) >= 3 and len(set(before)) == len(before)
        added = walk(lambda: (LISTS[name].add(desk, "top", 3), LISTS[name].add(desk, "end", 1)))
        assert added[: len(before)] == before and len(added) == len(before) + 1
        first = _rows_of(name, boss.get(f"/{name}").text)
        for cursor in (encode_cursor({"offset": 2}), encode_cursor({"offset": 10**20}), "%%%"):
            again = boss.get(f"/{name}", params={"after": cursor})  # an unreadable cursor: the first page
            assert again.status_code == 200 and _rows_of(name, again.text) == first
