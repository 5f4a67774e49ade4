"""The customer-service pages through the ASGI app on SQLite and PostgreSQL: follow-ups (/followups) and
buyers (/buyers, /buyers/{buyer}) show what `lanshou followups|buyers … --json` answer, over the user's
shops only; their forms act as `followups assign|close` and `buyers blacklist` do, with the signed-in user
as the actor, for the roles allowed to, with CSRF; and names and phones are masked unless the role may see
buyer data."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.cli.app import app as cli_app
from lanshou.orders.timeline import read
from tests.accounts_data import SHOP_A, SHOP_B
from tests.cs_data import SPANNING_BUYER, Desk, seed_desk
from tests.test_web_names import visible
from tests.test_web_pages import csrf_of, sign_in

runner = CliRunner()


@pytest.fixture
def desk(engine: Engine, tmp_path: Path) -> Desk:
    return seed_desk(engine, tmp_path)


@pytest.fixture
def app(desk: Desk) -> object:
    return create_app(desk.engine, AppSettings.for_tests())


@pytest.fixture
def users(app: object) -> Iterator[dict[str, TestClient]]:
    """A signed-in browser for each of the seeded users."""
    clients = {}
    for name in ("boss", "bob", "carol", "wang"):
        client = TestClient(app, base_url="https://testserver")  # type: ignore[arg-type]
        assert sign_in(client, name).status_code == 303  # type: ignore[attr-defined]
        clients[name] = client
    yield clients
    for client in clients.values():
        client.close()


def cli_json(engine: Engine, *args: str) -> Any:
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(cli_app, [*args, "--json"], env={"LANSHOU_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def followup_rows(html: str) -> dict[str, str]:
    """order id -> state of the follow-up rows a page shows."""
    return dict(re.findall(r'<tr data-followup="\d+" data-order="([^"]+)" data-state="(\w+)"', html))


def buyer_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-buyer="([^"]+)"', html)


def field(html: str, name: str) -> str:
    match = re.search(rf'data-field="{name}">([^<]*)<', html)
    assert match, name
    return match.group(1)


def flash_of(html: str) -> str:
    match = re.search(r'id="flash">([^<]*)<', html)
    assert match, "no message on the page"
    return match.group(1)


def test_followups_list_what_the_cli_lists_in_the_users_shops_only(
    users: dict[str, TestClient], desk: Desk
) -> None:
    every = cli_json(desk.engine, "followups", "list")
    shown = followup_rows(users["boss"].get("/followups").text)
    assert (
        shown
        == {row["order_no"]: "overdue" for row in every}
        == {"A-2": "overdue", "B-1": "overdue", "C-1": "overdue"}
    )
    assert followup_rows(users["bob"].get("/followups").text) == {"B-1": "overdue"}
    assert followup_rows(users["carol"].get("/followups").text) == {"A-2": "overdue"}
    assert users["carol"].get("/followups", params={"shop": SHOP_B}).status_code == 404
    html = users["bob"].get("/followups").text
    link = f'href="/orders/{desk.shop_id(SHOP_B)}/B-1"'
    assert link in html and "包装破损" in html  # the order link, and the problem read in the text


def test_followup_filters_are_the_clis(users: dict[str, TestClient], desk: Desk) -> None:
    with desk.engine.begin() as conn:
        f = s.followups.c
        conn.execute(
            update(s.followups)
            .where(f.id == desk.followups["C-1"])
            .values(due_at=datetime(2099, 1, 1), owner="小李")
        )
    boss = users["boss"]
    overdue = followup_rows(boss.get("/followups", params={"overdue": "1"}).text)
    assert set(overdue) == {
        row["order_no"] for row in cli_json(desk.engine, "followups", "list", "--overdue")
    }
    assert set(overdue) == {"A-2", "B-1"}
    assert followup_rows(boss.get("/followups", params={"owner": "小李"}).text) == {"C-1": "open"}
    mine = followup_rows(boss.get("/followups", params={"shop": SHOP_A}).text)
    assert set(mine) == {
        r["order_no"] for r in cli_json(desk.engine, "followups", "list", "--shop", "tmall:旗舰店")
    }


def test_assign_and_close_act_as_the_cli_and_land_in_the_timeline(
    users: dict[str, TestClient], desk: Desk
) -> None:
    bob, b1 = users["bob"], desk.followups["B-1"]
    token = csrf_of(bob.get("/followups").text)
    assigned = bob.post(f"/followups/{b1}/assign", data={"csrf_token": token, "owner": "boss"})
    assert flash_of(assigned.text) == f"回访 {b1} 已指派给 boss"
    closed = bob.post(
        f"/followups/{b1}/close", data={"csrf_token": token, "outcome": "refunded", "note": "退款 5 元"}
    )
    assert "已退款" in flash_of(closed.text)
    listed = {r["id"]: r for r in cli_json(desk.engine, "followups", "list", "--all")}[b1]
    expected = ("closed", "refunded", "退款 5 元", "bob", "boss")
    assert (
        listed["status"],
        listed["outcome"],
        listed["note"],
        listed["closed_by"],
        listed["owner"],
    ) == expected
    with desk.engine.connect() as conn:
        timeline = [(e.kind, e.actor) for e in read(conn, desk.shop_id(SHOP_B), "B-1")]
    assert ("followup_assigned", "bob") in timeline and ("followup_closed", "bob") in timeline
    assert followup_rows(bob.get("/followups").text) == {}  # closed: not open any more
    assert followup_rows(bob.get("/followups", params={"state": "all"}).text) == {"B-1": "closed"}


def test_a_refused_close_shows_the_reason_and_changes_nothing(
    users: dict[str, TestClient], desk: Desk
) -> None:
    bob, b1 = users["bob"], desk.followups["B-1"]
    token = csrf_of(bob.get("/followups").text)
    bob.post(f"/followups/{b1}/close", data={"csrf_token": token, "outcome": "resolved"})
    before = cli_json(desk.engine, "followups", "list", "--all")
    again = bob.post(f"/followups/{b1}/close", data={"csrf_token": token, "outcome": "refunded", "note": "x"})
    assert again.status_code == 200 and "已关闭" in flash_of(again.text)  # the reader's half: Chinese
    reassigned = bob.post(f"/followups/{b1}/assign", data={"csrf_token": token, "owner": "x"})
    assert "已关闭" in flash_of(reassigned.text) and "closed already" not in flash_of(reassigned.text)
    assert cli_json(desk.engine, "followups", "list", "--all") == before


def test_followup_forms_need_the_role_the_shop_and_the_csrf_token(
    users: dict[str, TestClient], desk: Desk
) -> None:
    a2, b1 = desk.followups["A-2"], desk.followups["B-1"]
    wang = users["wang"]  # the warehouse reads the list, acts on nothing
    page = wang.get("/followups").text
    assert set(followup_rows(page)) == {"A-2", "B-1"} and 'data-action="close"' not in page
    assert (
        wang.post(
            f"/followups/{b1}/close", data={"csrf_token": csrf_of(page), "outcome": "resolved"}
        ).status_code
        == 403
    )
    bob = users["bob"]
    token = csrf_of(bob.get("/followups").text)
    assert 'data-action="close"' in bob.get("/followups").text
    assert (
        bob.post(f"/followups/{a2}/close", data={"csrf_token": token, "outcome": "resolved"}).status_code
        == 404
    )
    assert bob.post(f"/followups/{b1}/close", data={"outcome": "resolved"}).status_code == 403  # no token
    assert cli_json(desk.engine, "followups", "list") == cli_json(desk.engine, "followups", "list", "--all")


def followup_row(html: str, order_no: str) -> str:
    start = html.index(f'data-order="{order_no}"')
    return html[start : html.index("</tr>", start)]


def test_a_followup_shows_what_the_buyer_wrote_and_whom_to_call_masked_unless_asked(
    users: dict[str, TestClient], desk: Desk
) -> None:
    """The feedback's text and the order's buyer on each row; the buyer masked for every role, as every
    list; the roles that may see buyer data (customer service, the owner) may ask for the whole, and the
    next pages and filters keep it; any other role asking is refused."""
    carol = users["carol"]  # customer service of shop A
    page = carol.get("/followups").text
    row = followup_row(page, "A-2")
    assert 'data-field="feedback">发货太慢了<' in row
    assert re.search(
        r'data-field="buyer" data-masked="true"><span>李\* <span class="mono">139\*\*\*\*1111</span>', row
    )
    assert "13900001111" not in page and "李四" not in page and 'id="masked"' in page
    toggle = re.search(r'<a href="\?([^"]+)" id="toggle-mask">显示完整电话</a>', page)
    assert toggle and "unmask=true" in toggle.group(1)
    whole = carol.get(f"/followups?{toggle.group(1).replace('&amp;', '&')}").text
    assert re.search(
        r'data-masked="false"><span>李四 <span class="mono">13900001111</span>', followup_row(whole, "A-2")
    )
    assert '<input type="hidden" name="unmask" value="true">' in whole  # a filter keeps asking
    assert re.search(r'<a href="\?[^"]*" id="toggle-mask">隐藏电话</a>', whole)
    wang = users["wang"]  # the warehouse: masked, and may not ask
    listed = wang.get("/followups").text
    assert "136****3333" in followup_row(listed, "B-1") and 'id="toggle-mask"' not in listed
    assert wang.get("/followups", params={"unmask": "true"}).status_code == 403
    api = "/api/v1/followups"
    masked = carol.get(api, headers={"Authorization": f"Bearer {desk.both.token('carol')}"}).json()["items"]
    assert [(r["feedback"], r["buyer"]) for r in masked] == [
        ("发货太慢了", {"name": "李*", "phone": "139****1111", "masked": True})
    ]
    bearer = {"Authorization": f"Bearer {desk.both.token('wang')}"}
    assert wang.get(api, params={"unmask": "true"}, headers=bearer).status_code == 403


def owner_options(html: str, order_no: str) -> list[str]:
    form = followup_row(html, order_no).split('data-action="assign"')[1].split("</form>")[0]
    return re.findall(r'<option value="([^"]*)"', form)


def test_a_followup_is_given_to_an_active_user_of_its_shop_or_keeps_its_owner(
    users: dict[str, TestClient], desk: Desk
) -> None:
    """The owner is picked from the active users who may see the follow-up's shop and close it (bob, customer
    service of B; boss, every shop — not wang of the warehouse, who may see B but not work follow-ups, nor
    carol of A, nor a disabled user); a name from the shop's settings, not a user, stays the follow-up's
    and may be kept; anything else is refused and changes nothing."""
    from lanshou.accounts.admin import set_active
    from lanshou.accounts.roles import Role
    from lanshou.accounts.service import add_user

    b1 = desk.followups["B-1"]
    add_user(desk.engine, "gone", "a long password 42", Role.CUSTOMER_SERVICE, [SHOP_B])
    set_active(desk.engine, "gone", False, "boss")
    bob = users["bob"]
    page = bob.get("/followups").text
    assert owner_options(page, "B-1") == ["", "bob", "boss"]  # "": 选择负责人, none yet
    assert '<datalist id="owner-names"><option value="bob"><option value="boss"></datalist>' in page
    token = csrf_of(page)
    for stranger in ("carol", "gone", "小王", "wang"):
        refused = bob.post(f"/followups/{b1}/assign", data={"csrf_token": token, "owner": stranger})
        assert flash_of(refused.text) == f"未执行: {stranger} 不是此店铺能处理回访的在用账号", stranger
    assert cli_json(desk.engine, "followups", "list")[0]["owner"] == ""
    with desk.engine.begin() as conn:  # a shop's settings {"followups": {"owner": "小王"}} gave it
        conn.execute(update(s.followups).where(s.followups.c.id == b1).values(owner="小王"))
    page = bob.get("/followups").text
    assert owner_options(page, "B-1") == ["小王", "bob", "boss"]
    assert '<option value="小王" selected>' in page
    kept = bob.post(f"/followups/{b1}/assign", data={"csrf_token": token, "owner": "小王"})
    assert flash_of(kept.text) == f"回访 {b1} 已指派给 小王"
    bob.cookies.set("lang", "en")
    english = bob.post(f"/followups/{b1}/assign", data={"csrf_token": token, "owner": "carol"})
    assert (
        flash_of(english.text)
        == "Nothing done: carol is not an active user of this shop who may work follow-ups"
    )
    given = bob.post(f"/followups/{b1}/assign", data={"csrf_token": token, "owner": "boss"})
    assert flash_of(given.text) == f"Follow-up {b1} assigned to boss"
    assert {r["order_no"]: r["owner"] for r in cli_json(desk.engine, "followups", "list")}["B-1"] == "boss"


def test_buyers_are_the_clis_in_the_users_shops_with_only_their_orders(
    users: dict[str, TestClient], desk: Desk
) -> None:
    everyone = [b["key"] for b in cli_json(desk.engine, "buyers", "list")]
    assert buyer_rows(users["boss"].get("/buyers").text) == everyone
    bobs = buyer_rows(users["bob"].get("/buyers").text)
    assert bobs == ["douyin:b5", "douyin:b3", "douyin:b4"]  # B-2 (88.00) first; none of the tmall shop
    assert SPANNING_BUYER not in buyer_rows(users["carol"].get("/buyers").text)
    assert users["carol"].get(f"/buyers/{SPANNING_BUYER}").status_code == 404
    assert users["carol"].get("/buyers/B-1").status_code == 404  # another shop's order number

    whole = users["boss"].get(f"/buyers/{SPANNING_BUYER}").text
    assert re.findall(r'<tr data-order="([^"]+)"', whole) == ["C-1", "B-2"]
    assert (field(whole, "orders"), field(whole, "spend")) == ("2", "98.00")
    part = users["bob"].get(f"/buyers/{SPANNING_BUYER}").text  # bought in douyin/旗舰店 too: not bob's
    assert re.findall(r'<tr data-order="([^"]+)"', part) == ["B-2"]
    assert (field(part, "orders"), field(part, "spend")) == ("1", "88.00")
    assert field(part, "shops") == "抖店 · 抖音小店"  # SHOP_B by its platform's name
    assert "等了一周" in whole and "等了一周" not in part  # C-1's feedback stays with its shop
    assert f'href="/orders/{desk.shop_id(SHOP_B)}/B-2"' in part and 'id="partial"' in part


def test_buyer_filters_and_segments_are_the_clis(users: dict[str, TestClient], desk: Desk) -> None:
    boss = users["boss"]
    for params, command in (
        ({"repeat": "repeat"}, ("--repeat",)),
        ({"repeat": "first"}, ("--first-time",)),
        ({"tier": "新客"}, ("--tier", "新客")),
    ):
        shown = buyer_rows(boss.get("/buyers", params=params).text)
        assert shown == [b["key"] for b in cli_json(desk.engine, "buyers", "list", *command)], params
    complainers = [b["key"] for b in cli_json(desk.engine, "buyers", "segment", "complainers")]
    assert (
        complainers and buyer_rows(boss.get("/buyers", params={"segment": "complainers"}).text) == complainers
    )
    assert SPANNING_BUYER in complainers  # C-1's bad review
    assert SPANNING_BUYER not in buyer_rows(
        users["bob"].get("/buyers", params={"segment": "complainers"}).text
    )


@pytest.mark.parametrize(
    ("lang", "complainers", "repeat"),
    [("zh-CN", "投诉较多", "回头客"), ("en", "Complainers", "Repeat buyer")],
)
def test_tiers_and_segments_show_by_name_and_filter_by_code(
    users: dict[str, TestClient], lang: str, complainers: str, repeat: str
) -> None:
    boss = users["boss"]
    boss.cookies.set("lang", lang)
    listed = boss.get("/buyers", params={"segment": "complainers"}).text
    assert SPANNING_BUYER in buyer_rows(listed)  # a repeat buyer, with C-1's bad review
    one = boss.get(f"/buyers/{SPANNING_BUYER}").text
    for html in (listed, one):
        text = visible(html)
        assert complainers in text and repeat in text, lang
        assert not {"complainers", "big_spenders", "sleeping"} & set(re.findall(r"[a-z_]+", text)), lang
    assert (field(one, "tier"), field(one, "segments")) == (repeat, complainers)
    assert f'<option value="complainers" selected>{complainers}</option>' in listed
    assert f'<option value="回头客">{repeat}</option>' in listed


def test_phones_and_names_are_masked_unless_the_role_may_see_them(
    users: dict[str, TestClient], desk: Desk
) -> None:
    for who, name, phone in (("wang", "周*", "134****5555"), ("bob", "周八", "13400005555")):
        listed = users[who].get("/buyers").text  # a list is masked for every role, as the orders list
        row = listed[listed.index(f'data-buyer="{SPANNING_BUYER}"') :].split("</tr>")[0]
        assert "周*" in row and "134****5555" in row and "13400005555" not in listed, who
        assert 'id="masked"' in listed
        profile = users[who].get(f"/buyers/{SPANNING_BUYER}").text
        assert (field(profile, "name"), field(profile, "phone")) == (name, phone)


def test_an_order_number_of_two_shops_buyers_is_not_guessed(users: dict[str, TestClient]) -> None:
    """SAME-1 is an order of shop A (吴九) and of shop B (孙七): the owner is told so, each shop's staff
    see their own shop's buyer."""
    refused = users["boss"].get("/buyers/SAME-1")
    assert refused.status_code == 409 and "多个店铺有此订单号" in refused.text
    assert "吴九" not in refused.text and "孙七" not in refused.text
    assert field(users["bob"].get("/buyers/SAME-1").text, "name") == "孙七"


