"""The after-sales API on SQLite and PostgreSQL: each route answers the JSON of its `lanshou aftersales`
command on the same database, over the caller's shops only; acting takes customer service's permission,
lands in the order's timeline with the caller's name, and a refused step changes nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from lanshou.aftersales.service import show_json
from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.cli.app import app as cli_app
from tests.accounts_data import SHOP_A, SHOP_B, Seeded
from tests.aftersales_web_data import A1_MASKED, A1_PHONE, SHOP_A_CASES, return_parcel_moves, seed_cases

runner = CliRunner()
CASE_FIELDS = ("history", "timeline", "return_parcel")  # what `show` adds to a case of the list


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    return seed_cases(engine, tmp_path)


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.engine, AppSettings.for_tests()), base_url="https://testserver") as c:
        yield c


def call(client: TestClient, seeded: Seeded, who: str, method: str, url: str, **kwargs: Any) -> Any:
    return client.request(method, url, headers={"Authorization": f"Bearer {seeded.tokens[who]}"}, **kwargs)


def get_json(client: TestClient, seeded: Seeded, who: str, url: str, **params: Any) -> Any:
    response = call(client, seeded, who, "GET", url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def cli_json(engine: Engine, *args: str) -> Any:
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(cli_app, ["aftersales", *args, "--json"], env={"LANSHOU_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def numbers(page: dict[str, Any]) -> list[str]:
    return [case["case_no"] for case in page["items"]]


def test_list_and_detail_are_the_cli_json(client: TestClient, seeded: Seeded) -> None:
    everything = get_json(client, seeded, "boss", "/api/v1/aftersales")
    assert everything == {"items": cli_json(seeded.engine, "list"), "next": None}
    assert len(everything["items"]) == 7
    carols = get_json(client, seeded, "carol", "/api/v1/aftersales")
    assert numbers(carols) == SHOP_A_CASES
    assert carols["items"] == cli_json(seeded.engine, "list", "--shop", "tmall:旗舰店")
    for case_no in ("AS-1", "AS-3"):
        assert get_json(client, seeded, "carol", f"/api/v1/aftersales/{case_no}") == cli_json(
            seeded.engine, "show", case_no
        )


def test_the_cli_filters_over_the_callers_shops(client: TestClient, seeded: Seeded) -> None:
    returns = get_json(client, seeded, "carol", "/api/v1/aftersales", type="return_refund")
    assert numbers(returns) == ["AS-2", "AS-3"]
    assert returns["items"] == cli_json(seeded.engine, "list", "--type", "return_refund")
    both = get_json(
        client,
        seeded,
        "boss",
        "/api/v1/aftersales",
        type=["return_refund", "refund_unshipped"],
        status="returned",
    )
    assert numbers(both) == ["AS-3"]
    assert numbers(get_json(client, seeded, "bob", "/api/v1/aftersales", order_id="SAME-1")) == ["DUP-1"]
    unfinished = get_json(client, seeded, "carol", "/api/v1/aftersales", open="true")
    assert numbers(unfinished) == SHOP_A_CASES[:-1]  # not the closed AS-0
    assert unfinished["items"] == cli_json(seeded.engine, "list", "--shop", "tmall:旗舰店", "--open")
    assert numbers(get_json(client, seeded, "boss", "/api/v1/aftersales", shop=SHOP_B)) == ["DUP-1", "BS-1"]
    bad = call(client, seeded, "boss", "GET", "/api/v1/aftersales", params={"type": "gift"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"


def test_cursor_pages_through_every_case_once(client: TestClient, seeded: Seeded) -> None:
    expected = numbers(get_json(client, seeded, "boss", "/api/v1/aftersales"))
    seen: list[str] = []
    cursor = None
    while True:
        page = get_json(
            client, seeded, "boss", "/api/v1/aftersales", limit=4, **({"cursor": cursor} if cursor else {})
        )
        seen += numbers(page)
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == expected and len(seen) == 7
    forged = call(client, seeded, "boss", "GET", "/api/v1/aftersales", params={"cursor": "bm9wZQ"})
    assert forged.status_code == 422 and forged.json()["error"]["code"] == "invalid_cursor"


def _cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "UTC"])
def test_a_cursor_with_an_offset_is_the_instant_it_names(
    client: TestClient, seeded: Seeded, zone: str
) -> None:
    """A client that writes the cursor's time with its own offset (the same instant) gets the same page."""
    first = get_json(client, seeded, "boss", "/api/v1/aftersales", limit=2)
    position = json.loads(base64.urlsafe_b64decode(first["next"] + "=" * (-len(first["next"]) % 4)))
    after = get_json(client, seeded, "boss", "/api/v1/aftersales", limit=3, cursor=first["next"])
    cases = [[(c["case_no"], c["shop"]) for c in page["items"]] for page in (first, after)]
    assert cases[1] and not set(cases[0]) & set(cases[1])  # the page after the first, none repeated
    moment = datetime.fromisoformat(position["at"]).replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    by_hand = _cursor({"at": moment.isoformat(), "id": position["id"]})
    assert get_json(client, seeded, "boss", "/api/v1/aftersales", limit=3, cursor=by_hand) == after


