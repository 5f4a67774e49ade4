"""The server-rendered pages through the ASGI app: login, sessions, CSRF, language, scoping, escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from lanshou import schema as s
from lanshou.accounts.limits import LoginLimits
from lanshou.accounts.roles import Permission, Role
from lanshou.accounts.tables import users
from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.metrics.explain import REASONS
from lanshou.notifications.log import STATES as NOTIFY_STATES
from lanshou.orders.status import OrderStatus
from lanshou.review.staff import ACTIONS, RESULTS
from lanshou.rules.store import SCOPES
from lanshou.sla.alerts import AlertKind
from lanshou.tracking.status import TrackingStatus
from lanshou.web.charts import bar_chart
from lanshou.web.messages import MESSAGES
from lanshou.web.report_pages import MISS_GROUPS, MISS_METRICS
from tests.accounts_data import PASSWORD, SHOP_A, SHOP_B, SHOP_C, Seeded, seed

TEMPLATES = Path(__file__).parents[1] / "src" / "lanshou" / "web" / "templates"
WEB_SOURCES = Path(__file__).parents[1] / "src" / "lanshou" / "web"


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    return seed(engine, tmp_path)


@pytest.fixture
def browser(seeded: Seeded) -> Iterator[TestClient]:
    settings = AppSettings.for_tests()
    with TestClient(create_app(seeded.engine, settings), base_url="https://testserver") as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD, next: str = "/") -> object:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token, "next": next},
        follow_redirects=False,
    )


def shop_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-shop="([^"]+)">', html)


def test_login_then_the_overview_lists_only_granted_shops(browser: TestClient) -> None:
    assert browser.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    response = sign_in(browser, "alice")
    assert response.status_code == 303 and response.headers["location"] == "/"  # type: ignore[attr-defined]
    page = browser.get("/")
    assert page.status_code == 200
    assert shop_rows(page.text) == [SHOP_A]
    assert "抖音小店" not in page.text
    assert "alice · 运营" in page.text


def test_owner_sees_every_shop_with_order_counts(browser: TestClient) -> None:
    sign_in(browser, "boss")
    page = browser.get("/").text
    assert sorted(shop_rows(page)) == sorted([SHOP_A, SHOP_B, SHOP_C])
    row = page[page.index('data-shop="tmall/旗舰店"') :].split("</tr>")[0]
    assert re.findall(r'class="num">([\d,]+)<', row) == ["4"]
    assert "<svg" in page and "<title>天猫 · 旗舰店: 4</title>" in page  # the chart names the shop


def test_wrong_password_is_refused_on_the_page(browser: TestClient) -> None:
    response = sign_in(browser, "alice", "wrong password")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "用户名或密码错误" in response.text  # type: ignore[attr-defined]
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_repeated_failures_are_throttled_with_retry_after(seeded: Seeded) -> None:
    settings = AppSettings(
        secret_key="k" * 32, login_limits=LoginLimits(per_name=3, window=timedelta(minutes=15))
    )
    with TestClient(create_app(seeded.engine, settings), base_url="https://testserver") as client:
        for _ in range(3):
            assert "用户名或密码错误" in sign_in(client, "alice", "guess").text  # type: ignore[attr-defined]
        response = sign_in(client, "alice")  # the right password, too late
        assert response.status_code == 429  # type: ignore[attr-defined]
        assert 0 < int(response.headers["retry-after"]) <= 900  # type: ignore[attr-defined]
        assert "请 15 分钟后再试" in response.text  # type: ignore[attr-defined]


def test_a_post_without_the_csrf_token_is_refused(browser: TestClient) -> None:
    refused = browser.post("/login", data={"name": "alice", "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    sign_in(browser, "alice")
    for data in ({}, {"csrf_token": "forged"}):
        response = browser.post("/logout", data=data, follow_redirects=False)
        assert response.status_code == 403
    assert browser.get("/").status_code == 200  # still signed in


def test_the_csrf_token_changes_at_login(browser: TestClient) -> None:
    before = csrf_of(browser.get("/login").text)
    sign_in(browser, "alice")
    after = csrf_of(browser.get("/").text)
    assert before != after
    response = browser.post("/logout", data={"csrf_token": before}, follow_redirects=False)
    assert response.status_code == 403


def test_logout_ends_the_session(browser: TestClient) -> None:
    sign_in(browser, "alice")
    token = csrf_of(browser.get("/").text)
    response = browser.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_a_disabled_user_is_signed_out(browser: TestClient, seeded: Seeded) -> None:
    sign_in(browser, "alice")
    with seeded.engine.begin() as conn:
        conn.execute(update(users).where(users.c.name == "alice").values(active=False))
    assert browser.get("/", follow_redirects=False).headers["location"] == "/login?next=/"


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(browser: TestClient) -> None:
    assert sign_in(browser, "alice", next="/?tab=1").headers["location"] == "/?tab=1"  # type: ignore[attr-defined]
    for target in (
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/x",
    ):
        assert sign_in(browser, "alice", next=target).headers["location"] == "/"  # type: ignore[attr-defined]


def test_session_cookie_is_secure_httponly_and_samesite(browser: TestClient) -> None:
    cookie = sign_in(browser, "alice").headers["set-cookie"]  # type: ignore[attr-defined]
    assert cookie.startswith("lanshou_session=")
    assert {"secure", "httponly", "samesite=lax"} <= {part.strip().lower() for part in cookie.split(";")}


def test_plain_http_needs_secure_cookies_off(seeded: Seeded) -> None:
    app = create_app(seeded.engine, AppSettings.for_tests(secure_cookies=False))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        cookie = sign_in(client, "alice").headers["set-cookie"]  # type: ignore[attr-defined]
        assert "secure" not in cookie.lower()
        assert client.get("/").status_code == 200


def test_language_switch_is_kept_in_a_cookie(browser: TestClient) -> None:
    sign_in(browser, "alice")
    page = browser.get("/").text
    assert '<html lang="zh-CN">' in page and "我的店铺" in page
    response = browser.post(
        "/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "lang=en" in response.headers["set-cookie"]
    english = browser.get("/").text
    assert '<html lang="en">' in english and "My shops" in english and "alice · Operator" in english
    browser.post("/lang", data={"lang": "fr", "csrf_token": csrf_of(english)})  # unknown: ignored
    assert '<html lang="en">' in browser.get("/").text


def test_the_login_page_switches_language_before_signing_in(browser: TestClient) -> None:
    token = csrf_of(browser.get("/login").text)
    browser.post("/lang", data={"lang": "en", "next": "/login", "csrf_token": token})
    assert "Sign in" in browser.get("/login").text


def test_shop_names_are_escaped(browser: TestClient, seeded: Seeded) -> None:
    with seeded.engine.begin() as conn:
        conn.execute(
            update(s.shops).where(s.shops.c.name == "抖音小店").values(name="<script>alert(1)</script>")
        )
    sign_in(browser, "boss")
    page = browser.get("/").text
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_pages_carry_security_headers_and_load_nothing_from_elsewhere(browser: TestClient) -> None:
    sign_in(browser, "alice")
    page = browser.get("/")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["x-frame-options"] == "DENY"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all(re.fullmatch(r' src="/static/[a-z]+\.js" defer', tag) for tag, _ in scripts)
    assert all(not body.strip() for _, body in scripts)  # no inline JavaScript: only the site's own files
    for url in re.findall(r'(?:src|href)="([^"#]+)"', page.text):
        assert url.startswith("/") and not url.startswith("//"), url
    assert browser.get("/static/app.css").status_code == 200


def test_unknown_pages_get_an_html_404_in_the_readers_language(browser: TestClient) -> None:
    response = browser.get("/no/such/page")
    assert response.status_code == 404 and "页面不存在" in response.text


def test_every_text_the_templates_and_pages_use_is_in_the_catalog() -> None:
    used = set()
    for path in [*TEMPLATES.glob("*.html"), *WEB_SOURCES.glob("*.py")]:
        used |= set(
            re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""", path.read_text(encoding="utf-8"))
        )
        used |= set(
            re.findall(r"""["']((?:login|overview|nav|error|csrf)\.[a-z0-9_]+)["']""", path.read_text())
        )
    used = {key for key in used if not key.endswith(".html")}
    # keys built from a value ("status." ~ o.status): every value of the family is in the catalog
    families = {
        "status.": [s.value for s in OrderStatus],
        "tracking.status.": ["none", *(s.value for s in TrackingStatus)],
        "alert.kind.": [k.value for k in AlertKind],
        "alert.state.": ["open", "acked", "resolved"],
        "reason.": list(REASONS),
        "misses.by.": list(MISS_GROUPS),
        "metric.name.": list(MISS_METRICS),
        "queue.kind.": ["pay_to_pickup", "late_shipment"],
        "notify.state.": list(NOTIFY_STATES),
        "review.state.": ["none", *RESULTS.values()],  # an order page's review ("none": not reviewed)
        "review.action.": list(ACTIONS),
        "rules.scope.": list(SCOPES),
    }
    assert {key for key in used if key.endswith(".")} <= set(families)
    used = {key for key in used if not key.endswith(".")}
    used |= {prefix + value for prefix, values in families.items() for value in values}
    used |= {f"role.{role.value}" for role in Role}  # the template builds these from the user's role
    assert len(used) > 20
    assert sorted(used - set(MESSAGES)) == []
    assert all(zh and en and zh != en for zh, en in MESSAGES.values() if not zh.isascii())