def test_blacklisting_acts_as_the_cli_with_who_did_it(users: dict[str, TestClient], desk: Desk) -> None:
    bob = users["bob"]
    url = f"/buyers/{SPANNING_BUYER}"
    page = bob.get(url).text
    assert 'id="blacklist-form"' in page
    refused = bob.post(f"{url}/blacklist", data={"csrf_token": csrf_of(page), "action": "add", "reason": " "})
    assert "拉黑须写明原因" in flash_of(refused.text) and "needs a reason" not in flash_of(refused.text)
    assert not cli_json(desk.engine, "buyers", "show", SPANNING_BUYER)["blacklisted"]
    done = bob.post(
        f"{url}/blacklist", data={"csrf_token": csrf_of(page), "action": "add", "reason": "恶意退款"}
    )
    assert field(done.text, "reason") == "恶意退款"
    shown = cli_json(desk.engine, "buyers", "show", SPANNING_BUYER)
    assert (shown["blacklisted"], shown["blacklist_reason"], shown["blacklisted_by"]) == (
        True,
        "恶意退款",
        "bob",
    )
    assert SPANNING_BUYER in buyer_rows(users["boss"].get("/buyers", params={"blacklisted": "1"}).text)
    bob.post(f"{url}/blacklist", data={"csrf_token": csrf_of(page), "action": "remove", "reason": "已沟通"})
    shown = cli_json(desk.engine, "buyers", "show", SPANNING_BUYER)
    assert (shown["blacklisted"], shown["blacklisted_by"]) == (False, "bob")
    history = bob.get(url).text.split('id="blacklist-history"')[1].split("</table>")[0]
    assert history.count("<tr data-change=") == 2
    assert history.index('data-change="off"') < history.index('data-change="on"')  # newest first
    assert "已沟通" in history and "恶意退款" in history


