"""The after-sales pages through the ASGI app on SQLite and PostgreSQL: the list and a case are the area's
own answers over the user's shops, the forms are customer service's and only for the steps a case allows,
every step is CSRF-checked, lands in the order's timeline under the user's name, and a refused one shows
the area's reason with nothing changed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lanshou.aftersales.service import list_json, show_json
from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.web import aftersales_pages
from lanshou.web.aftersales_pages import labels
from lanshou.web.i18n import LANGUAGES, translator
from tests.accounts_data import SHOP_A, SHOP_B, Seeded
from tests.aftersales_web_data import (
    A1_MASKED,
    A1_PHONE,
    SHOP_A_CASES,
    add_cases,
    return_parcel_moves,
    seed_cases,
)
from tests.test_web_names import visible
from tests.test_web_pages import csrf_of, sign_in

CASE_A1 = f"/aftersales/AS-1?shop={SHOP_A}"


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    return seed_cases(engine, tmp_path)


@pytest.fixture
def app(seeded: Seeded) -> object:
    return create_app(seeded.engine, AppSettings.for_tests())


def signed_in(app: object, name: str) -> TestClient:
    client = TestClient(app, base_url="https://testserver")  # type: ignore[arg-type]
    assert sign_in(client, name).status_code == 303  # type: ignore[attr-defined]
    return client


@pytest.fixture
def carol(app: object) -> Iterator[TestClient]:  # customer service, shop A
    with signed_in(app, "carol") as client:
        yield client


@pytest.fixture
def bob(app: object) -> Iterator[TestClient]:  # customer service, shop B
    with signed_in(app, "bob") as client:
        yield client


@pytest.fixture
def wang(app: object) -> Iterator[TestClient]:  # warehouse, shops A and B
    with signed_in(app, "wang") as client:
        yield client


def listed(html: str) -> list[str]:
    return re.findall(r'<tr data-case="([^"]+)"', html)


def post_step(client: TestClient, url: str, step: str, **form: str) -> object:
    page = client.get(url)
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_of(page.text), "shop": SHOP_A, **form}
    case_no = url.split("?")[0].rsplit("/", 1)[-1]
    return client.post(f"/aftersales/{case_no}/{step}", data=data, follow_redirects=False)


def test_the_list_is_the_areas_over_the_users_shops(carol: TestClient, seeded: Seeded) -> None:
    html = carol.get("/aftersales").text
    assert listed(html) == SHOP_A_CASES == [c["case_no"] for c in list_json(seeded.engine, "tmall:旗舰店")]
    assert "BS-1" not in html and 'href="/aftersales"' in html  # the menu names the page
    assert '<a href="/aftersales/AS-3?shop=tmall%2F%E6%97%97%E8%88%B0%E5%BA%97">AS-3</a>' in html
    assert listed(carol.get("/aftersales", params={"status": "returned"}).text) == ["AS-3"]
    assert listed(carol.get("/aftersales", params={"type": "return_refund"}).text) == ["AS-2", "AS-3"]
    assert listed(carol.get("/aftersales", params={"order": "SAME-1"}).text) == ["DUP-1"]
    assert listed(carol.get("/aftersales", params={"open": "1"}).text) == SHOP_A_CASES[:-1]  # not AS-0
    assert carol.get("/aftersales", params={"shop": SHOP_B}).status_code == 404


def test_pages_go_through_every_case_once(
    wang: TestClient, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aftersales_pages, "PAGE_SIZE", 2)
    expected = [c["case_no"] for c in list_json(seeded.engine)]  # wang has both shops, the owner's all
    html, seen = wang.get("/aftersales").text, []
    while True:
        seen += listed(html)
        found = re.search(r'id="next-page" href="([^"]+)"', html)
        if not found:
            break
        html = wang.get("/aftersales" + found.group(1).replace("&amp;", "&")).text
    assert seen == expected and len(seen) == 7


def test_a_case_shows_order_buyer_return_steps_and_timeline(carol: TestClient, seeded: Seeded) -> None:
    html = carol.get(f"/aftersales/AS-3?shop={SHOP_A}").text
    shown = show_json(seeded.engine, "AS-3")
    assert f'<a href="/orders/{seeded.shop_ids[SHOP_A]}/A-3">A-3</a>' in html
    assert 'data-type="return_refund">退货退款' in html and 'data-status="returned"' in html
    assert "¥8.00" in html and "尺码不合适" in html
    assert '中通快递 <span class="mono">RT900</span>' in html and 'data-action="open"' in html
    assert "<strong>售后</strong>" in html  # the timeline names its kinds (aftersale_open)
    kinds = re.findall(r'<li data-kind="([^"]+)"', html)
    assert kinds == [e["kind"] for e in shown["timeline"]] and kinds
    # customer service may see the buyer's phone: the case page shows it whole, the list masked
    assert "13700002222" in html and "137****2222" in carol.get("/aftersales").text
    assert re.findall(r'data-step="([a-z]+)"', html) == ["refuse", "receive"] == shown["steps"]
    steps = re.findall(r'data-step="([a-z]+)"', carol.get(CASE_A1).text)
    assert steps == ["agree", "refuse"]
    carol.cookies.set("lang", "en")
    english = carol.get(f"/aftersales/AS-3?shop={SHOP_A}").text
    assert "Return and refund" in english and "Receive and inspect" in english


# a platform's reason text that is the reason's title and its translation, as the demo writes it
NO_REASON = (
    'tmall,旗舰店,AS-9,A-3,refund,requested,"七天无理由 no reason, within 7 days",1.00,2026-11-03 09:00:00,,'
)
NAMES = {
    "zh-CN": {"no_reason": "七天无理由", "requested": "待处理", "refund_unshipped": "仅退款（未发货）"},
    "en": {
        "no_reason": "No reason (7 days)",
        "requested": "Requested",
        "refund_unshipped": "Refund only (not shipped)",
    },
}


@pytest.mark.parametrize("lang", sorted(NAMES))
def test_codes_show_by_name_once_in_the_readers_language(
    carol: TestClient, seeded: Seeded, tmp_path: Path, lang: str
) -> None:
    add_cases(seeded.engine, tmp_path, [NO_REASON])
    carol.cookies.set("lang", lang)
    names = NAMES[lang]
    listed = carol.get("/aftersales").text
    row = visible(listed[listed.index('<tr data-case="AS-9"') :].split("</tr>")[0])
    assert row.count(names["no_reason"]) == 1 and "no reason, within" not in row, row
    assert f'<option value="requested">{names["requested"]}</option>' in listed  # the filter keeps the code
    html = carol.get(f"/aftersales/AS-9?shop={SHOP_A}").text
    facts = visible(html.split('<section class="card" id="timeline">')[0].split("<h1>", 1)[1])
    for code, name in names.items():
        assert name in facts and code not in facts, (code, facts)
    assert "原因 reason" not in facts and "七天无理由 七天无理由" not in facts
    if lang == "en":
        assert "七天无理由" not in facts


def test_another_shops_case_is_not_found(carol: TestClient, seeded: Seeded) -> None:
    before = show_json(seeded.engine, "BS-1")
    assert carol.get("/aftersales/BS-1").status_code == 404
    assert carol.get(f"/aftersales/BS-1?shop={SHOP_B}").status_code == 404
    token = csrf_of(carol.get("/aftersales").text)
    for shop in ("", SHOP_B):
        refused = carol.post("/aftersales/BS-1/agree", data={"csrf_token": token, "shop": shop})
        assert refused.status_code == 404
    assert show_json(seeded.engine, "BS-1") == before


def test_the_warehouse_reads_but_neither_sees_forms_nor_acts(wang: TestClient, seeded: Seeded) -> None:
    assert listed(wang.get("/aftersales").text)  # shops A and B
    assert 'href="/aftersales"' in wang.get("/").text  # in the menu: every role may read cases
    html = wang.get(CASE_A1).text
    assert 'id="act"' not in html and '<form method="post" action="/aftersales' not in html
    before = show_json(seeded.engine, "AS-1")
    forbidden = wang.post("/aftersales/AS-1/agree", data={"csrf_token": csrf_of(html), "shop": SHOP_A})
    assert forbidden.status_code == 403
    assert show_json(seeded.engine, "AS-1") == before


def test_the_warehouse_receives_a_return_and_sees_no_other_step(wang: TestClient, seeded: Seeded) -> None:
    """The warehouse opens the returned parcel and inspects it: on a case that waits for that, its only
    form is receive, and the step lands under its name; refusing stays customer service's."""
    case = f"/aftersales/AS-3?shop={SHOP_A}"  # returned: customer service could refuse or receive it
    assert show_json(seeded.engine, "AS-3")["steps"] == ["refuse", "receive"]
    html = wang.get(case).text
    assert re.findall(r'data-step="([a-z]+)"', html) == ["receive"]
    assert "13700002222" not in html and "137****2222" in html  # the buyer stays masked for it
    before = show_json(seeded.engine, "AS-3")
    refused = wang.post("/aftersales/AS-3/refuse", data={"csrf_token": csrf_of(html), "shop": SHOP_A})
    assert refused.status_code == 403 and show_json(seeded.engine, "AS-3") == before
    done = post_step(wang, case, "receive", disposition="write_off", reason="外包装破损")
    assert done.status_code == 303  # type: ignore[attr-defined]
    received = show_json(seeded.engine, "AS-3")
    assert (received["status"], received["disposition"]) == ("received", "write_off")
    assert received["history"][-1]["actor"] == "wang" and "外包装破损" in received["history"][-1]["detail"]
    assert 'data-step="' not in wang.get(case).text


