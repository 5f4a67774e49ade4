"""Numbers a platform or a carrier issued are opaque text: an order, a case and a tracking number holding '/',
a space and Chinese open from the pages' own links (each quoted as one path segment) and through the API,
on SQLite and PostgreSQL; a case's step (`…/agree`) still resolves after such a number."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lanshou.aftersales.service import show_json
from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.intake.orders import import_orders
from lanshou.intake.tracking import import_tracking
from tests.accounts_data import HEADER, SHOP_A, Seeded
from tests.aftersales_web_data import add_cases, seed_cases
from tests.test_web_pages import csrf_of, sign_in

ORDER, CASE, PARCEL = "A/7 订单", "AS/7 退款 单", "ZT/7 号码"
TRACKING_HEADER = "carrier,tracking_no,event_time,status,location,description"


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    seeded = seed_cases(engine, tmp_path)
    path = tmp_path / "odd.csv"
    row = (
        f"tmall,旗舰店,{ORDER},shipped,2026-11-08 10:00:00,2026-11-08 10:05:00,0,,b7,郑十,13200007777,浙江省,"
        f"杭州市,西湖区,文一路7号,,SKU-7,商品7,家居,1,20.00,20.00,zto,{PARCEL},2026-11-09 10:00:00"
    )
    path.write_text(f"{HEADER}\n{row}\n", encoding="utf-8")
    assert import_orders(engine, path, rejects=tmp_path / "odd.rej.csv").ok
    case = (
        f"tmall,旗舰店,{CASE},{ORDER},return_refund,requested,质量问题,5.00,2026-11-10 09:00:00,zto,{PARCEL}"
    )
    add_cases(engine, tmp_path, [case])
    events = tmp_path / "odd-tracking.csv"
    events.write_text(
        f"{TRACKING_HEADER}\nzto,{PARCEL},2026-11-09 18:00:00,picked_up,杭州,已揽收\n", encoding="utf-8"
    )
    assert import_tracking(engine, events, rejects=tmp_path / "odd-tracking.rej.csv").rejected_count == 0
    return seeded


@pytest.fixture
def carol(seeded: Seeded) -> Iterator[TestClient]:  # customer service, shop A
    with TestClient(create_app(seeded.engine, AppSettings.for_tests()), base_url="https://testserver") as c:
        assert sign_in(c, "carol").status_code == 303  # type: ignore[attr-defined]
        yield c


def _link(html: str, pattern: str) -> str:
    """The href (or form action) of the page's link whose target matches `pattern`."""
    found = re.search(rf'(?:href|action)="({pattern}[^"]*)"', html)
    assert found, pattern
    return unescape(found.group(1))


def test_the_pages_open_such_numbers_from_their_own_links(carol: TestClient, seeded: Seeded) -> None:
    case_link = _link(carol.get("/aftersales").text, "/aftersales/AS%2F7")
    assert case_link.startswith(f"/aftersales/{quote(CASE, safe='')}")
    case_page = carol.get(case_link)
    assert case_page.status_code == 200 and CASE in case_page.text

    parcel_link = _link(case_page.text, "/tracking/")
    assert parcel_link == f"/tracking/{quote(PARCEL, safe='')}"
    parcel_page = carol.get(parcel_link)
    assert parcel_page.status_code == 200 and PARCEL in parcel_page.text
    order_link = _link(parcel_page.text, "/orders/")
    assert order_link == f"/orders/{seeded.shop_ids[SHOP_A]}/{quote(ORDER, safe='')}"
    order_page = carol.get(order_link)
    assert order_page.status_code == 200 and ORDER in order_page.text

    agree = _link(case_page.text, "/aftersales/.*/agree")  # the step after the number still resolves
    done = carol.post(
        agree, data={"csrf_token": csrf_of(case_page.text), "shop": SHOP_A}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"].startswith(case_link.split("?")[0])
    assert show_json(seeded.engine, CASE)["status"] == "waiting_return"
    assert carol.get(done.headers["location"]).status_code == 200


@pytest.mark.parametrize("quoted", [True, False], ids=["quoted", "as-typed"])
def test_the_api_answers_such_numbers_quoted_or_as_typed(seeded: Seeded, quoted: bool) -> None:
    def path(number: str) -> str:
        return quote(number, safe="") if quoted else number.replace(" ", "%20")  # '/' left as it is

    with TestClient(create_app(seeded.engine, AppSettings.for_tests()), base_url="https://testserver") as api:
        api.headers["Authorization"] = f"Bearer {seeded.tokens['carol']}"
        case = api.get(f"/api/v1/aftersales/{path(CASE)}")
        assert case.status_code == 200 and case.json()["case_no"] == CASE
        parcel = api.get(f"/api/v1/tracking/{path(PARCEL)}")
        assert parcel.status_code == 200 and parcel.json()["tracking_no"] == PARCEL
        order = api.get(f"/api/v1/orders/{path(ORDER)}")
        assert order.status_code == 200 and order.json()["order_id"] == ORDER
        agreed = api.post(f"/api/v1/aftersales/{path(CASE)}/agree", json={"reason": "ok"})
        assert agreed.status_code == 200 and agreed.json()["status"] == "waiting_return"
        missing = api.get(f"/api/v1/aftersales/{path('AS/8 没有')}")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
