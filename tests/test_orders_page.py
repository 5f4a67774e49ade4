"""The orders list (/orders) on SQLite and PostgreSQL. Its search box (also GET /api/v1/orders?q=): order
number or its start, tracking number, SKU, and the receiver's phone (whole or last 4 digits) and name for
roles that may see buyer data only; always within the user's shops. Its pages: next, and back to the first
with the same filters. Its export: the filtered orders of the user's shops as CSV, masked unless asked by
a role that may see buyer data, for roles that may export only, no cell a formula."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.intake.orders import import_orders
from lanshou.orders.queries import OrderFilter, build_query
from lanshou.web import order_pages
from tests.accounts_data import HEADER, Seeded, seed
from tests.test_web_pages import sign_in

# (platform, shop, order id, status, receiver, phone, sku, carrier, tracking number): two orders in shop A
# (alice's and carol's), one in shop B with the same receiver and number start, granted to neither
MORE = [
    ("tmall", "旗舰店", "3000019901", "shipped", "钱一", "13811112222", "CW-CAP-01", "sf", "SF1000000001"),
    ("tmall", "旗舰店", "3000019902", "shipped", "孙二", "13988880000", "CW-CAP-02", "zto", "ZT9000000002"),
    ("douyin", "抖音小店", "3000019903", "shipped", "钱一", "13811112222", "CW-CAP-01", "sf", "SF1000000003"),
]
MESSAGE = "=1+2"  # a buyer's message a spreadsheet would run as a formula


def more_orders_csv(path: Path) -> Path:
    lines = [HEADER]
    for i, (platform, shop, order_id, status, name, phone, sku, carrier, number) in enumerate(MORE):
        lines.append(
            f"{platform},{shop},{order_id},{status},2026-11-2{i} 10:00:00,2026-11-2{i} 10:05:00,0,,"
            f"m{i},{name},{phone},浙江省,杭州市,西湖区,文一路{i}号,{MESSAGE if i == 0 else ''},"
            f"{sku},帽子,服饰,1,10.00,10.00,"
            f"{carrier},{number},2026-11-2{i} 18:00:00"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    done = seed(engine, tmp_path)
    report = import_orders(engine, more_orders_csv(tmp_path / "more.csv"), rejects=tmp_path / "r.csv")
    assert report.ok and report.inserted == len(MORE), report
    return done


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.engine, AppSettings.for_tests()), base_url="https://testserver") as c:
        yield c


def page_finds(client: TestClient, name: str, term: str, param: str = "q") -> set[str]:
    client.cookies.clear()
    assert sign_in(client, name).status_code == 303  # type: ignore[attr-defined]
    page = client.get("/orders", params={param: term})
    assert page.status_code == 200
    return set(re.findall(r'<tr data-order="([^"]+)"', page.text))


def api_finds(client: TestClient, seeded: Seeded, name: str, term: str) -> set[str]:
    headers = {"Authorization": f"Bearer {seeded.tokens[name]}"}
    answer = client.get("/api/v1/orders", params={"q": term}, headers=headers)
    assert answer.status_code == 200, answer.text
    return {item["order_id"] for item in answer.json()["items"]}


def test_order_numbers_by_their_start_tracking_numbers_and_skus_within_the_users_shops(
    client: TestClient, seeded: Seeded
) -> None:
    # alice (operator) has shop A only: shop B's 3000019903 never shows, whatever matches it
    assert page_finds(client, "alice", "30000199") == {"3000019901", "3000019902"}
    assert page_finds(client, "alice", "3000019902") == {"3000019902"}
    assert page_finds(client, "alice", "A-1") == {"A-1"}  # short: the whole number only
    assert page_finds(client, "alice", "300") == set()
    assert page_finds(client, "alice", "SF1000000001") == {"3000019901"}
    assert page_finds(client, "alice", "SF1000000003") == set()
    assert page_finds(client, "alice", "CW-CAP-01") == {"3000019901"}
    assert page_finds(client, "alice", "CW-CAP") == {"3000019901", "3000019902"}
    assert page_finds(client, "alice", "A-3", param="order") == {"A-3"}  # older links: ?order=
    # the owner has every shop
    assert page_finds(client, "boss", "SF1000000003") == {"3000019903"}
    assert page_finds(client, "boss", "30000199") == {"3000019901", "3000019902", "3000019903"}


def test_phones_and_names_only_for_roles_that_may_see_buyer_data(client: TestClient, seeded: Seeded) -> None:
    # carol (customer service, shop A) may: a whole phone, its last 4 digits (A-3's 13700002222 too), a name
    assert page_finds(client, "carol", "13811112222") == {"3000019901"}
    assert page_finds(client, "carol", "138 1111 2222") == {"3000019901"}
    assert page_finds(client, "carol", "2222") == {"3000019901", "A-3"}
    assert page_finds(client, "carol", "钱一") == {"3000019901"}
    assert page_finds(client, "boss", "钱一") == {"3000019901", "3000019903"}
    # alice (operator) may not: a match would reveal the digits the mask hides
    for term in ("13811112222", "2222", "钱一"):
        assert page_finds(client, "alice", term) == set()


def test_the_api_searches_the_same(client: TestClient, seeded: Seeded) -> None:
    assert api_finds(client, seeded, "alice", "30000199") == {"3000019901", "3000019902"}
    assert api_finds(client, seeded, "alice", "2222") == set()
    assert api_finds(client, seeded, "carol", "2222") == {"3000019901", "A-3"}
    assert api_finds(client, seeded, "bob", "SF1000000003") == {"3000019903"}
    assert api_finds(client, seeded, "bob", "SF1000000001") == set()


def test_the_search_box_says_what_it_finds(client: TestClient) -> None:
    for name, phone_named in (("alice", False), ("carol", True)):
        client.cookies.clear()
        sign_in(client, name)
        page = client.get("/orders").text
        box = re.search(r'<input type="search" name="q"[^>]*placeholder="([^"]+)"', page)
        assert box and "SKU" in box.group(1)
        assert ("手机" in box.group(1)) is phone_named


def test_a_later_page_links_back_to_the_first_with_the_same_filters(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_pages, "PAGE_SIZE", 2)
    sign_in(client, "boss")
    first = client.get("/orders", params={"status": "shipped"}).text  # A-2 and the three of MORE
    assert 'rel="first"' not in first
    after = re.search(r'rel="next" href="\?([^"]+)"', first)
    assert after
    second = client.get("/orders?" + html.unescape(after.group(1))).text
    assert set(re.findall(r'<tr data-order="([^"]+)"', second)) == {"3000019901", "A-2"}
    back = re.search(r'rel="first" href="\?([^"]+)"', second)
    assert back and "before=" not in back.group(1) and "status=shipped" in back.group(1)
    again = client.get("/orders?" + html.unescape(back.group(1))).text
    assert re.findall(r'<tr data-order="([^"]+)"', again) == ["3000019903", "3000019902"]


def test_each_kind_of_search_is_an_index_look_up(sqlite_engine: Engine, tmp_path: Path) -> None:
    """No kind reads every order or every line (SQLite folds `phone = '138…'` into the tail expression,
    which then matches no index: the whole number is compared by LIKE)."""
    for term in ("3000019901", "SF1000000001", "CW-CAP", "13811112222", "2222", "钱一"):
        with sqlite_engine.connect() as conn:
            flt = OrderFilter(search=term, search_receivers=True, shop_ids=(1, 2))
            sql = build_query(conn, flt, 51).compile(conn, compile_kwargs={"literal_binds": True})
            plan = [row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
        scans = [step for step in plan if re.fullmatch(r"SCAN (orders|order_lines)\b.*", step)]
        assert scans == [], (term, plan)


def export(client: TestClient, name: str, **params: str) -> tuple[int, list[dict[str, str]]]:
    client.cookies.clear()
    sign_in(client, name)
    answer = client.get("/orders/export.csv", params=params)
    if answer.status_code != 200:
        return answer.status_code, []
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.content.startswith("\ufeff".encode())  # Excel reads the Chinese as UTF-8
    return 200, list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_the_export_is_the_filtered_list_of_the_users_shops_masked_and_formula_safe(
    client: TestClient,
) -> None:
    status, rows = export(client, "alice", q="30000199")
    assert status == 200
    assert {row["订单号 Order"] for row in rows} == {"3000019901", "3000019902"}  # shop B's is not alice's
    one = next(row for row in rows if row["订单号 Order"] == "3000019901")
    assert one["电话 Phone"] == "138****2222" and one["收件人 Receiver"] != "钱一"
    assert one["买家留言 Buyer message"] == "'" + MESSAGE  # a spreadsheet shows it, never runs it
    assert one["运单号 Tracking"] == "SF1000000001"
    assert export(client, "alice", unmask="true")[0] == 403  # an operator may not see buyer data
    _, everything = export(client, "alice")
    assert len(everything) == 6  # shop A, SAME-1 and the two above


def test_only_roles_that_may_export_do_and_only_the_owner_unmasked(client: TestClient) -> None:
    assert export(client, "carol")[0] == 403  # customer service has no exports.run
    assert "/orders/export.csv" not in client.get("/orders").text
    _, masked = export(client, "boss", q="钱一")  # the owner searches names; still masked unless asked
    assert {row["电话 Phone"] for row in masked} == {"138****2222"}
    status, full = export(client, "boss", q="钱一", unmask="true")
    assert status == 200 and {row["电话 Phone"] for row in full} == {"13811112222"}
    assert {row["订单号 Order"] for row in full} == {"3000019901", "3000019903"}
    page = client.get("/orders", params={"status": "shipped"}).text
    assert 'href="/orders/export.csv?shop=&amp;status=shipped&amp;q=&amp;paid_from=&amp;paid_to="' in page
