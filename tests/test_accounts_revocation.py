"""Taking access away through the faces, on SQLite and PostgreSQL: a disabled user's browser session and
API tokens stop at their next request, a password change ends the sessions made before, a revoked token is
refused at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lanshou.accounts.admin import change_password, revoke_token, set_active, set_role
from lanshou.accounts.roles import Role
from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from tests.accounts_data import PASSWORD, Seeded, seed
from tests.test_web_pages import sign_in

NEW_PASSWORD = "battery staple 77"


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    return seed(engine, tmp_path)


@pytest.fixture
def app(seeded: Seeded) -> FastAPI:
    return create_app(seeded.engine, AppSettings.for_tests())


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as client:
        yield client


@contextmanager
def clients(app: FastAPI) -> Iterator[tuple[TestClient, TestClient]]:
    """Two browsers on the same app."""
    url = "https://testserver"
    with TestClient(app, base_url=url) as one, TestClient(app, base_url=url) as two:
        yield one, two


def signed_in(client: TestClient, name: str, password: str) -> bool:
    sign_in(client, name, password)
    return client.get("/", follow_redirects=False).status_code == 200


def sent_to_login(client: TestClient) -> bool:
    response = client.get("/orders", follow_redirects=False)
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def api_status(client: TestClient, token: str, url: str) -> int:
    return client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code


def test_disabling_ends_the_session_at_the_next_page_and_enabling_does_not_revive_it(
    app: FastAPI, seeded: Seeded
) -> None:
    with clients(app) as (browser, copy):
        assert signed_in(browser, "alice", PASSWORD)
        copy.cookies = browser.cookies  # the same session elsewhere, idle while alice is disabled
        set_active(seeded.engine, "alice", False, "boss")
        assert sent_to_login(browser)
        set_active(seeded.engine, "alice", True, "boss")
        assert sent_to_login(browser) and sent_to_login(copy)  # signing in again is needed
        assert signed_in(browser, "alice", PASSWORD)


def test_a_password_change_ends_the_sessions_made_before(app: FastAPI, seeded: Seeded) -> None:
    with clients(app) as (old, new):
        assert signed_in(old, "bob", PASSWORD)
        change_password(seeded.engine, "bob", NEW_PASSWORD, "boss")
        assert sent_to_login(old)
        assert signed_in(new, "bob", NEW_PASSWORD)
        assert not signed_in(old, "bob", PASSWORD)


def test_a_role_change_counts_from_the_next_page_without_signing_out(
    browser: TestClient, seeded: Seeded
) -> None:
    assert signed_in(browser, "alice", PASSWORD)
    set_role(seeded.engine, "alice", Role.WAREHOUSE, "boss")
    page = browser.get("/", follow_redirects=False)
    assert page.status_code == 200 and "alice · 仓库" in page.text


@pytest.mark.parametrize(
    "url", ["/api/v1/me", "/api/v1/orders"]
)  # api_user, and the scoped one-statement check
def test_a_disabled_users_tokens_are_refused_until_enabled(
    browser: TestClient, seeded: Seeded, url: str
) -> None:
    token = seeded.tokens["alice"]
    assert api_status(browser, token, url) == 200
    set_active(seeded.engine, "alice", False, "boss")
    assert api_status(browser, token, url) == 401
    set_active(seeded.engine, "alice", True, "boss")
    assert api_status(browser, token, url) == 200


def test_a_revoked_token_is_refused_at_once(browser: TestClient, seeded: Seeded) -> None:
    token = seeded.tokens["wang"]
    assert api_status(browser, token, "/api/v1/orders") == 200
    revoke_token(seeded.engine, "wang", token[:10], "boss")
    assert api_status(browser, token, "/api/v1/orders") == 401
    assert api_status(browser, token, "/api/v1/me") == 401