@pytest.mark.parametrize(
    "position",
    [
        {"at": "yesterday", "id": 3},
        {"at": "0001-01-01T00:00:00+08:00", "id": 3},  # before year 1 in UTC: no time at all
        {"at": "9999-12-31T23:00:00-05:00", "id": 3},  # after year 9999 in UTC
        {"at": "2026-11-02T09:00:00+08:00", "id": 0},
    ],
)
def test_a_cursor_that_names_no_position_is_refused(
    client: TestClient, seeded: Seeded, position: dict[str, Any]
) -> None:
    refused = call(client, seeded, "boss", "GET", "/api/v1/aftersales", params={"cursor": _cursor(position)})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "invalid_cursor" and "pass the `next` of a previous page" in error["message"]


def test_times_are_iso_8601_with_an_explicit_offset(
    client: TestClient, seeded: Seeded, tmp_path: Path
) -> None:
    """The pages show a shop's local time; the JSON keeps UTC, saying so, so no client reads a UTC time as
    the shop's own (or its own)."""
    return_parcel_moves(seeded.engine, tmp_path)
    items = get_json(client, seeded, "carol", "/api/v1/aftersales")["items"]
    case = get_json(client, seeded, "carol", "/api/v1/aftersales/AS-3")
    times = [
        *(c[name] for c in items for name in ("requested_at", "updated_at")),
        *(entry["at"] for entry in (*case["history"], *case["timeline"], case["return_parcel"])),
    ]
    for text in times:
        assert datetime.fromisoformat(text).utcoffset() == timedelta(0), text
    # the file said 09:00 (the shop's Asia/Shanghai), the scan 10:00: both UTC, with their offset
    assert case["requested_at"] == "2026-11-04 01:00:00+00:00"
    assert case["return_parcel"]["at"] == "2026-11-05 02:00:00+00:00"


def test_another_shops_case_does_not_exist_for_the_caller(client: TestClient, seeded: Seeded) -> None:
    before = show_json(seeded.engine, "BS-1")
    assert call(client, seeded, "carol", "GET", "/api/v1/aftersales/BS-1").status_code == 404
    for step, body in (("agree", {}), ("refuse", {"reason": "x"}), ("receive", {"disposition": "restock"})):
        refused = call(client, seeded, "carol", "POST", f"/api/v1/aftersales/BS-1/{step}", json=body)
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found", refused.text
    assert show_json(seeded.engine, "BS-1") == before
    assert "BS-1" not in numbers(get_json(client, seeded, "carol", "/api/v1/aftersales"))
    named = call(client, seeded, "carol", "GET", "/api/v1/aftersales", params={"shop": SHOP_B})
    assert named.status_code == 404 and named.json()["error"]["code"] == "shop_not_found"
    # DUP-1 is a case of two shops: carol sees hers, the owner must name one
    assert get_json(client, seeded, "carol", "/api/v1/aftersales/DUP-1")["order_no"] == "SAME-1"
    shared = call(client, seeded, "boss", "GET", "/api/v1/aftersales/DUP-1")
    assert shared.status_code == 409 and shared.json()["error"]["code"] == "ambiguous_case"
    assert "?shop=" in shared.json()["error"]["message"]
    assert get_json(client, seeded, "boss", "/api/v1/aftersales/DUP-1", shop=SHOP_B)["shop"] == "抖音小店"


@pytest.mark.parametrize("who", ["wang", "alice"])  # warehouse, operator: they read, they may not decide
def test_only_customer_service_agrees(client: TestClient, seeded: Seeded, who: str) -> None:
    assert numbers(get_json(client, seeded, who, "/api/v1/aftersales"))  # reading is every role's
    before = show_json(seeded.engine, "AS-1")
    forbidden = call(client, seeded, who, "POST", "/api/v1/aftersales/AS-1/agree")
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    assert show_json(seeded.engine, "AS-1") == before