def test_a_warehouse_receives_only_in_its_own_shops(app: object, seeded: Seeded) -> None:
    from lanshou.accounts.roles import Role
    from lanshou.accounts.service import add_user
    from tests.accounts_data import PASSWORD

    add_user(seeded.engine, "li", PASSWORD, Role.WAREHOUSE, [SHOP_B])  # shop B's warehouse only
    before = show_json(seeded.engine, "AS-3")
    with signed_in(app, "li") as li:
        assert "AS-3" not in listed(li.get("/aftersales").text)
        assert li.get(f"/aftersales/AS-3?shop={SHOP_A}").status_code == 404
        token = csrf_of(li.get("/aftersales").text)
        for shop in ("", SHOP_A):
            form = {"csrf_token": token, "shop": shop, "disposition": "restock"}
            assert li.post("/aftersales/AS-3/receive", data=form).status_code == 404
    assert show_json(seeded.engine, "AS-3") == before


def test_buyers_are_masked_for_roles_without_buyer_data(wang: TestClient) -> None:
    for url in ("/aftersales", CASE_A1):
        html = wang.get(url).text
        assert A1_MASKED in html and A1_PHONE not in html, url


def test_a_step_without_the_csrf_token_is_refused(carol: TestClient, seeded: Seeded) -> None:
    before = show_json(seeded.engine, "AS-1")
    carol.get(CASE_A1)
    refused = carol.post("/aftersales/AS-1/agree", data={"shop": SHOP_A}, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert show_json(seeded.engine, "AS-1") == before


def test_agree_is_the_clis_step_and_lands_in_the_timeline(carol: TestClient, seeded: Seeded) -> None:
    from tests.test_aftersales_api import cli_json

    done = post_step(carol, CASE_A1, "agree", reason="已核实")
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"] == "/aftersales/AS-1?shop=tmall%2F%E6%97%97%E8%88%B0%E5%BA%97"  # type: ignore[attr-defined]
    page = carol.get(done.headers["location"]).text  # type: ignore[attr-defined]
    assert "售后单 AS-1：同意，现为「已同意」" in page and 'data-status="agreed"' in page
    shown = show_json(seeded.engine, "AS-1")
    by_cli = cli_json(seeded.engine, "agree", "BS-1", "--by", "bob", "--reason", "已核实")  # a case like it
    assert (shown["status"], shown["steps"]) == (by_cli["status"], by_cli["steps"]) == ("agreed", [])
    step, cli_step = shown["history"][-1], show_json(seeded.engine, "BS-1")["history"][-1]
    assert step["actor"] == "carol"
    assert {k: v for k, v in step.items() if k not in ("at", "actor")} == {
        k: v for k, v in cli_step.items() if k not in ("at", "actor")
    }
    entry = shown["timeline"][-1]
    assert (entry["kind"], entry["actor"]) == ("aftersale_agree", "carol") and "已核实" in entry["detail"]
    assert 'data-step="' not in page  # nothing more a person can do now


def test_refuse_and_receive_by_form(carol: TestClient, seeded: Seeded) -> None:
    assert post_step(carol, f"/aftersales/AS-2?shop={SHOP_A}", "refuse", reason="超过时限").status_code == 303  # type: ignore[attr-defined]
    refused = show_json(seeded.engine, "AS-2")
    assert refused["status"] == "refused" and refused["timeline"][-1]["actor"] == "carol"
    post_step(carol, f"/aftersales/AS-3?shop={SHOP_A}", "receive", disposition="restock")
    received = show_json(seeded.engine, "AS-3")
    assert (received["status"], received["disposition"]) == ("received", "restock")
    assert received["history"][-1]["actor"] == "carol"
    assert 'data-disposition="restock"' in carol.get(f"/aftersales/AS-3?shop={SHOP_A}").text


@pytest.mark.parametrize(
    ("case_no", "step", "form", "reason"),
    [
        ("AS-3", "agree", {}, "cannot &#39;agree_return&#39; a case that is &#39;returned&#39;"),
        (
            "AS-1",
            "receive",
            {"disposition": "restock"},
            "a refund_unshipped case has no &#39;receive&#39; step",
        ),
        ("AS-1", "refuse", {"reason": " "}, "refusing a case needs a reason"),
        ("AS-3", "receive", {}, "receiving needs an inspection outcome: restock or write_off"),
    ],
)
def test_a_refused_step_shows_the_areas_reason_and_changes_nothing(
    carol: TestClient, seeded: Seeded, case_no: str, step: str, form: dict[str, str], reason: str
) -> None:
    before = show_json(seeded.engine, case_no)
    carol.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_of(carol.get("/").text)})
    done = post_step(carol, f"/aftersales/{case_no}?shop={SHOP_A}", step, **form)
    page = carol.get(done.headers["location"]).text  # type: ignore[attr-defined]
    flash = re.search(r'<p class="alert" role="status" id="flash">([^<]*)</p>', page)
    assert flash and "Nothing done" in flash.group(1) and reason in flash.group(1)  # the English half
    assert show_json(seeded.engine, case_no) == before