def test_the_blacklist_form_needs_the_role_the_shop_and_the_csrf_token(
    users: dict[str, TestClient], desk: Desk
) -> None:
    wang = users["wang"]
    page = wang.get(f"/buyers/{SPANNING_BUYER}").text
    assert 'id="blacklist-form"' not in page
    form = {"csrf_token": csrf_of(page), "action": "add", "reason": "x"}
    assert wang.post(f"/buyers/{SPANNING_BUYER}/blacklist", data=form).status_code == 403
    carol = users["carol"]  # customer service of the tmall shop: douyin:b5 is no buyer of hers
    form = {"csrf_token": csrf_of(carol.get("/buyers").text), "action": "add", "reason": "x"}
    assert carol.post(f"/buyers/{SPANNING_BUYER}/blacklist", data=form).status_code == 404
    assert users["bob"].post(f"/buyers/{SPANNING_BUYER}/blacklist", data={"reason": "x"}).status_code == 403
    assert cli_json(desk.engine, "buyers", "list", "--blacklisted") == []


def test_the_pages_need_a_sign_in_and_are_in_the_menu(app: object, users: dict[str, TestClient]) -> None:
    with TestClient(app, base_url="https://testserver") as anonymous:  # type: ignore[arg-type]
        for url in ("/followups", "/buyers", f"/buyers/{SPANNING_BUYER}"):
            response = anonymous.get(url, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"].startswith("/login")
    menu = users["wang"].get("/").text
    assert 'href="/followups"' in menu and 'href="/buyers"' in menu
    boss = users["boss"]
    boss.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_of(boss.get("/").text)})
    assert "<h1>Buyers</h1>" in boss.get("/buyers").text
    assert "Follow-ups of negative feedback" in boss.get("/followups").text


@pytest.mark.parametrize("url", ["/followups", "/buyers"])
def test_a_page_cursor_out_of_range_starts_over(users: dict[str, TestClient], url: str) -> None:
    from lanshou.api.pagination import encode_cursor

    first = users["boss"].get(url).text
    far = users["boss"].get(url, params={"after": encode_cursor({"offset": 10**20})})
    assert far.status_code == 200 and far.text.count("<tr") == first.count("<tr")
