"""The follow-up and buyer routes of the API on SQLite and PostgreSQL: each answers the objects of its CLI
command (`lanshou followups|buyers … --json`) on the same database, paged by cursor, over the caller's
shops only; acting needs the after-sales permission and records the caller; refusals carry the area's
reason and change nothing; buyer data is masked unless asked for by a role that may see it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.orders.timeline import read
from tests.accounts_data import SHOP_B
from tests.cs_data import SPANNING_BUYER, Desk, seed_desk
from tests.test_web_cs import cli_json


@pytest.fixture
def desk(engine: Engine, tmp_path: Path) -> Desk:
    return seed_desk(engine, tmp_path)


@pytest.fixture
def client(desk: Desk) -> Iterator[TestClient]:
    with TestClient(create_app(desk.engine, AppSettings.for_tests()), base_url="https://testserver") as c:
        yield c


def call(client: TestClient, desk: Desk, who: str, method: str, url: str, **kwargs: Any) -> Any:
    return client.request(method, url, headers={"Authorization": f"Bearer {desk.both.token(who)}"}, **kwargs)


def items(client: TestClient, desk: Desk, who: str, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list route, page by page (`limit` items a page)."""
    found: list[dict[str, Any]] = []
    while True:
        response = call(client, desk, who, "GET", url, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        found.extend(page["items"])
        if page["next"] is None:
            return found
        params = {**params, "cursor": page["next"]}


def test_followups_are_the_cli_json_over_the_callers_shops(client: TestClient, desk: Desk) -> None:
    every = cli_json(desk.engine, "followups", "list")
    assert items(client, desk, "boss", "/api/v1/followups") == every
    assert items(client, desk, "boss", "/api/v1/followups", limit=1) == every  # three pages of one
    assert items(client, desk, "bob", "/api/v1/followups") == cli_json(
        desk.engine, "followups", "list", "--shop", "抖音小店"
    )
    carols = items(client, desk, "carol", "/api/v1/followups")
    assert carols == cli_json(desk.engine, "followups", "list", "--shop", "tmall:旗舰店")
    assert [row["order_no"] for row in carols] == ["A-2"]
    overdue = items(client, desk, "boss", "/api/v1/followups", overdue=True, owner="")
    assert overdue == cli_json(desk.engine, "followups", "list", "--overdue", "--owner", "") == every
    missing = call(client, desk, "carol", "GET", "/api/v1/followups", params={"shop": SHOP_B})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "shop_not_found"
    assert client.get("/api/v1/followups").status_code == 401


def test_assign_and_close_answer_as_the_cli_and_record_the_caller(client: TestClient, desk: Desk) -> None:
    b1 = desk.followups["B-1"]
    url = f"/api/v1/followups/{b1}"
    for stranger in ("小王", "wang", "carol"):  # not a user; the warehouse's; another shop's: as on the page
        refused = call(client, desk, "bob", "POST", f"{url}/assign", json={"owner": stranger})
        assert refused.status_code == 409 and "may work follow-ups" in refused.json()["error"]["message"]
    assigned = call(client, desk, "bob", "POST", f"{url}/assign", json={"owner": "boss"})
    assert assigned.status_code == 200 and assigned.json()["owner"] == "boss"
    closed = call(client, desk, "bob", "POST", f"{url}/close", json={"outcome": "reshipped", "note": "补发"})
    assert closed.status_code == 200
    listed = {row["id"]: row for row in cli_json(desk.engine, "followups", "list", "--all")}[b1]
    assert closed.json() == listed
    assert (listed["status"], listed["outcome"], listed["closed_by"]) == ("closed", "reshipped", "bob")
    with desk.engine.connect() as conn:
        timeline = [(e.kind, e.actor) for e in read(conn, desk.shop_id(SHOP_B), "B-1")]
    assert ("followup_assigned", "bob") in timeline and ("followup_closed", "bob") in timeline

    again = call(client, desk, "bob", "POST", f"{url}/close", json={"outcome": "resolved"})
    assert again.status_code == 409 and "closed already" in again.json()["error"]["message"]
    unchanged = {row["id"]: row for row in cli_json(desk.engine, "followups", "list", "--all")}[b1]
    assert unchanged == listed


def test_followup_actions_need_the_role_and_the_shop(client: TestClient, desk: Desk) -> None:
    a2 = desk.followups["A-2"]
    before = cli_json(desk.engine, "followups", "list")
    wang = call(client, desk, "wang", "POST", f"/api/v1/followups/{a2}/assign", json={"owner": "x"})
    assert wang.status_code == 403
    bob = call(client, desk, "bob", "POST", f"/api/v1/followups/{a2}/close", json={"outcome": "resolved"})
    assert bob.status_code == 404 and bob.json()["error"]["code"] == "not_found"
    unknown = call(client, desk, "carol", "POST", f"/api/v1/followups/{a2}/close", json={"outcome": "fixed"})
    assert unknown.status_code == 422 and "unknown outcome" in unknown.json()["error"]["message"]
    assert client.post(f"/api/v1/followups/{a2}/close", json={"outcome": "resolved"}).status_code == 401
    assert cli_json(desk.engine, "followups", "list") == before


def test_buyers_are_the_cli_json_over_the_callers_shops(client: TestClient, desk: Desk) -> None:
    everyone = cli_json(desk.engine, "buyers", "list")
    assert items(client, desk, "boss", "/api/v1/buyers") == everyone
    assert items(client, desk, "boss", "/api/v1/buyers", limit=4) == everyone  # pages of four
    assert items(client, desk, "boss", "/api/v1/buyers", repeat=True) == cli_json(
        desk.engine, "buyers", "list", "--repeat"
    )
    complainers = cli_json(desk.engine, "buyers", "segment", "complainers")
    assert items(client, desk, "boss", "/api/v1/buyers", segment="complainers") == complainers
    nope = call(client, desk, "boss", "GET", "/api/v1/buyers", params={"segment": "nope"})
    assert nope.status_code == 404 and "no segment 'nope'" in nope.json()["error"]["message"]

    bobs = {b["key"]: b for b in items(client, desk, "bob", "/api/v1/buyers")}
    assert set(bobs) == {"douyin:b3", "douyin:b4", SPANNING_BUYER}
    assert (bobs["douyin:b3"], bobs["douyin:b4"]) == tuple(  # all their orders are bob's shop's: as stored
        next(b for b in everyone if b["key"] == key) for key in ("douyin:b3", "douyin:b4")
    )
    spanning = bobs[SPANNING_BUYER]  # C-1 in douyin/旗舰店 is not bob's shop's: B-2 alone is counted
    assert (spanning["orders"], spanning["spend"], spanning["shops"]) == (1, "88.00", [SHOP_B])
    assert SPANNING_BUYER not in {b["key"] for b in items(client, desk, "carol", "/api/v1/buyers")}


def test_one_buyer_is_the_cli_show_in_the_callers_shops(client: TestClient, desk: Desk) -> None:
    url = f"/api/v1/buyers/{SPANNING_BUYER}"
    whole = call(client, desk, "boss", "GET", url).json()
    assert whole == cli_json(desk.engine, "buyers", "show", SPANNING_BUYER)
    assert [o["order_no"] for o in whole["order_list"]] == ["C-1", "B-2"]
    assert call(client, desk, "boss", "GET", "/api/v1/buyers/B-2").json() == whole  # by an order number
    part = call(client, desk, "bob", "GET", url).json()
    assert [o["order_no"] for o in part["order_list"]] == ["B-2"]
    assert [f["order_no"] for f in part["feedback"]] == ["B-2"]  # C-1's bad review is another shop's
    for hidden in (url, "/api/v1/buyers/C-1", "/api/v1/buyers/nobody"):
        response = call(client, desk, "carol", "GET", hidden)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_an_order_number_of_two_shops_buyers_is_refused_until_the_shop_is_named(
    client: TestClient, desk: Desk
) -> None:
    """SAME-1 is an order of shop A (吴九) and of shop B (孙七): the owner must say which."""
    for method, url, body in (
        ("GET", "/api/v1/buyers/SAME-1", None),
        ("POST", "/api/v1/buyers/SAME-1/blacklist", {"reason": "恶意退款"}),
    ):
        refused = call(client, desk, "boss", method, url, json=body)
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "ambiguous_buyer"
        message = refused.json()["error"]["message"]
        assert "tmall/旗舰店" in message and "douyin/抖音小店" in message and "?shop=" in message, message
    assert cli_json(desk.engine, "buyers", "list", "--blacklisted") == []
    named = call(client, desk, "boss", "GET", "/api/v1/buyers/SAME-1", params={"shop": SHOP_B}).json()
    assert named["name"] == "孙*" and [o["order_no"] for o in named["order_list"]] == ["SAME-1"]
    carols = call(client, desk, "carol", "GET", "/api/v1/buyers/SAME-1").json()  # only shop A's is hers
    assert carols["name"] == "吴*"


def test_buyer_data_is_masked_unless_asked_by_a_role_that_may_see_it(client: TestClient, desk: Desk) -> None:
    url = f"/api/v1/buyers/{SPANNING_BUYER}"
    masked = call(client, desk, "bob", "GET", url).json()
    assert (masked["name"], masked["phone"]) == ("周*", "134****5555")
    full = call(client, desk, "bob", "GET", url, params={"unmask": True}).json()
    assert (full["name"], full["phone"]) == ("周八", "13400005555")
    for route in (url, "/api/v1/buyers"):
        refused = call(client, desk, "wang", "GET", route, params={"unmask": True})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert items(client, desk, "boss", "/api/v1/buyers", unmask=True) == cli_json(
        desk.engine, "buyers", "list", "--unmask"
    )


def test_blacklist_acts_as_the_cli_with_the_caller_as_who(client: TestClient, desk: Desk) -> None:
    url = f"/api/v1/buyers/{SPANNING_BUYER}/blacklist"
    refused = call(client, desk, "bob", "POST", url, json={"reason": "  "})
    assert refused.status_code == 409 and "needs a reason" in refused.json()["error"]["message"]
    assert cli_json(desk.engine, "buyers", "list", "--blacklisted") == []
    assert call(client, desk, "wang", "POST", url, json={"reason": "x"}).status_code == 403
    assert call(client, desk, "carol", "POST", url, json={"reason": "x"}).status_code == 404  # not hers
    assert cli_json(desk.engine, "buyers", "list", "--blacklisted") == []

    done = call(client, desk, "bob", "POST", url, json={"reason": "恶意退款"})
    assert done.status_code == 200
    answer = done.json()
    assert (answer["blacklisted"], answer["blacklist_reason"], answer["blacklisted_by"]) == (
        True,
        "恶意退款",
        "bob",
    )
    assert answer["spend"] == "88.00"  # as bob sees the buyer
    shown = cli_json(desk.engine, "buyers", "show", SPANNING_BUYER)
    assert (shown["blacklisted"], shown["blacklisted_by"]) == (True, "bob")
    removed = call(client, desk, "boss", "POST", url, json={"remove": True})
    assert removed.json() == {
        k: v
        for k, v in cli_json(desk.engine, "buyers", "show", SPANNING_BUYER).items()
        if k not in ("order_list", "feedback")
    }
    assert (removed.json()["blacklisted"], removed.json()["blacklisted_by"]) == (False, "boss")
