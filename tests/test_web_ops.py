"""The review and ship pages and their API routes (POST /api/v1/review/run, /orders/actions, /ship,
GET /labels/{id}), on SQLite and PostgreSQL: batch actions and shipping work for the caller's shops, and a
user of shop A can neither act on nor print shop B's orders by any of these routes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lanshou import schema as s
from lanshou.accounts.roles import Role
from lanshou.accounts.service import add_user, issue_token
from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.orders import timeline
from lanshou.review.staff import act
from lanshou.shipping.labels.fonts import DEFAULT_CJK_FONT, FONT_ENV
from lanshou.shipping.store import load_config_file
from lanshou.tracking.record import utc_now
from tests.accounts_data import ORDERS, PASSWORD, SHOP_A, SHOP_B, Seeded, seed
from tests.conftest import IN_CI
from tests.inventory_data import put_stock
from tests.ship_data import CARRIERS, load_pool
from tests.test_web_pages import csrf_of, sign_in

needs_font = pytest.mark.skipif(
    not DEFAULT_CJK_FONT.is_file() and not os.environ.get(FONT_ENV) and not IN_CI,
    reason="no CJK font here: apt-get install fonts-wqy-zenhei (CI installs it and never skips)",
)


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    monkeypatch.setenv("LANSHOU_DATA_DIR", str(tmp_path / "data"))
    found = seed(engine, tmp_path)
    put_stock(engine, [(f"SKU-{i}", "main", 100) for i in range(len(ORDERS))])  # accepting reserves stock
    add_user(engine, "dave", PASSWORD, Role.OPERATOR, ["抖音小店"])  # an operator of shop B only
    found.tokens["dave"] = issue_token(engine, "dave")
    return found


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.engine, AppSettings.for_tests()), base_url="https://testserver") as c:
        yield c


def api(client: TestClient, seeded: Seeded, who: str, method: str, url: str, **kwargs: Any) -> Any:
    return client.request(method, url, headers={"Authorization": f"Bearer {seeded.tokens[who]}"}, **kwargs)


def states(engine: Engine) -> dict[tuple[int, str], str]:
    r = s.review_state.c
    with engine.connect() as conn:
        return {(row[0], row[1]): row[2] for row in conn.execute(select(r.shop_id, r.order_no, r.state))}


def accept(seeded: Seeded, shop: str, *order_nos: str) -> None:
    keys = [(seeded.shop_ids[shop], no) for no in order_nos]
    act(seeded.engine, "accept", keys, utc_now(), "test")


def ship_ready(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "carriers.toml").write_text(CARRIERS, encoding="utf-8")
    load_config_file(engine, tmp_path / "carriers.toml")
    load_pool(engine, "zto", 20)


# --- review --------------------------------------------------------------------------------------------


def test_api_order_actions_act_in_the_callers_shops_only(client: TestClient, seeded: Seeded) -> None:
    a, b = seeded.shop_ids[SHOP_A], seeded.shop_ids[SHOP_B]
    held = api(
        client,
        seeded,
        "alice",
        "POST",
        "/api/v1/orders/actions",
        json={"action": "hold", "ids": ["A-1", "A-3"], "reason": "地址待确认"},
    )
    assert held.status_code == 200, held.text
    assert [(i["order_id"], i["state"]) for i in held.json()["items"]] == [("A-1", "held"), ("A-3", "held")]
    assert states(seeded.engine)[(a, "A-1")] == "held"
    with seeded.engine.connect() as conn:
        entry = timeline.read(conn, a, "A-1")[-1]
    assert (entry.kind, entry.detail, entry.actor) == ("held", "地址待确认", "alice")
    # B-1 is shop B's: for alice it does not exist, and the batch does nothing at all
    refused = api(
        client,
        seeded,
        "alice",
        "POST",
        "/api/v1/orders/actions",
        json={"action": "cancel", "ids": ["A-1", "B-1"]},
    )
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    assert (b, "B-1") not in states(seeded.engine) and states(seeded.engine)[(a, "A-1")] == "held"
    # SAME-1 exists in A and B: alice acts on A's only, dave on B's only
    assert (
        api(
            client,
            seeded,
            "dave",
            "POST",
            "/api/v1/orders/actions",
            json={"action": "cancel", "ids": ["SAME-1"]},
        ).status_code
        == 200
    )
    assert states(seeded.engine)[(b, "SAME-1")] == "cancelled" and (a, "SAME-1") not in states(seeded.engine)
    # the role without review rights, and a shipped order
    assert (
        api(
            client,
            seeded,
            "carol",
            "POST",
            "/api/v1/orders/actions",
            json={"action": "accept", "ids": ["A-1"]},
        ).status_code
        == 403
    )
    shipped = api(
        client, seeded, "alice", "POST", "/api/v1/orders/actions", json={"action": "accept", "ids": ["A-2"]}
    )
    assert shipped.status_code == 409 and "A-2" in shipped.json()["error"]["message"]


def test_api_review_run_reviews_only_the_callers_shops(client: TestClient, seeded: Seeded) -> None:
    ran = api(client, seeded, "alice", "POST", "/api/v1/review/run")
    assert ran.status_code == 200, ran.text
    body = ran.json()
    assert body["reviewed"] == 3 and {o["order_id"] for o in body["orders"]} == {"A-1", "A-3", "SAME-1"}
    reviewed_shops = {shop_id for shop_id, _ in states(seeded.engine)}
    assert reviewed_shops == {seeded.shop_ids[SHOP_A]}
    assert api(client, seeded, "bob", "POST", "/api/v1/review/run").status_code == 403


def test_review_page_lists_and_acts_in_granted_shops_only(client: TestClient, seeded: Seeded) -> None:
    a, b = seeded.shop_ids[SHOP_A], seeded.shop_ids[SHOP_B]
    act(seeded.engine, "hold", [(a, "A-1"), (b, "B-1")], utc_now(), "system", "缺货")
    sign_in(client, "alice")
    page = client.get("/review")
    assert page.status_code == 200 and 'data-order="A-1"' in page.text and "缺货" in page.text
    assert 'data-order="B-1"' not in page.text and 'href="/review"' in page.text
    token = csrf_of(page.text)
    # another shop's order in the form: 404, and nothing changes (not even alice's own order)
    sneaky = client.post(
        "/review/actions", data={"action": "accept", "keys": [f"{a}:A-1", f"{b}:B-1"], "csrf_token": token}
    )
    assert sneaky.status_code == 404
    assert states(seeded.engine)[(a, "A-1")] == "held" and states(seeded.engine)[(b, "B-1")] == "held"
    # no CSRF token: refused
    assert client.post("/review/actions", data={"action": "accept", "keys": [f"{a}:A-1"]}).status_code == 403
    done = client.post(
        "/review/actions", data={"action": "accept", "keys": [f"{a}:A-1"], "csrf_token": token}
    )
    assert done.status_code == 200 and 'id="flash"' in done.text and "1/1" in done.text
    assert states(seeded.engine)[(a, "A-1")] == "accepted"
    held = client.get("/review", params={"state": "held"}).text
    assert 'data-order="A-1"' not in held
    ran = client.post("/review/run", data={"csrf_token": token})
    assert ran.status_code == 200 and "审核 2 单" in ran.text  # A-3 and SAME-1 of shop A
    assert (b, "SAME-1") not in states(seeded.engine)
    assert client.get("/review", params={"shop": SHOP_B}).status_code == 404


def review_buttons(html: str) -> list[str]:
    return re.findall(r'<button type="submit" name="action" value="([a-z]+)"', html)


def test_an_order_page_offers_the_review_actions_its_state_allows(client: TestClient, seeded: Seeded) -> None:
    """A held order's page says why and offers 通过 / 取消 (cancel asks first), posted to the review page's
    own handler and back to the order page with its message; an accepted one offers 暂停 / 取消."""
    a, b = seeded.shop_ids[SHOP_A], seeded.shop_ids[SHOP_B]
    act(seeded.engine, "hold", [(a, "A-1"), (b, "B-1")], utc_now(), "system", "买家留言")
    sign_in(client, "alice")
    url = f"/orders/{a}/A-1"
    html = client.get(url).text
    assert 'id="review" data-state="held"' in html and "买家留言" in html
    assert review_buttons(html) == ["accept", "cancel"]
    assert re.search(r'value="cancel" id="review-cancel" data-confirm="[^"]+"', html)
    assert f'name="keys" value="{a}:A-1"' in html and 'action="/review/actions"' in html
    form = {"action": "accept", "keys": f"{a}:A-1", "back": url, "csrf_token": csrf_of(html)}
    done = client.post("/review/actions", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == url
    page = client.get(url).text
    assert 'id="flash"' in page and "通过：1/1" in page and 'data-state="accepted"' in page
    assert states(seeded.engine)[(a, "A-1")] == "accepted" and states(seeded.engine)[(b, "B-1")] == "held"
    assert review_buttons(page) == ["hold", "cancel"]
    assert client.get(url).text.count('id="flash"') == 0  # said once
    # a shop not granted: its order page is not found, and the form cannot reach it either
    assert client.get(f"/orders/{b}/B-1").status_code == 404
    sneaky = {**form, "keys": f"{b}:B-1", "back": f"/orders/{b}/B-1"}
    assert client.post("/review/actions", data=sneaky).status_code == 404
    assert states(seeded.engine)[(b, "B-1")] == "held"
    # an order not reviewed yet may take all three; one that is not paid (shipped A-2) none
    assert review_buttons(client.get(f"/orders/{a}/A-3").text) == ["accept", "hold", "cancel"]
    shipped = client.get(f"/orders/{a}/A-2").text
    assert 'id="review"' in shipped and review_buttons(shipped) == []


def test_a_cancelled_shipped_or_closed_order_offers_no_review_action_and_is_refused_one(
    client: TestClient, seeded: Seeded
) -> None:
    """Cancelled in review, shipped (A-2) or closed by the platform: the page offers no button and says why,
    in the reader's language, in the words the server refuses with when a form (or the API) asks anyway."""
    a = seeded.shop_ids[SHOP_A]
    act(seeded.engine, "cancel", [(a, "A-1")], utc_now(), "system", "买家要求取消")
    with seeded.engine.begin() as conn:
        conn.execute(s.orders.update().where(s.orders.c.order_no == "A-3").values(status="refunded"))
    sign_in(client, "alice")
    why = {
        "A-1": "审单已取消，不能再通过、暂停或合单",
        "A-2": "订单已发货，只有已付款、未发货的订单可以审单",
        "A-3": "订单已退款，只有已付款、未发货的订单可以审单",
    }
    for order_no, text in why.items():
        html = client.get(f"/orders/{a}/{order_no}").text
        assert 'id="review"' in html and review_buttons(html) == [], order_no
        assert re.search(rf'<p class="muted" id="review-none">{text}</p>', html), order_no
    url = f"/orders/{a}/A-1"
    form = {"action": "hold", "keys": f"{a}:A-1", "back": url, "csrf_token": csrf_of(client.get(url).text)}
    refused = client.post("/review/actions", data=form).text  # a form kept open, or made by hand
    assert 'class="alert" role="status" id="flash"' in refused and f"A-1: {why['A-1']}" in refused
    assert "cancelled in review" not in refused  # the reader's language only
    assert states(seeded.engine)[(a, "A-1")] == "cancelled"
    for order_no in ("A-2", "A-3"):
        refused = client.post("/review/actions", data={**form, "keys": f"{a}:{order_no}"}).text
        assert f"{order_no}: {why[order_no]}" in refused
    assert (a, "A-2") not in states(seeded.engine) and (a, "A-3") not in states(seeded.engine)
    client.cookies.set("lang", "en")
    english = client.get(url).text
    assert "cancelled in review: it can no longer be accepted, held or merged" in english
    assert "订单" not in english.split('id="review-none">')[1].split("</p>")[0]
    api_refused = api(
        client, seeded, "alice", "POST", "/api/v1/orders/actions", json={"action": "hold", "ids": ["A-1"]}
    )
    assert api_refused.status_code == 409 and "cancelled in review" in api_refused.json()["error"]["message"]
    assert states(seeded.engine)[(a, "A-1")] == "cancelled"