def test_every_value_of_the_area_has_its_words_in_both_languages() -> None:
    for language in LANGUAGES:
        for family, words in labels(translator(language)).items():
            missing = [value for value, text in words.items() if text.startswith("aftersales.")]
            assert missing == [], (language, family)


def test_the_return_parcel_is_followed_by_its_shops_users_only(
    carol: TestClient, bob: TestClient, seeded: Seeded, tmp_path: Path
) -> None:
    case = f"/aftersales/AS-3?shop={SHOP_A}"
    assert 'href="/tracking/RT900"' not in carol.get(case).text  # no event yet: nothing to follow
    return_parcel_moves(seeded.engine, tmp_path)
    assert 'href="/tracking/RT900"' in carol.get(case).text
    track = carol.get("/tracking/RT900")
    assert track.status_code == 200 and "退货已揽收" in track.text
    assert bob.get("/tracking/RT900").status_code == 404  # shop B has no case coming back in it


def test_a_return_number_that_is_another_shops_parcel_stays_that_shops(
    carol: TestClient, bob: TestClient, seeded: Seeded, tmp_path: Path
) -> None:
    """A case of shop A names, as its return parcel, a number shop B shipped under (a buyer's typo): carol
    (shop A) must not read shop B's track through the case."""
    from lanshou.intake.orders import import_orders
    from tests.accounts_data import HEADER
    from tests.aftersales_web_data import add_cases

    shipped = tmp_path / "b-shipped.csv"
    shipped.write_text(
        f"{HEADER}\ndouyin,抖音小店,B-1,shipped,2026-11-04 10:00:00,2026-11-04 10:05:00,0,,b3,赵六,"
        "13600003333,浙江省,杭州市,西湖区,南京路4号,,SKU-3,商品3,家居,1,10.00,10.00,zto,BX77,"
        "2026-11-05 10:00:00\n",
        encoding="utf-8",
    )
    assert import_orders(seeded.engine, shipped, rejects=tmp_path / "b.rej.csv").ok
    add_cases(
        seeded.engine,
        tmp_path,
        ["tmall,旗舰店,AS-9,A-2,return_refund,returned,质量问题,5.00,2026-11-10 09:00:00,zto,BX77"],
    )
    assert bob.get("/tracking/BX77").status_code == 200  # shop B's own parcel
    assert carol.get("/tracking/BX77").status_code == 404


