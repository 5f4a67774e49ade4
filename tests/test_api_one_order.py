"""The one-order read answered in front of FastAPI's router (lanshou.api.one_order): the same answers as the
route, byte for byte, on SQLite and PostgreSQL; anything but the well-formed success goes to the route."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import OperationalError

from lanshou.accounts.tables import api_tokens, user_shop_grants, users
from lanshou.api import one_order
from lanshou.api.app import create_app
from lanshou.api.deps import NO_NUL
from lanshou.api.loop_reads import LoopReads
from lanshou.api.one_order import OneOrderReads
from lanshou.api.settings import AppSettings
from tests.accounts_data import ORDERS, Seeded, route_contexts, seed

PATH = "/api/v1/orders"


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    return seed(engine, tmp_path)


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.engine, AppSettings.for_tests()), base_url="https://testserver") as c:
        yield c


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per request to the orders path: whether the fast read answered it."""
    seen: list[bool] = []
    answer = OneOrderReads._answer

    def spy(self: OneOrderReads, scope: Any) -> bytes | None:
        body = answer(self, scope)
        seen.append(body is not None)
        return body

    monkeypatch.setattr(OneOrderReads, "_answer", spy)
    return seen


def get(client: TestClient, token: str, query: str, **headers: str) -> Any:
    return client.get(f"{PATH}?{query}", headers={"Authorization": f"Bearer {token}", **headers})


HEADERS = ("content-type", "content-length", "content-security-policy", "x-content-type-options")
QUERIES = [
    f"shop={shop}&order_id={number}"
    for shop in ("旗舰店", "tmall/旗舰店", "抖音小店", "douyin/抖音小店", "")
    for number in ("A-1", "A-2", "SAME-1", "B-1", "C-1", "NONE-9", " A-1 ")
] + [f"order_id={number}" for _, _, number, *_ in ORDERS]


@pytest.mark.parametrize("user", ["alice", "bob", "carol", "boss"])
def test_answers_equal_the_routes_byte_for_byte(
    client: TestClient, seeded: Seeded, taken: list[bool], user: str
) -> None:
    token = seeded.tokens[user]
    fast_answers = 0
    for query in QUERIES:
        fast = get(client, token, query)
        took = taken.pop()
        route = get(client, token, f"{query}&limit=50")  # the default, named: FastAPI answers it
        assert taken.pop() is False
        assert (fast.status_code, fast.content) == (route.status_code, route.content), query
        assert [fast.headers.get(h) for h in HEADERS] == [route.headers.get(h) for h in HEADERS]
        fast_answers += took
        assert took == (fast.status_code == 200), query  # errors (a shop not granted: 404) are the route's
    assert fast_answers >= 8


def test_the_fast_answer_is_scoped_and_masked(client: TestClient, seeded: Seeded, taken: list[bool]) -> None:
    body = get(client, seeded.tokens["alice"], "order_id=SAME-1").json()
    found = [(i["platform"], i["shop"], i["order_id"]) for i in body["items"]]
    assert found == [("tmall", "旗舰店", "SAME-1")]
    assert get(client, seeded.tokens["alice"], "order_id=B-1").json() == {"items": [], "next": None}
    item = get(client, seeded.tokens["carol"], "shop=旗舰店&order_id=A-1").json()["items"][0]
    assert (item["receiver_phone"], item["receiver_name"], item["masked"]) == ("138****5678", "张*", True)
    assert taken == [True, True, True]  # B-1 is not among alice's: an empty list, answered here too


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("shop=抖音小店&order_id=B-1", 404),  # not granted to alice: the route's shop_not_found
        ("order_id=A-1&order_id=A-2", 422),  # given twice
        ("order_id=A-1&shop=旗舰店&shop=", 422),
        ("order_id=A%00", 422),
        ("order_id=" + "9" * 65, 422),
        ("order_id=A-1&stauts=paid", 422),  # misspelt filter
        ("order_id=A-1&unmask=true", 403),  # an operator may not unmask
        ("order_id=", 200),  # no number: the list
        ("shop=旗舰店", 200),
    ],
)
def test_anything_else_goes_to_the_route(
    client: TestClient, seeded: Seeded, taken: list[bool], query: str, status: int
) -> None:
    response = get(client, seeded.tokens["alice"], query)
    assert response.status_code == status, response.text
    assert taken == [False]