def test_roles_that_may_not_review_see_no_review_actions(client: TestClient, seeded: Seeded) -> None:
    a = seeded.shop_ids[SHOP_A]
    act(seeded.engine, "hold", [(a, "A-1")], utc_now(), "system", "买家留言")
    sign_in(client, "carol")  # customer service reads orders, does not review them
    html = client.get(f"/orders/{a}/A-1").text
    assert 'id="review"' not in html and 'action="/review/actions"' not in html


def test_the_review_table_has_a_check_all_box(client: TestClient, seeded: Seeded) -> None:
    a = seeded.shop_ids[SHOP_A]
    act(seeded.engine, "hold", [(a, "A-1"), (a, "A-3")], utc_now(), "system", "缺货")
    sign_in(client, "alice")
    html = client.get("/review").text
    assert 'data-check-all="keys"' in html and '<script src="/static/check_all.js" defer></script>' in html
    assert "<script>" not in html  # no inline script: the CSP forbids it
    assert client.get("/static/check_all.js").status_code == 200


def test_roles_without_review_or_ship_rights_get_403_pages(client: TestClient, seeded: Seeded) -> None:
    sign_in(client, "carol")
    assert client.get("/review").status_code == 403
    assert client.get("/ship").status_code == 403
    assert 'href="/review"' not in client.get("/").text


