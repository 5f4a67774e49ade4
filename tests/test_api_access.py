"""The REST API's access rules on SQLite and PostgreSQL: every route needs a token, every answer stays
inside the caller's shops, buyer data stays masked unless the role may see it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from lanshou.accounts.roles import Permission
from lanshou.accounts.tables import users
from lanshou.api.app import PUBLIC_PATHS, create_app
from lanshou.api.deps import ShopScope, require, require_in_scope
from lanshou.api.pagination import encode_cursor
from lanshou.api.settings import AppSettings
from tests.accounts_data import SHOP_A, SHOP_B, Seeded, order_ids, route_contexts, seed

PUBLIC_MOUNTS = {"/static", "/api/docs/assets"}  # stylesheets and Swagger UI's files: no data


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    return seed(engine, tmp_path)


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.engine, AppSettings.for_tests()), base_url="https://testserver") as c:
        yield c


def as_user(client: TestClient, seeded: Seeded, name: str, url: str, **params: Any) -> Any:
    response = client.get(url, params=params, headers={"Authorization": f"Bearer {seeded.tokens[name]}"})
    return response


def found(response: Any) -> set[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return {(f"{item['platform']}/{item['shop']}", item["order_id"]) for item in response.json()["items"]}


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def route_table(app: Any) -> list[tuple[str, set[str] | None]]:
    """(path, methods) of every route, mounts with None, through included routers."""
    return [(route.path, getattr(route, "methods", None)) for route in route_contexts(app)]


def test_every_route_refuses_an_anonymous_caller(client: TestClient) -> None:
    table = route_table(client.app)
    checked = 0
    for path, methods in table:
        if methods is None or path in PUBLIC_PATHS:
            continue
        for method in methods - {"HEAD"}:
            response = client.request(method, concrete(path), follow_redirects=False)
            checked += 1
            if path.startswith("/api/"):
                assert response.status_code == 401, (method, path)
                assert response.json()["error"]["code"] == "unauthorized"
                assert response.headers["www-authenticate"] == "Bearer"
            elif method == "GET":
                assert response.status_code == 303, (method, path)
                assert response.headers["location"].startswith("/login?next=")
            else:  # an anonymous POST has no session, so no CSRF token either
                assert response.status_code == 403, (method, path)
    assert checked >= 5
    assert {path for path, methods in table if methods is None} == PUBLIC_MOUNTS


def test_the_public_routes_answer_without_login(client: TestClient) -> None:
    assert {path for path, methods in route_table(client.app) if methods is not None} >= PUBLIC_PATHS
    assert client.get("/api/v1/health").json() == {"status": "ok", "database": "ok"}
    for path in ("/api/openapi.json", "/api/docs", "/login"):
        assert client.get(path).status_code == 200, path
    assert client.post("/lang", data={"lang": "en"}).status_code == 403  # public, but CSRF-checked


def test_bad_tokens_and_disabled_users_are_refused(client: TestClient, seeded: Seeded) -> None:
    for header in ("Bearer lsk_" + "x" * 43, "Bearer " + seeded.tokens["alice"][:-1], "Basic abc", "Bearer"):
        response = client.get("/api/v1/orders", headers={"Authorization": header})
        assert response.status_code == 401, header
    with seeded.engine.begin() as conn:
        conn.execute(update(users).where(users.c.name == "alice").values(active=False))
    assert as_user(client, seeded, "alice", "/api/v1/me").status_code == 401


def test_me_tells_role_permissions_and_shops(client: TestClient, seeded: Seeded) -> None:
    me = as_user(client, seeded, "alice", "/api/v1/me").json()
    assert me["name"] == "alice" and me["role"] == "operator" and not me["all_shops"]
    assert "orders.review" in me["permissions"] and "buyer_data.view" not in me["permissions"]
    assert [f"{s['platform']}/{s['name']}" for s in me["shops"]] == [SHOP_A]


def test_shops_lists_only_the_granted_ones(client: TestClient, seeded: Seeded) -> None:
    body = as_user(client, seeded, "bob", "/api/v1/shops").json()
    assert body["next"] is None
    assert [(s["platform"], s["name"]) for s in body["items"]] == [("douyin", "抖音小店")]
    assert len(as_user(client, seeded, "boss", "/api/v1/shops").json()["items"]) == 3


def test_a_shop_users_list_holds_only_their_shops_orders(client: TestClient, seeded: Seeded) -> None:
    assert found(as_user(client, seeded, "alice", "/api/v1/orders")) == order_ids("tmall", "旗舰店")
    assert found(as_user(client, seeded, "bob", "/api/v1/orders")) == order_ids("douyin", "抖音小店")
    assert found(as_user(client, seeded, "boss", "/api/v1/orders")) == order_ids()


def test_one_order_by_shop_and_order_id(client: TestClient, seeded: Seeded) -> None:
    response = as_user(client, seeded, "alice", "/api/v1/orders", shop="旗舰店", order_id="A-2")
    (item,) = response.json()["items"]
    assert (item["order_id"], item["shop"], item["platform"], item["status"]) == (
        "A-2",
        "旗舰店",
        "tmall",
        "shipped",
    )
    assert (item["carrier"], item["tracking_no"], item["line_count"]) == ("zto", "ZT0001", 1)
    assert item["created_at"].endswith("Z")


def test_another_shops_order_cannot_be_reached_by_id(client: TestClient, seeded: Seeded) -> None:
    # B-1 is bob's; SAME-1 exists in both A and B and alice must get only A's
    assert found(as_user(client, seeded, "alice", "/api/v1/orders", order_id="B-1")) == set()
    assert found(as_user(client, seeded, "alice", "/api/v1/orders", order_id="SAME-1")) == {
        (SHOP_A, "SAME-1")
    }
    assert found(as_user(client, seeded, "bob", "/api/v1/orders", order_id="SAME-1")) == {(SHOP_B, "SAME-1")}
    # a shop named like alice's on another platform is not hers either
    assert found(as_user(client, seeded, "alice", "/api/v1/orders", order_id="C-1")) == set()


@pytest.mark.parametrize("shop", ["抖音小店", "douyin/抖音小店", "douyin/旗舰店", "no such shop"])
def test_naming_a_shop_not_granted_is_not_found(client: TestClient, seeded: Seeded, shop: str) -> None:
    response = as_user(client, seeded, "alice", "/api/v1/orders", shop=shop)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "shop_not_found"


def test_search_by_buyer_stays_in_the_callers_shops(client: TestClient, seeded: Seeded) -> None:
    # carol (customer service, shop A) searches for B's buyer by phone and by name: nothing
    assert found(as_user(client, seeded, "carol", "/api/v1/orders", buyer="13600003333")) == set()
    assert found(as_user(client, seeded, "carol", "/api/v1/orders", buyer="赵六")) == set()
    assert found(as_user(client, seeded, "bob", "/api/v1/orders", buyer="赵六")) == {(SHOP_B, "B-1")}
    assert found(as_user(client, seeded, "carol", "/api/v1/orders", buyer="13812345678")) == {(SHOP_A, "A-1")}


def test_masked_unless_the_role_may_see_buyer_data(client: TestClient, seeded: Seeded) -> None:
    def receiver(name: str, **params: Any) -> Any:
        response = as_user(client, seeded, name, "/api/v1/orders", order_id="A-1", **params)
        return response.status_code, response.json()

    status, body = receiver("alice")
    item = body["items"][0]
    assert (item["receiver_phone"], item["receiver_name"], item["masked"]) == ("138****5678", "张*", True)
    assert "文三路1号" not in str(body)
    for name in ("alice", "wang"):  # operator and warehouse may neither unmask nor search buyers
        assert receiver(name, unmask="true")[0] == 403
        assert receiver(name, buyer="138")[0] == 403
    status, body = receiver("carol", unmask="true")
    assert status == 200
    item = body["items"][0]
    assert (item["receiver_phone"], item["address"], item["masked"]) == ("13812345678", "文三路1号", False)
    assert receiver("carol")[1]["items"][0]["receiver_phone"] == "138****5678"  # masked by default


def test_cursor_pages_through_every_order_once(client: TestClient, seeded: Seeded) -> None:
    seen: list[tuple[str, str]] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = as_user(client, seeded, "boss", "/api/v1/orders", **params).json()
        seen += [(f"{i['platform']}/{i['shop']}", i["order_id"]) for i in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == len(order_ids())
    assert set(seen) == order_ids()


def test_a_forged_cursor_reaches_nothing_more(client: TestClient, seeded: Seeded) -> None:
    forged = encode_cursor({"before": 10**9})
    assert found(as_user(client, seeded, "alice", "/api/v1/orders", cursor=forged)) == order_ids(
        "tmall", "旗舰店"
    )
    for bad in ("!!!", encode_cursor({"before": "1"}), encode_cursor({"after": 1}), "e30"):
        response = as_user(client, seeded, "alice", "/api/v1/orders", cursor=bad)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "invalid_cursor"


def test_filters_of_the_cli_work_over_the_callers_shops(client: TestClient, seeded: Seeded) -> None:
    assert found(as_user(client, seeded, "alice", "/api/v1/orders", status="shipped")) == {(SHOP_A, "A-2")}
    both = found(as_user(client, seeded, "alice", "/api/v1/orders", status=["shipped", "paid"]))
    assert both == order_ids("tmall", "旗舰店")
    assert found(as_user(client, seeded, "boss", "/api/v1/orders", platform="douyin")) == order_ids("douyin")
    # A-1 was paid 2026-11-01 10:05 Shanghai time
    one_day = {"paid_from": "2026-11-01", "paid_to": "2026-11-01"}
    assert found(as_user(client, seeded, "boss", "/api/v1/orders", **one_day)) == {(SHOP_A, "A-1")}
    extremes = {"paid_from": "0001-01-01", "paid_to": "9999-12-31"}  # clamped: no overflow, every order
    assert found(as_user(client, seeded, "boss", "/api/v1/orders", **extremes)) == order_ids()


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 501}, "query.limit"),
        ({"status": "lost"}, "query.status"),
        ({"paid_from": "not a day"}, "query.paid_from"),
        ({"paid_to": "0.0"}, "query.paid_to: Value error, a day is written YYYY-MM-DD"),
        ({"paid_to": "2026-02-30"}, "query.paid_to"),
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
        ({"timezone": "Asia"}, "unknown timezone"),
        ({"order_id": "x\x00y"}, "query.order_id"),
        ({"stauts": "paid"}, "unknown query parameter 'stauts'; known: buyer, cursor"),
        ({"shop": ["旗舰店", ""]}, "given more than once: shop"),
    ],
)
def test_bad_parameters_get_one_clear_json_error(
    client: TestClient, seeded: Seeded, params: dict[str, Any], fragment: str
) -> None:
    response = as_user(client, seeded, "boss", "/api/v1/orders", **params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and fragment in error["message"]


def test_unknown_paths_and_methods_answer_json(client: TestClient, seeded: Seeded) -> None:
    headers = {"Authorization": f"Bearer {seeded.tokens['boss']}"}
    missing = client.get("/api/v1/nothing", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = client.post("/api/v1/orders", headers=headers)
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_a_crash_answers_500_json_without_a_trace(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals at /srv/lanshou/db.py line 42")

    monkeypatch.setattr("lanshou.api.v1.orders.scoped_orders", explode)
    app = create_app(seeded.engine, AppSettings.for_tests())
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        response = as_user(client, seeded, "boss", "/api/v1/orders")
        assert response.status_code == 500
        assert response.json() == {
            "error": {"code": "internal_error", "message": "服务器内部错误 internal server error"}
        }
        page = client.get("/does-not-exist")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    for text in (response.text, page.text):
        assert "Traceback" not in text and "secret internals" not in text


def test_openapi_is_published_with_bearer_auth_and_docs_need_no_cdn(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert {"/api/v1/orders", "/api/v1/me", "/api/v1/shops", "/api/v1/health"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert not any(path.startswith(("/login", "/lang", "/logout")) for path in schema["paths"])
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert assets and all(url.startswith("/api/docs/assets/") for url in assets)
    assert "//" not in " ".join(assets)
    for url in assets:
        assert client.get(url).status_code == 200, url


def test_require_refuses_roles_without_the_permission(seeded: Seeded) -> None:
    router = APIRouter()

    @router.get("/api/v1/test-users", dependencies=[Depends(require(Permission.USERS_MANAGE))])
    def users_only() -> dict[str, bool]:
        return {"ok": True}

    @router.get("/api/v1/test-stock")
    def stock(scope: Annotated[ShopScope, Depends(require_in_scope(Permission.STOCK_MANAGE))]) -> list[int]:
        return list(scope.shop_ids)

    app = create_app(seeded.engine, AppSettings.for_tests())
    app.include_router(router)
    with TestClient(app, base_url="https://testserver") as client:
        refused = as_user(client, seeded, "alice", "/api/v1/test-users")
        assert refused.status_code == 403
        assert refused.json()["error"] == {
            "code": "forbidden",
            "message": "无权限: 管理用户（运营） / not allowed: manage users (operator)",
        }  # the code stays; the line names the permission and the role in words, in both languages
        stock = as_user(client, seeded, "alice", "/api/v1/test-stock").json()["error"]
        assert stock["message"] == "无权限: 管理库存（运营） / not allowed: manage stock (operator)"
        assert "stock.manage" not in stock["message"]
        assert as_user(client, seeded, "boss", "/api/v1/test-users").json() == {"ok": True}
        assert client.get("/api/v1/test-users").status_code == 401
        assert as_user(client, seeded, "alice", "/api/v1/test-stock").status_code == 403  # operator
        wang = as_user(client, seeded, "wang", "/api/v1/test-stock", shop="抖音小店")  # warehouse, A and B
        assert wang.json() == [seeded.shop_ids[SHOP_B]]
        assert as_user(client, seeded, "wang", "/api/v1/test-stock", shop="douyin/旗舰店").status_code == 404


def test_the_prepared_one_order_lookup_answers_like_the_general_query(
    client: TestClient, seeded: Seeded
) -> None:
    for order_id in ("A-2", "SAME-1", "B-1"):
        fast = as_user(client, seeded, "boss", "/api/v1/orders", order_id=order_id).json()
        # adding any other filter takes the general path
        statuses = ["paid", "shipped", "pending_payment", "delivered", "completed", "cancelled", "refunded"]
        general = as_user(client, seeded, "boss", "/api/v1/orders", order_id=order_id, status=statuses).json()
        assert fast == general and fast["items"], order_id
    assert len(as_user(client, seeded, "boss", "/api/v1/orders", order_id="SAME-1").json()["items"]) == 2