def test_the_warehouse_receives_a_return_and_only_that(client: TestClient, seeded: Seeded) -> None:
    """The warehouse opens returned parcels: it records the inspection; agreeing or refusing is not its."""
    before = show_json(seeded.engine, "AS-3")
    for step, body in (("agree", {}), ("refuse", {"reason": "破损"})):
        refused = call(client, seeded, "wang", "POST", f"/api/v1/aftersales/AS-3/{step}", json=body)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert show_json(seeded.engine, "AS-3") == before
    operator = call(
        client, seeded, "alice", "POST", "/api/v1/aftersales/AS-3/receive", json={"disposition": "restock"}
    )
    assert operator.status_code == 403 and show_json(seeded.engine, "AS-3") == before
    received = call(
        client, seeded, "wang", "POST", "/api/v1/aftersales/AS-3/receive", json={"disposition": "restock"}
    )
    assert received.status_code == 200, received.text
    assert (received.json()["status"], received.json()["disposition"]) == ("received", "restock")
    assert received.json()["receiver"]["phone"] == "137****2222"  # masked for the warehouse
    assert show_json(seeded.engine, "AS-3")["history"][-1]["actor"] == "wang"


def test_a_warehouse_receives_only_in_its_own_shops(client: TestClient, seeded: Seeded) -> None:
    from lanshou.accounts.roles import Role
    from lanshou.accounts.service import add_user, issue_token
    from tests.accounts_data import PASSWORD

    add_user(seeded.engine, "li", PASSWORD, Role.WAREHOUSE, [SHOP_B])  # shop B's warehouse only
    headers = {"Authorization": f"Bearer {issue_token(seeded.engine, 'li')}"}
    before = show_json(seeded.engine, "AS-3")
    for params in ({}, {"shop": SHOP_A}):
        refused = client.post(
            "/api/v1/aftersales/AS-3/receive", params=params, json={"disposition": "restock"}, headers=headers
        )
        assert refused.status_code == 404, refused.text
    assert show_json(seeded.engine, "AS-3") == before


def test_steps_change_the_case_as_the_cli_does_and_land_in_the_timeline(
    client: TestClient, seeded: Seeded
) -> None:
    agreed = call(client, seeded, "carol", "POST", "/api/v1/aftersales/AS-1/agree", json={"reason": "核实"})
    assert agreed.status_code == 200, agreed.text
    shown = show_json(seeded.engine, "AS-1")
    assert agreed.json() == {k: v for k, v in shown.items() if k not in CASE_FIELDS}
    # the same step on a case just like it (refund before shipping, requested), by the CLI
    by_cli = cli_json(seeded.engine, "agree", "BS-1", "--by", "bob", "--reason", "核实")
    cli_shown = show_json(seeded.engine, "BS-1")
    assert (
        (agreed.json()["status"], agreed.json()["steps"])
        == (by_cli["status"], by_cli["steps"])
        == ("agreed", [])
    )
    step, cli_step = shown["history"][-1], cli_shown["history"][-1]
    assert (step["actor"], cli_step["actor"]) == ("carol", "bob")
    assert {k: v for k, v in step.items() if k not in ("at", "actor")} == {
        k: v for k, v in cli_step.items() if k not in ("at", "actor")
    }
    entry = shown["timeline"][-1]
    assert (entry["kind"], entry["actor"]) == ("aftersale_agree", "carol") and "核实" in entry["detail"]

    refused = call(
        client, seeded, "carol", "POST", "/api/v1/aftersales/AS-2/refuse", json={"reason": "已超时"}
    )
    assert refused.json()["status"] == "refused"
    assert show_json(seeded.engine, "AS-2")["timeline"][-1]["actor"] == "carol"

    received = call(
        client, seeded, "carol", "POST", "/api/v1/aftersales/AS-3/receive", json={"disposition": "write_off"}
    )
    assert (received.json()["status"], received.json()["disposition"]) == ("received", "write_off")
    timeline = show_json(seeded.engine, "AS-3")["timeline"]
    inspected = next(e for e in timeline if e["kind"] == "aftersale_receive")  # the ledger's entry follows it
    assert inspected["actor"] == "carol" and "write_off" in inspected["detail"]


