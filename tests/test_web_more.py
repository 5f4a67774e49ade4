"""Stock, notification log, carrier scorecard and rule pages and their API routes (SQLite and PostgreSQL):
the JSON of the CLI commands, role checks, and shop scoping where the data belongs to a shop."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.cli.app import app as cli_app
from lanshou.inventory.counts import adjust
from lanshou.inventory.mapping import ALL_SHOPS, save_mappings
from lanshou.rules.store import add_rule, list_rules
from lanshou.shipping.store import measured_lanes
from tests.accounts_data import SHOP_A, SHOP_B, SHOP_C, Seeded, seed
from tests.inventory_data import put_stock
from tests.test_web_pages import csrf_of, sign_in
from tests.web2_data import Both, seed_both

runner = CliRunner()
NOW = datetime(2026, 11, 20, 8, 0)


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    """Stock in two warehouses: CUP and BOWL sold by shop A (wang's), SKU-5 only by C, LAMP by no shop."""
    done = seed(engine, tmp_path)
    put_stock(engine, [("CUP", "main", 0), ("BOWL", "main", 0), ("SKU-5", "main", 7), ("LAMP", "east", 3)])
    adjust(engine, "CUP", "main", 50, NOW, "test")
    adjust(engine, "BOWL", "main", 1, NOW, "test")  # safety level 0 and 1 available: not low
    adjust(engine, "BOWL", "main", -1, NOW, "test")  # nothing available: low
    with engine.begin() as conn:
        save_mappings(conn, done.shop_ids[SHOP_A], "SKU-0", [("CUP", 1)])  # A's own mapping of order A-1
        save_mappings(conn, ALL_SHOPS, "SKU-2", [("BOWL", 1)])  # every shop's; only A's order A-3 carries it
    return done


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.engine, AppSettings.for_tests()), base_url="https://testserver") as c:
        yield c