def _shown_requested(html: str) -> dict[tuple[str, str], str]:
    """(case, shop) -> the request time the list shows."""
    rows = re.findall(
        r'<tr data-case="([^"]+)" data-shop="([^"]+)".*?data-label="申请时间">([^<]*)</td>', html, re.S
    )
    return {(case_no, shop): shown for case_no, shop, shown in rows}


def _in_zone(text: str, zone: str) -> str:
    """An ISO time of the JSON as the minute on a clock in `zone` (worked out apart from the pages)."""
    return datetime.fromisoformat(text).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def test_times_are_in_each_shops_timezone_as_on_the_order_pages(app: object, seeded: Seeded) -> None:
    from lanshou.shops.service import set_timezone

    set_timezone(seeded.engine, "抖音小店", "America/New_York")  # shop A stays in Asia/Shanghai
    zones = {SHOP_A: "Asia/Shanghai", SHOP_B: "America/New_York"}
    with signed_in(app, "boss") as boss:
        shown = _shown_requested(boss.get("/aftersales").text)
        expected = {
            (c["case_no"], f"{c['platform']}/{c['shop']}"): _in_zone(
                c["requested_at"], zones[f"{c['platform']}/{c['shop']}"]
            )
            for c in list_json(seeded.engine)
        }
        assert shown == expected and len(shown) == 7
        # the platforms' files said 09:00 in Shanghai: what the merchant of shop A sees again
        assert shown[("AS-1", SHOP_A)] == "2026-11-02 09:00"
        assert shown[("BS-1", SHOP_B)] == "2026-11-04 20:00"  # 01:00 UTC, the evening before in New York
        html = boss.get(f"/aftersales/BS-1?shop={SHOP_B}").text
    case = show_json(seeded.engine, "BS-1")
    assert "<dd>2026-11-04 20:00</dd>" in html and "America/New_York" in html and "UTC" not in html
    history = re.findall(r'<td data-label="时间">([^<]*)</td>', html)
    assert history == [_in_zone(h["at"], "America/New_York") for h in case["history"]] and history
    timeline = re.findall(r"<li data-kind=\"[^\"]+\"><time>([^<]*)</time>", html)
    assert timeline == [_in_zone(e["at"], "America/New_York") for e in case["timeline"]] and timeline