@pytest.mark.parametrize(
    ("case_no", "step", "body", "reason"),
    [
        ("AS-3", "agree", {}, "cannot 'agree_return' a case that is 'returned'"),
        ("AS-1", "receive", {"disposition": "restock"}, "a refund_unshipped case has no 'receive' step"),
        ("AS-1", "refuse", {"reason": "\x1c"}, "refusing a case needs a reason"),
    ],
)
def test_a_refused_step_says_why_and_changes_nothing(
    client: TestClient, seeded: Seeded, case_no: str, step: str, body: dict[str, str], reason: str
) -> None:
    before = show_json(seeded.engine, case_no)
    refused = call(client, seeded, "carol", "POST", f"/api/v1/aftersales/{case_no}/{step}", json=body)
    assert refused.status_code == 409, refused.text
    assert (
        refused.json()["error"]["code"] == "aftersale_refused"
        and reason in refused.json()["error"]["message"]
    )
    assert show_json(seeded.engine, case_no) == before


@pytest.mark.parametrize(
    ("step", "body"),
    [("refuse", {}), ("refuse", {"reason": "  "}), ("receive", {}), ("receive", {"disposition": "keep"})],
)
def test_a_body_the_cli_would_not_take_is_invalid(
    client: TestClient, seeded: Seeded, step: str, body: dict[str, str]
) -> None:
    before = show_json(seeded.engine, "AS-3")
    invalid = call(client, seeded, "carol", "POST", f"/api/v1/aftersales/AS-3/{step}", json=body)
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "invalid_request", invalid.text
    assert show_json(seeded.engine, "AS-3") == before


def test_buyers_are_masked_unless_the_role_may_see_them(client: TestClient, seeded: Seeded) -> None:
    for url in ("/api/v1/aftersales", "/api/v1/aftersales/AS-1"):
        for who in ("wang", "carol"):  # masked by default, as the orders routes
            text = call(client, seeded, who, "GET", url).text
            assert A1_MASKED in text and A1_PHONE not in text
        refused = call(client, seeded, "wang", "GET", url, params={"unmask": "true"})
        assert refused.status_code == 403, refused.text
        assert A1_PHONE in call(client, seeded, "carol", "GET", url, params={"unmask": "true"}).text
    whole = get_json(client, seeded, "carol", "/api/v1/aftersales/AS-1", unmask="true")
    assert whole == cli_json(seeded.engine, "show", "AS-1", "--unmask")
    assert whole["receiver"] == {
        "name": "张三",
        "phone": A1_PHONE,
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "address": "文三路1号",
        "masked": False,
    }
    masked = get_json(client, seeded, "carol", "/api/v1/aftersales", shop=SHOP_A)["items"][-1]["receiver"]
    assert (masked["name"], masked["phone"], masked["masked"]) == ("张*", A1_MASKED, True)


def test_a_return_parcel_is_the_cli_track_for_its_shops_users(
    client: TestClient, seeded: Seeded, tmp_path: Path
) -> None:
    assert call(client, seeded, "carol", "GET", "/api/v1/tracking/RT900").status_code == 404  # no event yet
    return_parcel_moves(seeded.engine, tmp_path)
    url = seeded.engine.url.render_as_string(hide_password=False)
    shown = runner.invoke(cli_app, ["tracking", "show", "RT900", "--json"], env={"LANSHOU_DATABASE_URL": url})
    assert get_json(client, seeded, "carol", "/api/v1/tracking/RT900") == json.loads(shown.stdout)
    assert call(client, seeded, "bob", "GET", "/api/v1/tracking/RT900").status_code == 404