def api(client: TestClient, seeded: Seeded, user: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {seeded.tokens[user]}"}
    method = "POST" if "json" in kwargs else "GET"
    return client.request(method, path, headers=headers, **kwargs)


def cli_json(seeded: Seeded, args: list[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("LANSHOU_DATABASE_URL", seeded.engine.url.render_as_string(hide_password=False))
    result = runner.invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- stock ---


def test_stock_api_is_the_cli_json_in_pages(
    client: TestClient, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = cli_json(seeded, ["stock", "list", "--json"], monkeypatch)
    assert api(client, seeded, "boss", "/api/v1/stock").json() == {"items": everything, "next": None}
    whole = api(client, seeded, "wang", "/api/v1/stock")
    assert whole.status_code == 200
    mine = [item for item in everything if item["sku"] in ("BOWL", "CUP")]
    assert whole.json() == {"items": mine, "next": None}
    first = api(client, seeded, "wang", "/api/v1/stock?limit=1").json()
    assert [i["sku"] for i in first["items"]] == ["BOWL"] and first["next"]
    second = api(client, seeded, "wang", f"/api/v1/stock?limit=1&cursor={first['next']}").json()
    assert [i["sku"] for i in second["items"]] == ["CUP"] and second["next"] is None
    low = api(client, seeded, "wang", "/api/v1/stock?low=true").json()["items"]
    assert [i["sku"] for i in low] == ["BOWL"]
    assert api(client, seeded, "wang", "/api/v1/stock?sku=CUP").json()["items"][0]["on_hand"] == 50


def test_stock_api_adjusts_and_refuses_going_below_zero(client: TestClient, seeded: Seeded) -> None:
    done = api(client, seeded, "wang", "/api/v1/stock/adjust", json={"sku": "CUP", "delta": -5})
    assert done.status_code == 200 and done.json() == {"sku": "CUP", "warehouse": "main", "on_hand": 45}
    refused = api(client, seeded, "wang", "/api/v1/stock/adjust", json={"sku": "CUP", "delta": -46})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "stock_refused"
    assert api(client, seeded, "wang", "/api/v1/stock?sku=CUP").json()["items"][0]["on_hand"] == 45


def test_stock_needs_the_stock_role(client: TestClient, seeded: Seeded) -> None:
    for user in ("alice", "bob"):
        assert api(client, seeded, user, "/api/v1/stock").status_code == 403
        posted = api(client, seeded, user, "/api/v1/stock/adjust", json={"sku": "CUP", "delta": 1})
        assert posted.status_code == 403
    assert api(client, seeded, "boss", "/api/v1/stock").status_code == 200
    sign_in(client, "alice")
    assert client.get("/stock").status_code == 403
    assert 'href="/stock"' not in client.get("/").text


def test_stock_page_flags_low_rows_filters_and_adjusts(client: TestClient) -> None:
    sign_in(client, "wang")
    page = client.get("/stock")
    assert page.status_code == 200 and 'href="/stock"' in page.text
    assert 'data-sku="BOWL" data-warehouse="main" class="low"' in page.text
    assert 'data-sku="CUP" data-warehouse="main">' in page.text
    assert 'data-sku="CUP"' not in client.get("/stock?low=1").text
    assert 'data-sku="BOWL"' not in client.get("/stock?sku=CUP").text
    form = {
        "sku": "CUP",
        "warehouse": "main",
        "delta": "-3",
        "reason": "破损",
        "csrf_token": csrf_of(page.text),
    }
    done = client.post("/stock/adjust", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/stock?done=-3"
    assert ">47<" in client.get("/stock?sku=CUP").text
    refused = client.post("/stock/adjust", data={**form, "delta": "-100"})
    assert refused.status_code == 409 and "data-error" in refused.text
    bad = client.post("/stock/adjust", data={**form, "delta": "x"})
    assert bad.status_code == 422 and "非零整数" in bad.text
    no_csrf = client.post("/stock/adjust", data={k: v for k, v in form.items() if k != "csrf_token"})
    assert no_csrf.status_code == 403
    assert ">47<" in client.get("/stock?sku=CUP").text


def skus(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["sku"] for item in response.json()["items"]]


def test_stock_api_shows_only_the_skus_the_users_shops_sell(client: TestClient, seeded: Seeded) -> None:
    assert skus(api(client, seeded, "wang", "/api/v1/stock")) == ["BOWL", "CUP"]  # A and B: not C's SKU-5
    assert skus(api(client, seeded, "wang", "/api/v1/stock?sku=SKU-5")) == []
    assert skus(api(client, seeded, "wang", "/api/v1/stock?low=true")) == ["BOWL"]
    assert skus(api(client, seeded, "wang", f"/api/v1/stock?shop={SHOP_B}")) == []  # B's SKUs have no stock
    assert api(client, seeded, "wang", f"/api/v1/stock?shop={SHOP_C}").status_code == 404
    # every shop: all stock, LAMP (sold by no shop yet) included; one shop: what that shop sells
    assert skus(api(client, seeded, "boss", "/api/v1/stock")) == ["BOWL", "CUP", "LAMP", "SKU-5"]
    assert skus(api(client, seeded, "boss", f"/api/v1/stock?shop={SHOP_C}")) == ["SKU-5"]


def test_stock_api_adjusting_a_sku_outside_the_users_shops_is_not_found(
    client: TestClient, seeded: Seeded
) -> None:
    for sku in ("SKU-5", "LAMP", "NEVER-STOCKED"):
        refused = api(client, seeded, "wang", "/api/v1/stock/adjust", json={"sku": sku, "delta": 1})
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    assert skus(api(client, seeded, "boss", "/api/v1/stock?sku=SKU-5")) == ["SKU-5"]
    assert api(client, seeded, "boss", "/api/v1/stock?sku=SKU-5").json()["items"][0]["on_hand"] == 7
    done = api(client, seeded, "boss", "/api/v1/stock/adjust", json={"sku": "SKU-5", "delta": 1})
    assert done.status_code == 200 and done.json() == {"sku": "SKU-5", "warehouse": "main", "on_hand": 8}


def test_stock_adjustments_name_an_existing_warehouse(client: TestClient, seeded: Seeded) -> None:
    body = {"sku": "CUP", "delta": 2, "warehouse": "main "}
    assert api(client, seeded, "wang", "/api/v1/stock/adjust", json=body).json()["on_hand"] == 52
    unknown = api(client, seeded, "wang", "/api/v1/stock/adjust", json={**body, "warehouse": "Main"})
    assert unknown.status_code == 409 and unknown.json()["error"]["code"] == "unknown_warehouse"
    assert (
        "'Main'" in unknown.json()["error"]["message"] and "east, main" in unknown.json()["error"]["message"]
    )
    put_stock(seeded.engine, [("BOWL", "east", 4)])  # BOWL in two warehouses: which one must be said
    several = api(client, seeded, "wang", "/api/v1/stock/adjust", json={"sku": "BOWL", "delta": 1})
    assert several.status_code == 409 and "east, main" in several.json()["error"]["message"]
    sign_in(client, "wang")
    form = {
        "sku": "CUP",
        "warehouse": "main-2",
        "delta": "1",
        "csrf_token": csrf_of(client.get("/stock").text),
    }
    page = client.post("/stock/adjust", data=form)
    assert page.status_code == 409 and "仓库不存在" in page.text
    rows = api(client, seeded, "boss", "/api/v1/stock").json()["items"]
    assert {(r["sku"], r["warehouse"]) for r in rows} == {
        ("BOWL", "east"),
        ("BOWL", "main"),
        ("CUP", "main"),
        ("LAMP", "east"),
        ("SKU-5", "main"),
    }
    assert [r["on_hand"] for r in rows if r["sku"] == "CUP"] == [52]


def test_stock_page_is_limited_to_the_users_shops_and_offers_the_real_warehouses(
    client: TestClient, seeded: Seeded
) -> None:
    sign_in(client, "wang")
    page = client.get("/stock")
    assert 'data-sku="CUP"' in page.text and 'data-sku="SKU-5"' not in page.text
    assert 'data-sku="LAMP"' not in page.text
    assert 'data-sku="SKU-5"' not in client.get("/stock?sku=SKU-5").text
    assert client.get(f"/stock?shop={SHOP_C}").status_code == 404
    assert '<option value="main" selected>' in client.get("/stock?sku=CUP").text  # CUP's only warehouse
    assert '<option value="east">' in page.text and "selected>main<" not in page.text
    assert 'name="warehouse" value="main"' not in page.text
    form = {"sku": "SKU-5", "warehouse": "main", "delta": "1", "csrf_token": csrf_of(page.text)}
    assert client.post("/stock/adjust", data=form).status_code == 404
    assert api(client, seeded, "boss", "/api/v1/stock?sku=SKU-5").json()["items"][0]["on_hand"] == 7


# --- notifications ---


def outbox(seeded: Seeded) -> None:
    """One sent SMS of shop A and one failed of shop B."""
    rows = [
        (seeded.shop_ids[SHOP_A], "A-1", "sent", "13812345678", ""),
        (seeded.shop_ids[SHOP_B], "B-1", "failed", "13600003333", "provider said no"),
    ]
    with seeded.engine.begin() as conn:
        for i, (shop_id, order_no, state, to, error) in enumerate(rows):
            conn.execute(
                insert(s.notify_outbox).values(
                    idempotency_key=f"k{i}",
                    shop_id=shop_id,
                    order_no=order_no,
                    stage="shipped",
                    channel="sms",
                    recipient=to,
                    state=state,
                    last_error=error,
                    created_at=NOW,
                    updated_at=NOW,
                    sent_at=NOW if state == "sent" else None,
                )
            )


def test_notification_log_api_is_the_cli_json_over_the_callers_shops(
    client: TestClient, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox(seeded)
    everything = cli_json(seeded, ["notify", "log", "--json"], monkeypatch)
    assert api(client, seeded, "boss", "/api/v1/notifications").json() == {"items": everything, "next": None}
    carol = api(client, seeded, "carol", "/api/v1/notifications").json()["items"]
    assert [(r["order_no"], r["recipient"]) for r in carol] == [("A-1", "138****5678")]
    assert api(client, seeded, "carol", f"/api/v1/notifications?shop={SHOP_B}").status_code == 404
    failed = api(client, seeded, "boss", "/api/v1/notifications?state=failed").json()["items"]
    assert [r["order_no"] for r in failed] == ["B-1"]
    assert api(client, seeded, "boss", "/api/v1/notifications?state=nope").status_code == 422
    assert api(client, seeded, "alice", "/api/v1/notifications").status_code == 403


def test_notification_page_is_shop_scoped_and_masked(client: TestClient, seeded: Seeded) -> None:
    outbox(seeded)
    sign_in(client, "bob")  # customer service of shop B
    page = client.get("/notifications")
    assert page.status_code == 200 and 'href="/notifications"' in page.text
    assert 'data-state="failed"' in page.text and "provider said no" in page.text
    assert 'data-state="sent"' not in page.text and "A-1" not in page.text
    assert "13600003333" not in page.text and "136****3333" in page.text
    assert client.get(f"/notifications?shop={SHOP_A}").status_code == 404
    assert 'data-state="failed"' not in client.get("/notifications?state=sent").text
    sign_in(client, "wang")
    assert client.get("/notifications").status_code == 403


# --- carrier scorecard ---


@pytest.fixture
def both(engine: Engine, tmp_path: Path) -> Both:
    return seed_both(engine, tmp_path)


@pytest.fixture
def client2(both: Both) -> Iterator[TestClient]:
    with TestClient(create_app(both.engine, AppSettings.for_tests()), base_url="https://testserver") as c:
        yield c


def test_scorecard_api_is_the_cli_json_over_the_callers_shops(
    client2: TestClient, both: Both, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = cli_json(both.seeded, ["carriers", "scorecard", "--json"], monkeypatch)
    assert everything
    boss = api(client2, both.seeded, "boss", "/api/v1/carriers/scorecard")
    assert boss.status_code == 200 and boss.json() == {"items": everything, "next": None}
    with both.engine.connect() as conn:
        mine = [lane.as_json() for lane in measured_lanes(conn, datetime.now(), 60, [both.case_shop_id])]
        others = [i for i in both.seeded.shop_ids.values() if i != both.case_shop_id]
        theirs = [lane.as_json() for lane in measured_lanes(conn, datetime.now(), 60, others)]
    assert mine and theirs and mine != theirs  # both sides have lanes: the scoping below is a real test
    assert api(client2, both.seeded, "dora", "/api/v1/carriers/scorecard").json()["items"] == mine
    assert api(client2, both.seeded, "dora", f"/api/v1/carriers/scorecard?shop={SHOP_A}").status_code == 404
    assert api(client2, both.seeded, "wang", "/api/v1/carriers/scorecard").status_code == 403


def test_scorecard_page_shows_only_the_users_lanes(client2: TestClient, both: Both) -> None:
    with both.engine.connect() as conn:
        mine = measured_lanes(conn, datetime.now(), 60, [both.case_shop_id])
        every = measured_lanes(conn, datetime.now(), 60)
    sign_in(client2, "dora")
    page = client2.get("/carriers")
    assert page.status_code == 200 and 'href="/carriers"' in page.text
    shown = re.findall(r'<tr data-lane="([^"]*)">', page.text)
    assert shown == [f"{lane.carrier}/{lane.destination}" for lane in mine]
    assert mine != every  # the other shops' parcels change the figures: the page shows the user's own
    for lane in mine:
        row = page.text.split(f'data-lane="{lane.carrier}/{lane.destination}"')[1].split("</tr>")[0]
        rate = lane.as_json()["pickup_on_time_rate"]
        assert ("-" if rate is None else f"{float(str(rate)) * 100:.1f}%") in row
    sign_in(client2, "bob")  # customer service: no metrics
    assert client2.get("/carriers").status_code == 403


# --- rules ---


def test_rule_validation_api_says_where_and_why(client: TestClient, seeded: Seeded) -> None:
    path = "/api/v1/rules/validate"
    good = api(client, seeded, "alice", path, json={"condition": "amount > 2000.0", "action": "hold:大额"})
    assert good.status_code == 200
    assert good.json() == {"ok": True, "field": None, "line": None, "column": None, "reason": ""}
    bad = api(client, seeded, "alice", path, json={"condition": "true &&\n  amount >", "action": "accept"})
    answer = bad.json()
    assert answer["ok"] is False and answer["field"] == "condition" and answer["line"] == 2
    assert answer["column"] and answer["reason"]
    action = api(client, seeded, "alice", path, json={"condition": "true", "action": "hold"}).json()
    assert action["field"] == "action" and "hold" in action["reason"]
    scoped = {"condition": "true", "action": "carrier:sf", "scope": "review"}
    assert api(client, seeded, "alice", path, json=scoped).json()["field"] == "action"
    assert api(client, seeded, "wang", path, json=scoped).status_code == 403


def test_rule_page_lists_own_shop_rules_validates_and_saves(client: TestClient, seeded: Seeded) -> None:
    with seeded.engine.begin() as conn:
        add_rule(conn, "B大额", "review", "amount > 500.0", "hold:大额", shop_id=seeded.shop_ids[SHOP_B])
        add_rule(conn, "全部", "review", "true", "accept")
    sign_in(client, "alice")  # operator of shop A
    page = client.get("/rules")
    assert page.status_code == 200 and 'href="/rules"' in page.text and "/static/rules.js" in page.text
    assert re.findall(r'<tr data-rule="([^"]+)">', page.text) == ["全部"]
    assert '<option value="*"' not in page.text  # only an owner of every shop writes every-shop rules
    token = csrf_of(page.text)
    checked = client.post(
        "/rules/validate", json={"condition": "amount >", "action": "accept"}, headers={"X-CSRF-Token": token}
    )
    assert checked.status_code == 200 and checked.json()["field"] == "condition"
    assert client.post("/rules/validate", json={"condition": "true", "action": "accept"}).status_code == 403
    form = {"name": "A大额", "scope": "review", "shop": SHOP_A, "condition": "amount > 900.0"}
    form |= {"action": "hold:大额订单", "csrf_token": token}
    saved = client.post("/rules", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert re.findall(r'<tr data-rule="([^"]+)">', client.get("/rules").text) == ["全部", "A大额"]
    taken = client.post("/rules", data=form)  # never replaces: A's own name is taken
    assert taken.status_code == 422 and "data-error" in taken.text
    every = client.post("/rules", data={**form, "name": "全部"})  # so is an every-shop rule's (A runs it)
    assert every.status_code == 422 and "data-error" in every.text
    # a name only shop B uses is free for shop A: B's rule is not told of, nor touched
    assert client.post("/rules", data={**form, "name": "B大额"}, follow_redirects=False).status_code == 303
    assert client.post("/rules", data={**form, "name": "x", "shop": SHOP_B}).status_code == 422
    assert client.post("/rules", data={**form, "name": "y", "shop": "*"}).status_code == 422
    wrong = client.post("/rules", data={**form, "name": "z", "condition": "amount >"})
    assert wrong.status_code == 422 and "data-error" in wrong.text
    with seeded.engine.connect() as conn:
        kept = sorted((r.name, r.shop_id, r.condition) for r in list_rules(conn))
    a, b = seeded.shop_ids[SHOP_A], seeded.shop_ids[SHOP_B]
    assert kept == [
        ("A大额", a, "amount > 900.0"),
        ("B大额", a, "amount > 900.0"),
        ("B大额", b, "amount > 500.0"),
        ("全部", 0, "true"),
    ]
    sign_in(client, "bob")  # customer service does not review
    assert client.get("/rules").status_code == 403


def test_rule_page_names_scopes_and_shops_and_its_form_still_sends_codes(
    client: TestClient, seeded: Seeded
) -> None:
    """A person reads 选快递 and 天猫 · 旗舰店 where the rule set and the shop are named, in their language;
    the form's values stay the codes the save handler and the API take."""
    with seeded.engine.begin() as conn:
        add_rule(conn, "中通优先", "carrier", "true", "carrier:zto", shop_id=seeded.shop_ids[SHOP_A])
        add_rule(conn, "全部通知", "notify", "true", "notify:shipped")
    sign_in(client, "boss")  # every shop: the every-shop option and all three shops
    page = client.get("/rules").text
    row = page.split('<tr data-rule="中通优先">')[1].split("</tr>")[0]
    assert re.search(r'data-scope="carrier">选快递</td>', row) and "天猫 · 旗舰店" in row
    assert "tmall" not in row
    every = page.split('<tr data-rule="全部通知">')[1].split("</tr>")[0]
    assert 'data-scope="notify">买家通知</td>' in every and "全部店铺" in every
    scopes = re.findall(
        r'<option value="([a-z]+)"(?: selected)?>([^<]+)</option>', page.split('name="scope"')[1]
    )
    assert [code for code, _ in scopes] == ["review", "priority", "carrier", "notify"]
    assert all(not name.isascii() and code not in name for code, name in scopes)
    shops = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', page.split('name="shop"')[1])
    assert dict(shops) == {
        "*": "全部店铺",
        SHOP_A: "天猫 · 旗舰店",
        SHOP_B: "抖店 · 抖音小店",
        SHOP_C: "抖店 · 旗舰店",
    }
    client.cookies.set("lang", "en")
    english = client.get("/rules").text
    assert 'data-scope="carrier">Carrier choice</td>' in english and "Tmall · 旗舰店" in english
    form = {"name": "顺丰", "scope": "carrier", "shop": SHOP_A, "condition": "amount > 500.0"}
    form |= {"action": "carrier:sf", "csrf_token": csrf_of(english)}
    assert client.post("/rules", data=form, follow_redirects=False).status_code == 303
    with seeded.engine.connect() as conn:
        saved = next(r for r in list_rules(conn) if r.name == "顺丰")
    assert (saved.scope, saved.shop_id) == ("carrier", seeded.shop_ids[SHOP_A])