def test_bar_chart_scales_to_the_largest_value_and_escapes_labels() -> None:
    svg = str(bar_chart([("a<b", 50), ("c", 100), ("d", 0)], title="T&T"))
    widths = [float(w) for w in re.findall(r'class="bar" x="\d+" y="\d+" width="([\d.]+)"', svg)]
    assert widths == [150.0, 300.0, 0.0]
    assert "a&lt;b" in svg and "<title>T&amp;T</title>" in svg and "a<b" not in svg
    assert 'viewBox="0 0 510 28"' not in svg and 'viewBox="0 0 510 84"' in svg


def test_require_page_shows_a_403_page_to_roles_without_the_permission(seeded: Seeded) -> None:
    from fastapi import Depends
    from fastapi.responses import HTMLResponse

    from lanshou.web.security import page_router, require_page

    router = page_router()

    @router.get("/test-users", dependencies=[Depends(require_page(Permission.USERS_MANAGE))])
    def users_page() -> HTMLResponse:
        return HTMLResponse("<p>users</p>")

    app = create_app(seeded.engine, AppSettings.for_tests())
    app.include_router(router)
    with TestClient(app, base_url="https://testserver") as client:
        assert client.get("/test-users", follow_redirects=False).status_code == 303  # not signed in
        sign_in(client, "alice")
        refused = client.get("/test-users")
        assert refused.status_code == 403 and "无权访问此页面" in refused.text
        sign_in(client, "boss")
        assert client.get("/test-users").text == "<p>users</p>"