def test_the_buyers_return_parcel_told_by_phone_is_recorded_and_followed(
    carol: TestClient, bob: TestClient, wang: TestClient, seeded: Seeded, tmp_path: Path
) -> None:
    """待买家退货: the buyer gives customer service the return tracking number by phone. The case page takes
    it (a carrier the registry knows, a number), records it under the user's name in the case's history and
    the order's timeline (买家已退货), and the parcel is then followed on /tracking as any return parcel."""
    from lanshou.intake.tracking import import_tracking

    case = f"/aftersales/AS-2?shop={SHOP_A}"
    assert post_step(carol, case, "agree").status_code == 303  # type: ignore[attr-defined]
    html = carol.get(case).text
    assert 'data-status="waiting_return"' in html and "此售后单当前无需处理" not in html
    assert (
        re.findall(r'data-step="([a-z]+)"', html) == ["return"] == show_json(seeded.engine, "AS-2")["steps"]
    )
    assert 'name="tracking_no"' in html and '<option value="zto">中通快递</option>' in html
    assert re.findall(r'data-step="([a-z]+)"', wang.get(case).text) == ["return"]  # receives: may record it
    before = show_json(seeded.engine, "AS-2")
    for form in ({"carrier": "zto", "tracking_no": " "}, {"carrier": "nobody", "tracking_no": "RT777"}):
        assert post_step(carol, case, "return", **form).status_code == 303  # type: ignore[attr-defined]
        assert 'class="alert"' in carol.get(case).text and show_json(seeded.engine, "AS-2") == before, form

    form = {"carrier": "zto", "tracking_no": " RT777 ", "reason": "买家来电告知"}
    assert post_step(carol, case, "return", **form).status_code == 303  # type: ignore[attr-defined]
    shown = show_json(seeded.engine, "AS-2")
    assert (shown["status"], shown["return_carrier"], shown["return_tracking_no"]) == (
        "returned",
        "zto",
        "RT777",
    )
    step = shown["history"][-1]
    assert (step["actor"], step["action"], step["from_status"]) == ("carol", "buyer_return", "waiting_return")
    assert "RT777" in step["detail"] and "买家来电告知" in step["detail"]
    entry = shown["timeline"][-1]
    assert (entry["kind"], entry["actor"]) == ("aftersale_buyer_return", "carol") and "RT777" in entry[
        "detail"
    ]

    path = tmp_path / "rt777.csv"
    path.write_text(
        "carrier,tracking_no,event_time,status,location,description\n"
        "zto,RT777,2026-11-11 10:00:00,picked_up,杭州,退货已揽收\n"
        "zto,RT777,2026-11-12 10:00:00,delivered,上海,退货已签收\n",
        encoding="utf-8",
    )
    assert import_tracking(seeded.engine, path, rejects=tmp_path / "rt777.rej.csv").rejected_count == 0
    assert 'href="/tracking/RT777"' in carol.get(case).text
    track = carol.get("/tracking/RT777")
    assert track.status_code == 200 and "退货已揽收" in track.text
    assert bob.get("/tracking/RT777").status_code == 404  # shop B has no case coming back in it
    kinds = [e["kind"] for e in show_json(seeded.engine, "AS-2")["timeline"]]
    assert kinds[-1] == "aftersale_return_delivered"  # followed as return parcels are: waits for inspection