# --- ship ----------------------------------------------------------------------------------------------


@needs_font
def test_api_ship_prints_labels_for_the_callers_shops_only(
    client: TestClient, seeded: Seeded, tmp_path: Path
) -> None:
    refused = api(client, seeded, "alice", "POST", "/api/v1/ship", json={})
    assert refused.status_code == 409 and "carriers load" in refused.json()["error"]["message"]
    ship_ready(seeded.engine, tmp_path)
    accept(seeded, SHOP_A, "A-1", "A-3")
    accept(seeded, SHOP_B, "B-1")
    shipped = api(client, seeded, "alice", "POST", "/api/v1/ship", json={"carrier": "zto"})
    assert shipped.status_code == 200, shipped.text
    body = shipped.json()
    assert body["shipped"] == 2 and body["failed"] == 0
    assert {o for item in body["shipments"] for o in item["orders"]} == {"A-1", "A-3"}
    assert body["labels"] == f"/api/v1/labels/{body['label_id']}"
    pdf = api(client, seeded, "alice", "GET", body["labels"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # shop B's operator cannot print shop A's labels, nor ship A's orders by name
    assert api(client, seeded, "dave", "GET", body["labels"]).status_code == 404
    assert api(client, seeded, "bob", "GET", body["labels"]).status_code == 403
    dave = api(client, seeded, "dave", "POST", "/api/v1/ship", json={"orders": ["A-1", "B-1"]})
    assert dave.status_code == 200 and [i["orders"] for i in dave.json()["shipments"]] == [["B-1"]]
    assert api(client, seeded, "alice", "GET", "/api/v1/labels/..%2F..%2Fetc").status_code == 404


def _deadline_is_local(seeded: Seeded, page: str, key: str) -> None:
    """The row's pickup deadline in its shop's zone, with the year, marked when overdue."""
    from lanshou.orders.queries import to_local
    from lanshou.review.queries import ready_shipments
    from lanshou.shops.store import load_shops

    shop_id, order_no = key.split(":")
    with seeded.engine.connect() as conn:
        shipment = next(s for s in ready_shipments(conn, shop_ids=[int(shop_id)]) if order_no in s.order_nos)
        zone = load_shops(conn)[int(shop_id)].timezone
    assert shipment.pickup_deadline is not None
    row = page.split(f'data-shipment="{key}"')[1].split("</tr>")[0]
    assert f"{to_local(shipment.pickup_deadline, zone):%Y-%m-%d %H:%M}" in row
    assert ("已超时" in row) == (shipment.pickup_deadline < utc_now())


@needs_font
def test_ship_page_ships_checked_orders_and_opens_the_labels(
    client: TestClient, seeded: Seeded, tmp_path: Path
) -> None:
    a, b = seeded.shop_ids[SHOP_A], seeded.shop_ids[SHOP_B]
    sign_in(client, "alice")
    assert 'id="no-config"' in client.get("/ship").text
    ship_ready(seeded.engine, tmp_path)
    accept(seeded, SHOP_A, "A-1", "A-3")
    accept(seeded, SHOP_B, "B-1")
    page = client.get("/ship")
    assert f'data-shipment="{a}:A-1"' in page.text and f'data-shipment="{b}:B-1"' not in page.text
    assert "13812345678" not in page.text and "文三路" not in page.text  # no receiver data in the list
    _deadline_is_local(seeded, page.text, f"{a}:A-1")
    token = csrf_of(page.text)
    sneaky = client.post("/ship", data={"keys": [f"{b}:B-1"], "csrf_token": token})
    assert sneaky.status_code == 404
    assert client.post("/ship", data={"keys": [f"{a}:A-1"]}).status_code == 403  # no CSRF token
    done = client.post(
        "/ship", data={"keys": [f"{a}:A-1"], "carrier": "auto", "size": "76x130", "csrf_token": token}
    )
    assert done.status_code == 200 and 'id="labels-link"' in done.text
    link = done.text.split('id="labels-link" href="')[1].split('"')[0]
    pdf = client.get(link)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline")
    with seeded.engine.connect() as conn:
        status = dict(
            conn.execute(select(s.orders.c.order_no, s.orders.c.status).where(s.orders.c.shop_id == a)).all()
        )
    assert status["A-1"] == "shipped" and status["A-3"] == "paid"
    # the labels are shop A's: dave (shop B) gets 404 for the same link
    client.cookies.clear()
    sign_in(client, "dave")
    assert client.get(link).status_code == 404


def test_an_order_number_two_granted_shops_share_needs_the_shop(client: TestClient, seeded: Seeded) -> None:
    a = seeded.shop_ids[SHOP_A]
    body = {"action": "hold", "ids": ["SAME-1"], "reason": "check"}
    both = api(client, seeded, "boss", "POST", "/api/v1/orders/actions", json=body)
    assert both.status_code == 409 and both.json()["error"]["code"] == "ambiguous_order"
    one = api(client, seeded, "boss", "POST", "/api/v1/orders/actions", params={"shop": SHOP_A}, json=body)
    assert one.status_code == 200 and one.json()["items"][0]["shop_id"] == a
    assert states(seeded.engine) == {(a, "SAME-1"): "held"}
    # alice naming shop B is told it does not exist
    other = api(client, seeded, "alice", "POST", "/api/v1/orders/actions", params={"shop": SHOP_B}, json=body)
    assert other.status_code == 404 and other.json()["error"]["code"] == "shop_not_found"


def test_review_and_ship_pages_speak_english(client: TestClient, seeded: Seeded) -> None:
    sign_in(client, "alice")
    client.cookies.set("lang", "en")
    assert "<h1>Review</h1>" in client.get("/review").text
    assert "<h1>Ship</h1>" in client.get("/ship").text


@needs_font
def test_ship_page_lists_each_part_of_a_split_order_and_ships_them_all(
    client: TestClient, seeded: Seeded, tmp_path: Path
) -> None:
    from lanshou.review.splitting import split_order

    a = seeded.shop_ids[SHOP_A]
    with seeded.engine.begin() as conn:  # A-1 gets a second line (SKU-1 is stocked too)
        conn.execute(
            s.order_lines.insert(),
            {
                "shop_id": a,
                "order_no": "A-1",
                "line_key": "L2",
                "sku": "SKU-1",
                "title": "杯套",
                "quantity": 1,
            },
        )
    ship_ready(seeded.engine, tmp_path)
    accept(seeded, SHOP_A, "A-1")
    split_order(seeded.engine, (a, "A-1"), [[2]], utc_now(), "alice", "杯套先发")
    sign_in(client, "alice")
    page = client.get("/ship")
    assert page.text.count(f'data-shipment="{a}:A-1"') == 2
    assert 'data-part="1"' in page.text and 'data-part="2"' in page.text and "拆单包裹 2" in page.text
    token = csrf_of(page.text)
    done = client.post("/ship", data={"keys": [f"{a}:A-1"], "csrf_token": token})
    assert done.status_code == 200 and 'id="labels-link"' in done.text
    with seeded.engine.connect() as conn:
        link = s.parcel_orders.c
        parcels = conn.execute(
            select(link.tracking_no).where(link.shop_id == a, link.order_no == "A-1")
        ).all()
        assert len(parcels) == 2
        assert (
            conn.execute(select(s.orders.c.status).where(s.orders.c.order_no == "A-1")).scalar_one()
            == "shipped"
        )
