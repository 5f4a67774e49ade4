"""The dashboard pages through the ASGI app on SQLite and PostgreSQL: the overview's numbers are the
metrics report's, the queue puts what can still be saved first, misses roll up by reason, carrier, SKU
and province, orders filter, an order shows its timeline, alerts are acknowledged with CSRF — and a user of
one shop reaches no other shop's data by any page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lanshou import schema as s
from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.metrics.report import metrics_report
from lanshou.metrics.trend import pickup_trend
from tests.test_reports_misses_queue import AS_OF, PHONE
from tests.test_web_pages import csrf_of, sign_in
from tests.web2_data import CASE_SHOP, Both, only_resolved_alerts, seed_both


@pytest.fixture
def both(engine: Engine, tmp_path: Path) -> Both:
    return seed_both(engine, tmp_path)


@pytest.fixture
def app(both: Both) -> object:
    return create_app(both.engine, AppSettings.for_tests())


def client_of(app: object, name: str) -> TestClient:
    client = TestClient(app, base_url="https://testserver")  # type: ignore[arg-type]
    assert sign_in(client, name).status_code == 303  # type: ignore[attr-defined]
    return client


@pytest.fixture
def dora(app: object) -> Iterator[TestClient]:
    with client_of(app, "dora") as client:
        yield client


@pytest.fixture
def alice(app: object) -> Iterator[TestClient]:
    with client_of(app, "alice") as client:
        yield client


def metric_values(html: str) -> dict[tuple[str, str], str]:
    found = re.findall(r'<div class="metric" data-of="([^"]*)" data-key="([^"]+)" data-value="([^"]*)"', html)
    return {(of, key): value for of, key, value in found}


def test_overview_numbers_are_the_metrics_report(dora: TestClient, both: Both) -> None:
    html = dora.get("/", params={"as_of": AS_OF.isoformat()}).text
    shown = metric_values(html)
    report = metrics_report(both.engine, AS_OF, 30, shop_ids=[both.case_shop_id])
    for of, entry in (("", report["all"]), (CASE_SHOP, report["shops"][0])):
        for key in ("pay_to_pickup.rate", "delivery_hours.median", "late_shipment.rate"):
            block, field = key.split(".")
            value = entry[block][field]
            assert shown[(of, key)] == ("" if value is None else repr(float(value))), (of, key)
    assert {of for of, _ in shown} == {"", CASE_SHOP}  # no other shop's panel
    rate = report["all"]["pay_to_pickup"]["rate"]
    assert f"{rate * 100:.1f}%" in html


def test_the_daily_trend_adds_up_to_the_reports_m1(dora: TestClient, both: Both) -> None:
    points = pickup_trend(both.engine, AS_OF, 30, [both.case_shop_id])
    m1 = metrics_report(both.engine, AS_OF, 30, shop_ids=[both.case_shop_id])["all"]["pay_to_pickup"]
    assert len(points) == 30 and points[-1].day == date(2026, 11, 9)
    assert (sum(p.on_time for p in points), sum(p.late for p in points)) == (m1["on_time"], m1["late"])
    html = dora.get("/", params={"as_of": AS_OF.isoformat()}).text
    trend = html[html.index('id="trend"') :].split("</section>")[0]
    assert trend.count('<rect class="bar"') == sum(1 for p in points if p.rate is not None)


def test_queue_lists_what_can_still_make_it_first_then_the_overdue(
    dora: TestClient, alice: TestClient
) -> None:
    html = dora.get("/queue", params={"now": "2026-11-09T22:00"}).text
    can_make, overdue = html.index('id="can-make"'), html.index('id="overdue"')
    a5, a2 = html.index('data-order="A5"'), html.index('data-order="A2"')
    assert can_make < a5 < overdue < a2
    assert 'class="countdown" data-due="2026-11-09T15:00:00Z"' in html  # A5: pickup due 23:00 Shanghai
    assert "/static/countdown.js" in html
    assert 'data-order="A5"' not in alice.get("/queue", params={"now": "2026-11-09T22:00"}).text


@pytest.mark.parametrize("by", ["reason", "carrier", "sku", "province"])
def test_misses_by_each_grouping(dora: TestClient, alice: TestClient, by: str) -> None:
    response = dora.get("/misses", params={"by": by, "as_of": AS_OF.isoformat()})
    assert response.status_code == 200
    keys = re.findall(r'<tr data-key="([^"]*)">', response.text)
    expected = {"reason": "shipped_no_scan", "carrier": "zto", "sku": "SKU-2", "province": "浙江省"}[by]
    assert expected in keys
    bars = re.findall(r"<title>([^<:]*): \d+</title>", response.text)  # the chart names groups as the table
    assert ("已发货无揽收" if by == "reason" else expected) in bars
    assert ">A2</a>" in response.text
    assert ">A2</a>" not in alice.get("/misses", params={"by": by, "as_of": AS_OF.isoformat()}).text


def test_orders_filter_and_stay_in_the_users_shops(dora: TestClient, alice: TestClient) -> None:
    shipped = dora.get("/orders", params={"status": "shipped"}).text
    statuses = re.findall(r'<tr data-order="[^"]+" data-status="([^"]+)">', shipped)
    assert statuses and set(statuses) == {"shipped"}
    one = re.findall(r'<tr data-order="([^"]+)"', dora.get("/orders", params={"order": "A3"}).text)
    assert one == ["A3"]
    everything = dora.get("/orders").text
    assert PHONE not in everything and "138****5678" in everything
    assert 'data-order="A1"' not in alice.get("/orders").text
    assert alice.get("/orders", params={"shop": CASE_SHOP}).status_code == 404


def test_order_page_shows_parcels_and_timeline_only_to_its_shop(
    dora: TestClient, alice: TestClient, both: Both
) -> None:
    url = f"/orders/{both.case_shop_id}/A1"
    html = dora.get(url).text
    assert 'data-kind="held"' in html and "王芳" in html and "买家留言: 周末送" in html
    assert re.search(r'data-kind="held"><time>[^<]*</time> <strong>审单暂停</strong>', html)
    assert 'data-tracking="T1"' in html and PHONE not in html
    assert alice.get(url).status_code == 404
    assert dora.get(f"/orders/{both.case_shop_id}/NOPE").status_code == 404
    assert dora.get("/tracking/T1").status_code == 200
    assert alice.get("/tracking/T1").status_code == 404


def test_alerts_are_acknowledged_with_csrf_in_the_users_shops_only(
    dora: TestClient, alice: TestClient, app: object, both: Both
) -> None:
    with both.engine.connect() as conn:
        # T4 may raise more than one kind of alert (stalled, then probably lost): act on its first open one
        a = s.alerts.c
        query = select(a.id).where(a.tracking_no == "T4", a.resolved_at.is_(None), a.acked_at.is_(None))
        query = query.order_by(a.id)
        alert = conn.execute(query).scalars().first()
    assert alert is not None
    page = dora.get("/alerts").text
    assert f'data-alert="{alert}" data-state="open"' in page
    assert f'data-alert="{alert}"' not in alice.get("/alerts").text
    refused = dora.post(f"/alerts/{alert}/ack", data={"note": ""}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token
    other = alice.post(
        f"/alerts/{alert}/ack",
        data={"csrf_token": csrf_of(alice.get("/alerts").text)},
        follow_redirects=False,
    )
    assert other.status_code == 404
    with client_of(app, "carol") as carol:  # customer service may read alerts but not act on them
        token = csrf_of(carol.get("/alerts").text)
        assert carol.post(f"/alerts/{alert}/ack", data={"csrf_token": token}).status_code == 403
    done = dora.post(f"/alerts/{alert}/ack", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert done.status_code == 303
    assert f'data-alert="{alert}" data-state="acked"' in dora.get("/alerts").text


def test_every_new_page_needs_a_sign_in(app: object, both: Both) -> None:
    with TestClient(app, base_url="https://testserver") as anonymous:  # type: ignore[arg-type]
        for url in (
            "/queue",
            "/misses",
            "/orders",
            f"/orders/{both.case_shop_id}/A1",
            "/tracking/T1",
            "/alerts",
        ):
            response = anonymous.get(url, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_order_page_shows_the_country_and_the_seller_remark(
    dora: TestClient, alice: TestClient, both: Both
) -> None:
    url = f"/orders/{both.case_shop_id}/A1"
    assert "seller-remark" not in dora.get(url).text  # none yet: no empty row
    with both.engine.begin() as conn:
        o = s.orders.c
        conn.execute(
            s.orders.update()
            .where(o.shop_id == both.case_shop_id, o.order_no == "A1")
            .values(country="US", seller_remark="<b>赠品</b>")
        )
    html = dora.get(url).text
    assert 'data-country="US"' in html and "卖家备注" in html
    assert "&lt;b&gt;赠品&lt;/b&gt;" in html and "<b>赠品</b>" not in html  # escaped
    assert alice.get(url).status_code == 404  # still only to its shop


def test_an_alert_before_its_deadline_shows_the_time_left(dora: TestClient, both: Both) -> None:
    from datetime import timedelta

    from lanshou.tracking.record import utc_now

    now = utc_now()
    with both.engine.begin() as conn:
        ids = [
            conn.execute(
                s.alerts.insert().values(
                    tracking_no="T1", kind=kind, since=since, metric="pay_to_pickup", opened_at=now
                )
            ).inserted_primary_key[0]
            for kind, since in (
                ("pickup_overdue", now + timedelta(hours=3)),
                ("stalled", now - timedelta(hours=5)),
            )
        ]
    page = dora.get("/alerts").text
    cells = dict(re.findall(r'data-alert="(\d+)".*?data-age="[^"]*">([^<]*)</td>', page, re.S))
    assert cells[str(ids[0])] == "还剩 3.0 小时" and cells[str(ids[1])] == "5.0 小时"


def test_pages_name_carriers_for_people_in_the_readers_language(dora: TestClient) -> None:
    tracking = dora.get("/tracking/T1").text
    assert "中通快递" in tracking
    order = dora.get("/orders", params={"order": "A1"}).text
    assert re.search(r"中通快递</span>\s*<span[^>]*>T1<", order)  # the carrier's name over its number
    dora.cookies.set("lang", "en")
    assert "ZTO Express" in dora.get("/tracking/T1").text


def test_alerts_page_by_kind_and_by_keyset_and_acting_keeps_the_place(dora: TestClient, both: Both) -> None:
    from lanshou.tracking.record import utc_now
    from lanshou.web.alert_pages import PAGE_SIZE

    now = utc_now()
    kinds = ["stalled" if n % 3 else "delivery_late" for n in range(PAGE_SIZE + 30)]
    only_resolved_alerts(both.engine, kinds, now)  # T1 is one of dora's parcels
    first = dora.get("/alerts", params={"all": "1"}).text
    shown = re.findall(r'data-alert="(\d+)"', first)
    assert len(shown) == PAGE_SIZE and "first page" not in first.lower()
    late = (PAGE_SIZE + 30 + 2) // 3
    assert f'value="delivery_late">派送超时 ({late})' in first  # the kind filter says what each holds
    after = re.search(r'id="next-page" href="\?([^"]+)"', first)
    assert after is not None
    with both.engine.begin() as conn:  # a newer alert arrives between the two pages: nothing shifts
        conn.execute(
            s.alerts.insert().values(
                tracking_no="T1", kind="probably_lost", since=now, metric="freshness", opened_at=now
            )
        )
    second = dora.get("/alerts?" + after.group(1).replace("&amp;", "&")).text
    rest = re.findall(r'data-alert="(\d+)"', second)
    assert len(rest) == 30 and not set(rest) & set(shown)
    assert 'id="next-page"' not in second
    only_late = re.findall(r'data-alert="(\d+)"', dora.get("/alerts?all=1&kind=delivery_late").text)
    assert len(only_late) == late
    # acting on an alert of the second page comes back to that page, filters included (these were
    # resolved: the action changes nothing, as when someone resolved it meanwhile)
    here = "/alerts?" + after.group(1).replace("&amp;", "&")
    done = dora.post(
        f"/alerts/{rest[0]}/ack",
        data={"csrf_token": csrf_of(second), "back": here},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == here
    elsewhere = dora.post(
        f"/alerts/{rest[1]}/ack",
        data={"csrf_token": csrf_of(second), "back": "https://evil.example/"},
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/alerts"  # never another site