def test_an_exchange_received_offers_sending_the_replacement(
    carol: TestClient, seeded: Seeded, tmp_path: Path
) -> None:
    """换货 at 已收到退货: the machine allows reship (发出换货) or refuse. Once inspected (the ¥0 outbound
    order exists) the page offers both; before the inspection only receive (and refuse): nothing to send."""
    from tests.aftersales_web_data import add_cases

    add_cases(
        seeded.engine,
        tmp_path,
        [
            "tmall,旗舰店,EX-1,A-3,exchange,returned,尺码不合适,0.00,2026-11-04 09:00:00,zto,RT901",
            "tmall,旗舰店,EX-2,A-1,exchange,received,尺码不合适,0.00,2026-11-04 09:00:00,zto,RT902",
        ],
    )
    pending = f"/aftersales/EX-2?shop={SHOP_A}"  # the platform said received: not inspected yet
    assert re.findall(r'data-step="([a-z]+)"', carol.get(pending).text) == ["refuse", "receive"]
    before = show_json(seeded.engine, "EX-2")
    assert post_step(carol, pending, "reship").status_code == 303  # type: ignore[attr-defined]
    assert "先验收" in carol.get(pending).text and show_json(seeded.engine, "EX-2") == before

    case = f"/aftersales/EX-1?shop={SHOP_A}"
    assert post_step(carol, case, "receive", disposition="restock").status_code == 303  # type: ignore[attr-defined]
    html = carol.get(case).text
    assert 'data-status="received"' in html and 'id="outbound"' in html
    assert (
        re.findall(r'data-step="([a-z]+)"', html)
        == ["refuse", "reship"]
        == show_json(seeded.engine, "EX-1")["steps"]
    )
    assert re.search(r'data-step="reship" data-confirm="[^"]+"', html)
    assert post_step(carol, case, "reship", reason="顺丰已发").status_code == 303  # type: ignore[attr-defined]
    shown = show_json(seeded.engine, "EX-1")
    assert (shown["status"], shown["steps"]) == ("reshipped", [])
    assert (shown["history"][-1]["actor"], shown["history"][-1]["action"]) == ("carol", "reship")