def test_the_buyers_return_parcel_is_recorded_as_on_the_case_page(client: TestClient, seeded: Seeded) -> None:
    """POST …/return: the carrier and tracking number the buyer told customer service, validated (a known
    carrier, a number), by a role that manages or receives cases; 待买家退货 → 买家已退货 under its name."""
    url = "/api/v1/aftersales/AS-2/return"
    parcel = {"carrier": "中通", "tracking_no": "RT778"}
    early = call(client, seeded, "carol", "POST", url, json=parcel)
    assert early.status_code == 409, early.text  # requested: the return has not been agreed yet
    assert call(client, seeded, "carol", "POST", "/api/v1/aftersales/AS-2/agree").status_code == 200
    assert call(client, seeded, "alice", "POST", url, json=parcel).status_code == 403  # an operator
    before = show_json(seeded.engine, "AS-2")
    for body in (
        {"carrier": "zto", "tracking_no": ""},
        {"carrier": "zto", "tracking_no": "RT 1"},
        {"carrier": "zto"},
    ):
        assert call(client, seeded, "carol", "POST", url, json=body).status_code == 422, body
    unknown = call(client, seeded, "carol", "POST", url, json={"carrier": "nobody", "tracking_no": "RT778"})
    assert unknown.status_code == 409 and "nobody" in unknown.text
    assert show_json(seeded.engine, "AS-2") == before
    done = call(client, seeded, "wang", "POST", url, json={**parcel, "reason": "买家来电"})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["return_carrier"], done.json()["return_tracking_no"]) == (
        "returned",
        "zto",
        "RT778",
    )
    step = show_json(seeded.engine, "AS-2")["history"][-1]
    assert (step["actor"], step["action"]) == ("wang", "buyer_return") and "买家来电" in step["detail"]


RESHIP_CASES = [
    "tmall,旗舰店,RS-1,A-3,reship,requested,少件,0.00,2026-11-06 09:00:00,,",
    "douyin,抖音小店,RS-2,B-1,reship,agreed,少件,0.00,2026-11-06 09:00:00,,",
    "tmall,旗舰店,EX-2,A-1,exchange,received,尺码不合适,0.00,2026-11-04 09:00:00,zto,RT902",
]


def test_reship_is_the_case_pages_step_for_customer_service(
    client: TestClient, seeded: Seeded, tmp_path: Path
) -> None:
    """POST …/reship: 已发出, taken as the page takes it (aftersales.manage, the caller's shops), the answer
    the CLI's --json; refused with the reason, nothing changed, where the case does not allow it."""
    from tests.aftersales_web_data import add_cases

    add_cases(seeded.engine, tmp_path, RESHIP_CASES)
    url = "/api/v1/aftersales/RS-1/reship"
    before = show_json(seeded.engine, "RS-1")
    early = call(client, seeded, "carol", "POST", url, json={"reason": "已寄出"})
    assert early.status_code == 409 and early.json()["error"]["code"] == "aftersale_refused", early.text
    assert "cannot 'reship' a case that is 'requested'" in early.json()["error"]["message"]
    # the replacement is the outbound order the inspection creates: nothing to send before it
    pending = call(client, seeded, "carol", "POST", "/api/v1/aftersales/EX-2/reship")
    assert pending.status_code == 409 and "inspect the returned goods first" in pending.text
    assert show_json(seeded.engine, "RS-1") == before
    assert call(client, seeded, "carol", "POST", "/api/v1/aftersales/RS-1/agree").status_code == 200
    agreed = show_json(seeded.engine, "RS-1")
    assert agreed["steps"] == ["reship"]
    for who in ("wang", "alice"):  # the warehouse and an operator read the case, they do not decide
        forbidden = call(client, seeded, who, "POST", url, json={"reason": "已寄出"})
        assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    other = call(client, seeded, "bob", "POST", url)  # shop B's customer service: not his shop's case
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    theirs = call(client, seeded, "carol", "POST", "/api/v1/aftersales/RS-2/reship")
    assert theirs.status_code == 404
    assert (
        show_json(seeded.engine, "RS-1") == agreed and show_json(seeded.engine, "RS-2")["status"] == "agreed"
    )
    done = call(client, seeded, "carol", "POST", url, json={"reason": "顺丰已发"})
    assert done.status_code == 200, done.text
    shown = show_json(seeded.engine, "RS-1")
    assert done.json() == {k: v for k, v in shown.items() if k not in CASE_FIELDS}
    assert (shown["status"], shown["steps"]) == ("reshipped", [])
    step = shown["history"][-1]
    assert (step["actor"], step["action"], step["detail"]) == ("carol", "reship", "顺丰已发")
    # the goods went another way: the case's outbound order, waiting to ship, is withdrawn (no second parcel)
    last = [(entry["kind"], entry["actor"]) for entry in shown["timeline"][-2:]]
    assert last == [("aftersale_reship", "carol"), ("aftersale_outbound_cancelled", "system")]
    again = call(client, seeded, "carol", "POST", url)
    assert again.status_code == 409 and "'reshipped'" in again.text
    # shop B's case, by shop B's own customer service
    assert (
        call(client, seeded, "bob", "POST", "/api/v1/aftersales/RS-2/reship").json()["status"] == "reshipped"
    )
