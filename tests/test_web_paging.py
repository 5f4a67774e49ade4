"""Keyset pages of the review queue and the ready shipments, on SQLite and PostgreSQL: with 1,200 orders in
the queue, walking the pages (web `?after=` links, API `next` cursors) reaches every row exactly once, in the
lists' order, only in the caller's shops; a batch action on a later page acts on the rows checked there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select, text

from lanshou import schema as s
from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.intake.orders import import_orders
from tests.accounts_data import HEADER, SHOP_A, SHOP_B, Seeded, seed
from tests.test_web_pages import csrf_of, sign_in

IN_A, IN_B = 1000, 200  # 1,200 queued orders: 1,000 in shop A, 200 in shop B
BASE = datetime(2026, 11, 20, 8, 0)
FAR = datetime.max


def _csv(path: Path) -> Path:
    lines = [HEADER]
    for shop, prefix, count in (("tmall,旗舰店", "P", IN_A), ("douyin,抖音小店", "Q", IN_B)):
        for i in range(count):
            lines.append(
                f"{shop},{prefix}-{i:04d},paid,2026-11-19 10:00:00,2026-11-19 10:05:00,0,,pb{i},买家{i},"
                f"13800000000,浙江省,杭州市,西湖区,路{i}号,,SKU-{i % 7},商品,家居,1,10.00,10.00,,,"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _review_row(shop_id: int, order_no: str, i: int) -> dict[str, Any]:
    """Heavy ties on purpose: 3 states, 4 priorities, 7 ship-by hours and none for every fifth order; pairs
    of accepted orders merged (合单) in shop A."""
    state = "cancelled" if i % 50 == 7 else "held" if i % 3 == 0 else "accepted"
    group = f"M{i - i % 10}" if order_no.startswith("P") and i % 10 in (1, 2) else ""
    return {
        "shop_id": shop_id,
        "order_no": order_no,
        "state": state,
        "priority": i % 4,
        "ship_by": None if i % 5 == 0 else BASE + timedelta(hours=i % 7),
        "pickup_deadline": None if i % 6 == 0 else BASE + timedelta(hours=i % 5),
        "merge_group": group,
        "reviewed_at": BASE,
        "actor": "test",
    }


@pytest.fixture
def queued(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    monkeypatch.setenv("LANSHOU_DATA_DIR", str(tmp_path / "data"))
    seeded = seed(engine, tmp_path)
    report = import_orders(engine, _csv(tmp_path / "many.csv"), rejects=tmp_path / "rejects.csv")
    assert report.ok and report.inserted == IN_A + IN_B, report
    a, b = seeded.shop_ids[SHOP_A], seeded.shop_ids[SHOP_B]
    rows = [_review_row(a, f"P-{i:04d}", i) for i in range(IN_A)]
    rows += [_review_row(b, f"Q-{i:04d}", i) for i in range(IN_B)]
    with engine.begin() as conn:
        conn.execute(insert(s.review_state), rows)
    if engine.dialect.name == "postgresql":  # statistics as autovacuum would soon have them
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    return seeded


@pytest.fixture
def client(queued: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(queued.engine, AppSettings.for_tests()), base_url="https://testserver") as c:
        yield c


def _facts(engine: Engine, shop_ids: set[int]) -> list[dict[str, Any]]:
    """Every queued order of these shops with what the lists sort by (inputs read back, ids included)."""
    o, r = s.orders.c, s.review_state.c
    query = (
        select(o.id, o.shop_id, o.order_no, r.state, r.priority, r.ship_by, r.pickup_deadline, r.merge_group)
        .join(s.review_state, (r.shop_id == o.shop_id) & (r.order_no == o.order_no))
        .where(o.shop_id.in_(shop_ids), o.order_no.like("_-%"))
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def expected_queue(engine: Engine, shop_ids: set[int]) -> list[str]:
    facts = [f for f in _facts(engine, shop_ids) if f["state"] in ("held", "accepted")]
    facts.sort(key=lambda f: (f["state"] != "held", -f["priority"], f["ship_by"] or FAR, f["id"]))
    return [f"{f['shop_id']}:{f['order_no']}" for f in facts]


def expected_shipments(engine: Engine, shop_ids: set[int]) -> list[list[str]]:
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for f in _facts(engine, shop_ids):
        if f["state"] == "accepted":
            groups.setdefault((f["shop_id"], f["merge_group"] or f["order_no"]), []).append(f)

    def key(members: list[dict[str, Any]]) -> tuple[Any, ...]:
        return (
            -max(m["priority"] for m in members),
            min((m["ship_by"] for m in members if m["ship_by"]), default=FAR),
            min((m["pickup_deadline"] for m in members if m["pickup_deadline"]), default=FAR),
            min(m["id"] for m in members),
        )

    ordered = sorted(groups.values(), key=key)
    return [sorted(m["order_no"] for m in members) for members in ordered]


def walk_api(client: TestClient, token: str, url: str, **query: str) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    pages, cursor = 0, None
    while True:
        params: dict[str, str | int] = {"limit": 37, **query, **({"cursor": cursor} if cursor else {})}
        answer = client.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items += body["items"]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            return items, pages
        assert pages < 100, "the cursor never ends"


def walk_pages(client: TestClient, url: str, row: str) -> tuple[list[str], list[str]]:
    """Every row's `row` attribute over the pages, following the next links; and the pages' URLs."""
    found: list[str] = []
    urls = [url]
    while True:
        page = client.get(urls[-1])
        assert page.status_code == 200
        found += re.findall(rf'<tr {row}="([^"]+)"', page.text)
        more = re.search(r'id="next-page" href="([^"]+)"', page.text)
        if more is None:
            return found, urls
        urls.append(url.split("?")[0] + more.group(1).replace("&amp;", "&"))
        assert len(urls) < 100, "the next links never end"


def test_api_review_queue_pages_reach_every_order_once(client: TestClient, queued: Seeded) -> None:
    a = queued.shop_ids[SHOP_A]
    items, pages = walk_api(client, queued.tokens["alice"], "/api/v1/review/queue")
    expected = expected_queue(queued.engine, {a})
    assert len(expected) == IN_A - IN_A // 50  # i % 50 == 7 are cancelled
    assert [f"{i['shop_id']}:{i['order_id']}" for i in items] == expected
    assert pages == -(-len(expected) // 37)
    assert {i["shop"] for i in items} == {SHOP_A}  # alice is granted shop A only
    # the owner sees both shops; `state` narrows every page
    items, _ = walk_api(client, queued.tokens["boss"], "/api/v1/review/queue", state="held")
    both = expected_queue(queued.engine, set(queued.shop_ids.values()))
    assert [f"{i['shop_id']}:{i['order_id']}" for i in items] == [k for k in both if _held(queued, k)]


def _held(queued: Seeded, key: str) -> bool:
    i = int(key.split("-")[1])
    return i % 3 == 0 and i % 50 != 7


def test_api_ready_pages_reach_every_shipment_once(client: TestClient, queued: Seeded) -> None:
    a, b = queued.shop_ids[SHOP_A], queued.shop_ids[SHOP_B]
    items, _ = walk_api(client, queued.tokens["boss"], "/api/v1/ship/ready")
    expected = expected_shipments(queued.engine, {a, b})
    assert [sorted(i["order_ids"]) for i in items] == expected
    orders = [no for i in items for no in i["order_ids"]]
    assert len(orders) == len(set(orders)) == sum(map(len, expected))
    assert any(len(i["order_ids"]) == 2 for i in items)  # 合单 pairs travel as one shipment
    items, _ = walk_api(client, queued.tokens["alice"], "/api/v1/ship/ready")
    assert {i["shop_id"] for i in items} == {a}


def test_api_rejects_a_forged_cursor(client: TestClient, queued: Seeded) -> None:
    headers = {"Authorization": f"Bearer {queued.tokens['boss']}"}
    for url in ("/api/v1/review/queue", "/api/v1/ship/ready"):
        answer = client.get(url, params={"cursor": "eyJ4IjoxfQ"}, headers=headers)  # {"x":1}
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_cursor"


def test_review_page_pages_reach_every_order_once_and_act_on_a_later_page(
    client: TestClient, queued: Seeded
) -> None:
    assert sign_in(client, "alice").status_code == 303  # type: ignore[attr-defined]
    found, urls = walk_pages(client, "/review", "data-order")
    expected = expected_queue(queued.engine, {queued.shop_ids[SHOP_A]})
    assert found == [key.split(":")[1] for key in expected]
    assert len(urls) == -(-len(expected) // 100)
    # hold two accepted orders shown on the last page: exactly those two change
    page = client.get(urls[-1]).text
    accepted = re.findall(r'<tr data-order="([^"]+)" data-state="accepted">', page)[:2]
    assert len(accepted) == 2
    a = queued.shop_ids[SHOP_A]
    done = client.post(
        "/review/actions",
        data={
            "csrf_token": csrf_of(page),
            "action": "hold",
            "reason": "看一下",
            "keys": [f"{a}:{no}" for no in accepted],
            "back": urls[-1],
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == urls[-1]
    held = {f["order_no"] for f in _facts(queued.engine, {a}) if f["state"] == "held"}
    before = {k.split(":")[1] for k in expected if _held(queued, k)}
    assert held == before | set(accepted)


def test_ship_page_pages_reach_every_shipment_once(client: TestClient, queued: Seeded) -> None:
    assert sign_in(client, "boss").status_code == 303  # type: ignore[attr-defined]
    found, urls = walk_pages(client, "/ship", "data-shipment")
    expected = expected_shipments(queued.engine, set(queued.shop_ids.values()))
    assert len(found) == len(set(found)) == len(expected)
    mains = [key.split(":")[1] for key in found]
    assert [next(m for m in members if m in mains) for members in expected] == mains
    assert len(urls) == -(-len(expected) // 100)
    first = client.get("/ship").text
    assert f"{len(expected)}" in re.sub(r"<[^>]+>", "", first.split('id="ship-form"')[0])  # the count


def test_ready_pages_hold_the_very_shipments_shipping_takes(queued: Seeded) -> None:
    """The keyset pages and `ready_shipments` (what `lanshou ship` takes) build each shipment by one rule:
    walking every page gives the same shipments, lines, deadlines and receivers, 合单 pairs included."""
    from lanshou.review.paging import ready_page
    from lanshou.review.queries import ready_shipments

    shop_ids = sorted(queued.shop_ids.values())
    paged, after = [], None
    with queued.engine.connect() as conn:
        while True:
            page, after = ready_page(conn, shop_ids, after, 53)
            paged += page
            if after is None:
                break
        whole = ready_shipments(conn, shop_ids=shop_ids)
    assert len(whole) == len(expected_shipments(queued.engine, set(shop_ids)))
    assert any(len(shipment.keys) == 2 for shipment in whole)
    assert sorted(paged, key=lambda s: (s.keys, s.part)) == sorted(whole, key=lambda s: (s.keys, s.part))