@pytest.mark.parametrize(
    "authorization", ["Bearer lsk_" + "x" * 43, "Basic abc", "Bearer", "Bearer  ", "bearer"]
)
def test_a_bad_token_gets_the_routes_401(client: TestClient, taken: list[bool], authorization: str) -> None:
    response = client.get(f"{PATH}?order_id=A-1", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert taken == [False]


def test_a_browser_request_with_a_cookie_goes_to_the_route(
    client: TestClient, seeded: Seeded, taken: list[bool]
) -> None:
    response = get(client, seeded.tokens["alice"], "order_id=A-1", cookie="lanshou_session=x")
    assert response.status_code == 200 and len(response.json()["items"]) == 1
    assert taken == [False]


def test_the_token_as_the_route_reads_it(client: TestClient, seeded: Seeded, taken: list[bool]) -> None:
    token = seeded.tokens["alice"]
    for authorization in (f"bearer {token}", f"BEARER {token}  "):
        response = client.get(f"{PATH}?order_id=A-1", headers={"Authorization": authorization})
        assert response.status_code == 200 and len(response.json()["items"]) == 1
    assert taken == [True, True]


def test_a_database_error_is_left_to_the_route(
    client: TestClient,
    seeded: Seeded,
    taken: list[bool],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures = []

    def failing(*args: Any) -> Any:
        failures.append(args[1])
        raise OperationalError("SELECT", {}, Exception("the database went away"))

    monkeypatch.setattr(one_order, "find_order_among", failing)
    with caplog.at_level(logging.WARNING, logger="lanshou.api.one_order"):
        for _ in range(2):
            response = get(client, seeded.tokens["alice"], "shop=旗舰店&order_id=A-2")
            assert response.status_code == 200 and response.json()["items"][0]["order_id"] == "A-2"
    assert failures == ["A-2", "A-2"] and taken == [False, False]
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "lanshou.api.one_order"]  # once a minute
    assert "the route answered (1 so far): OperationalError" in logged


def test_revoking_counts_from_the_next_read(client: TestClient, seeded: Seeded, taken: list[bool]) -> None:
    alice, boss = seeded.tokens["alice"], seeded.tokens["boss"]
    assert len(get(client, alice, "order_id=A-1").json()["items"]) == 1
    with seeded.engine.begin() as conn:  # the grant of shop A withdrawn
        conn.execute(delete(user_shop_grants).where(user_shop_grants.c.user_id == _id(conn, "alice")))
    assert get(client, alice, "order_id=A-1").json() == {"items": [], "next": None}
    assert len(get(client, boss, "order_id=A-1").json()["items"]) == 1
    with seeded.engine.begin() as conn:  # boss disabled: every shop, yet nothing
        conn.execute(update(users).where(users.c.name == "boss").values(active=False))
    assert get(client, boss, "order_id=A-1").status_code == 401
    with seeded.engine.begin() as conn:  # carol's tokens deleted
        conn.execute(delete(api_tokens).where(api_tokens.c.user_id == _id(conn, "carol")))
    assert get(client, seeded.tokens["carol"], "order_id=A-1").status_code == 401
    assert taken == [True, False, True, False, False]


def _id(conn: Any, name: str) -> int:
    return int(conn.execute(select(users.c.id).where(users.c.name == name)).scalar_one())


def test_other_methods_and_paths_pass_through(client: TestClient, seeded: Seeded, taken: list[bool]) -> None:
    headers = {"Authorization": f"Bearer {seeded.tokens['alice']}"}
    assert client.post(f"{PATH}?order_id=A-1", headers=headers).status_code == 405
    assert client.get(f"{PATH}/A-1?shop=旗舰店", headers=headers).status_code == 200
    assert taken == [False]  # the POST; the order's own path is not the orders path


def test_statements_per_read(
    client: TestClient, seeded: Seeded, taken: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found: one statement. Not found: two (the order, then the shop), as the route spent."""
    runs: list[int] = []
    real = LoopReads.run

    def counted(self: LoopReads, read: Any) -> Any:
        runs.append(1)
        return real(self, read)

    monkeypatch.setattr(LoopReads, "run", counted)
    for query, statements in (("shop=旗舰店&order_id=A-1", 1), ("shop=旗舰店&order_id=NONE-1", 2)):
        runs.clear()
        assert get(client, seeded.tokens["alice"], query).status_code == 200
        assert len(runs) == statements, query
    assert taken == [True, True]


def test_under_a_root_path(seeded: Seeded, taken: list[bool]) -> None:
    app = create_app(seeded.engine, AppSettings.for_tests())
    with TestClient(app, base_url="https://testserver", root_path="/lanshou") as client:
        response = get(client, seeded.tokens["alice"], "shop=旗舰店&order_id=A-1")
    assert response.status_code == 200 and response.json()["items"][0]["order_id"] == "A-1"
    assert taken == [True]


def test_what_the_fast_read_assumes_of_the_route(client: TestClient) -> None:
    """The route's checks the fast read repeats (limits, NUL) and its dependencies, every one of which the
    fast read stands in for: a new check or dependency on the route must be mirrored there too."""
    (route,) = [
        r
        for r in route_contexts(client.app)
        if r.path == PATH and "GET" in (getattr(r, "methods", None) or ())
    ]
    calls = set()
    limits = {}

    def walk(dependant: Any) -> None:
        for param in dependant.query_params:
            constraints = {type(m).__name__: m for m in param.field_info.metadata}
            limits[param.alias] = (
                getattr(constraints.get("MaxLen"), "max_length", None),
                getattr(constraints.get("_PydanticGeneralMetadata"), "pattern", None),
            )
        for sub in dependant.dependencies:
            if sub.call is not None:
                calls.add(getattr(sub.call, "__name__", type(sub.call).__name__))
            walk(sub)

    walk(route.dependant)
    assert calls == {"known_query_only", "shop_scope", "HTTPBearer"}
    assert limits["order_id"] == (one_order.MAX_ORDER_ID, NO_NUL)
    assert limits["shop"] == (one_order.MAX_SHOP, NO_NUL)
