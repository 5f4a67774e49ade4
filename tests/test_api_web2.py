"""The API's read and write routes beyond orders listing, on SQLite and PostgreSQL: each answers exactly the
JSON of its CLI command on the same database, over the caller's shops only; a user of one shop can neither
read nor change another shop's data by any of them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.cli.app import app as cli_app
from lanshou.jobs import JobQueue, open_queue
from lanshou.jobs.nudge import QuietNudge
from lanshou.metrics.report import metrics_report
from lanshou.metrics.upkeep import CATCH_UP_JOB, queue_catch_up
from lanshou.orders import timeline
from tests.test_reports_misses_queue import NOW_LOCAL, PHONE, SHOP
from tests.web2_data import CASE_SHOP, Both, only_resolved_alerts, seed_both

runner = CliRunner()
AS_OF = "2026-11-10"


@pytest.fixture
def both(engine: Engine, tmp_path: Path) -> Both:
    return seed_both(engine, tmp_path)


@pytest.fixture
def jobs(both: Both, monkeypatch: pytest.MonkeyPatch) -> JobQueue:
    """The queue the API hands the rollups to (in memory: the test runs its jobs as a worker would)."""
    monkeypatch.setenv("LANSHOU_DATABASE_URL", both.engine.url.render_as_string(hide_password=False))
    return open_queue("memory://")


@pytest.fixture
def client(both: Both, jobs: JobQueue) -> Iterator[TestClient]:
    app = create_app(both.engine, AppSettings.for_tests())
    app.state.rollups_nudge = lambda: jobs.enqueue(CATCH_UP_JOB)
    with TestClient(app, base_url="https://testserver") as c:
        yield c


def run_jobs(queue: JobQueue) -> list[str]:
    """Run what waits in the queue, as a worker would; the jobs' names."""
    ran = []
    while (task := queue.huey.dequeue()) is not None:
        queue.huey.execute(task)
        ran.append(task.name)
    return ran


def call(client: TestClient, both: Both, who: str, method: str, url: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {both.token(who)}"}
    return client.request(method, url, headers=headers, **kwargs)


def get_json(client: TestClient, both: Both, who: str, url: str, **params: Any) -> Any:
    response = call(client, both, who, "GET", url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def cli_json(engine: Engine, *args: str) -> Any:
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(cli_app, [*args, "--json"], env={"LANSHOU_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_metrics_is_the_cli_json_over_the_callers_shops(client: TestClient, both: Both) -> None:
    everything = get_json(client, both, "boss", "/api/v1/metrics", as_of=AS_OF)
    assert everything == cli_json(both.engine, "metrics", "--as-of", AS_OF)
    mine = get_json(client, both, "dora", "/api/v1/metrics", as_of=AS_OF, window_days=20)
    assert mine == cli_json(both.engine, "metrics", "--as-of", AS_OF, "--shop", SHOP, "--window-days", "20")
    assert [entry["shop"] for entry in mine["shops"]] == [SHOP]
    named = get_json(client, both, "boss", "/api/v1/metrics", as_of=AS_OF, shop=CASE_SHOP)
    assert named == cli_json(both.engine, "metrics", "--as-of", AS_OF, "--shop", f"douyin:{SHOP}")
    alices = get_json(client, both, "alice", "/api/v1/metrics", as_of=AS_OF)
    assert [entry["shop"] for entry in alices["shops"]] == ["旗舰店"]
    assert alices == cli_json(both.engine, "metrics", "--as-of", AS_OF, "--shop", "tmall:旗舰店")


def test_misses_and_queue_are_the_cli_json(client: TestClient, both: Both) -> None:
    for by in ("reason", "carrier"):
        api = get_json(client, both, "dora", "/api/v1/misses", as_of=AS_OF, by=by)
        assert api == cli_json(both.engine, "metrics", "misses", "--as-of", AS_OF, "--shop", SHOP, "--by", by)
        assert api["total"] >= 3
    alices = get_json(client, both, "alice", "/api/v1/misses", as_of=AS_OF)
    assert {m["shop"] for m in alices["misses"]} == {"旗舰店"}  # the tmall shop's own, none of 测试小店
    now = NOW_LOCAL.replace(" ", "T")
    queue = get_json(client, both, "dora", "/api/v1/queue", now=now)
    assert queue == cli_json(both.engine, "queue", "--now", NOW_LOCAL, "--shop", SHOP)
    assert {e["order_no"] for e in queue["orders"]} >= {"A2", "A5"}
    assert {e["shop"] for e in get_json(client, both, "alice", "/api/v1/queue", now=now)["orders"]} <= {
        "旗舰店"
    }


def _without_age(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "age_hours"} for row in rows]  # age moves with the clock


def test_alerts_list_ack_and_resolve_stay_in_the_callers_shops(client: TestClient, both: Both) -> None:
    everything = _without_age(cli_json(both.engine, "alerts", "list"))
    boss = get_json(client, both, "boss", "/api/v1/alerts")
    assert boss["next"] is None and _without_age(boss["items"]) == everything
    for who, shop in (("dora", SHOP), ("alice", "旗舰店")):
        items = _without_age(get_json(client, both, who, "/api/v1/alerts")["items"])
        assert items == [row for row in everything if row["orders"][0]["shop"] == shop]
        assert items and {o["shop"] for row in items for o in row["orders"]} == {shop}
    alert = next(row["id"] for row in everything if row["tracking_no"] == "T4")
    for action in ("ack", "resolve"):  # another shop's alert is one that does not exist
        refused = call(client, both, "alice", "POST", f"/api/v1/alerts/{alert}/{action}", json={"note": "x"})
        assert refused.status_code == 404, refused.text
    # customer service may read but not act (acting is for the roles that ship: operators, the warehouse)
    assert call(client, both, "carol", "POST", f"/api/v1/alerts/{alert}/ack").status_code == 403
    acked = call(client, both, "dora", "POST", f"/api/v1/alerts/{alert}/ack", json={"note": "打电话给快递"})
    assert acked.json() == {"id": alert, "state": "acked", "by": "dora"}
    done = call(client, both, "dora", "POST", f"/api/v1/alerts/{alert}/resolve")
    assert done.status_code == 200 and done.json()["state"] == "resolved"
    again = call(client, both, "dora", "POST", f"/api/v1/alerts/{alert}/resolve")
    assert again.status_code == 409 and again.json()["error"]["code"] == "alert_closed"
    with both.engine.connect() as conn:
        tracking_no = conn.execute(select(s.alerts.c.tracking_no).where(s.alerts.c.id == alert)).scalar_one()
        kinds = [e.kind for e in timeline.read(conn, both.case_shop_id, "C1")]
    assert tracking_no == "T4" and {"alert_acked", "alert_resolved"} <= set(kinds)


def test_tracking_is_the_cli_json_for_the_parcels_shops_only(client: TestClient, both: Both) -> None:
    mine = get_json(client, both, "dora", "/api/v1/tracking/T1")
    assert mine == cli_json(both.engine, "tracking", "show", "T1")
    assert call(client, both, "alice", "GET", "/api/v1/tracking/T1").status_code == 404
    assert call(client, both, "dora", "GET", "/api/v1/tracking/ZT0001").status_code == 404  # tmall's parcel
    assert get_json(client, both, "alice", "/api/v1/tracking/ZT0001")["orders"][0]["order_no"] == "A-2"


def test_order_detail_is_the_cli_json_in_the_callers_shops(client: TestClient, both: Both) -> None:
    detail = get_json(client, both, "dora", "/api/v1/orders/A1")
    assert detail == cli_json(both.engine, "orders", "show", "A1")
    assert detail["parcels"][0]["tracking_no"] == "T1" and detail["timeline"]
    assert PHONE not in json.dumps(detail)
    missing = call(client, both, "alice", "GET", "/api/v1/orders/A1")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert (
        call(client, both, "alice", "GET", "/api/v1/orders/A1", params={"shop": CASE_SHOP}).status_code == 404
    )
    ambiguous = call(client, both, "boss", "GET", "/api/v1/orders/SAME-1")
    assert ambiguous.status_code == 409 and "?shop=" in ambiguous.json()["error"]["message"]
    one = get_json(client, both, "boss", "/api/v1/orders/SAME-1", shop="douyin/抖音小店")
    assert one["shop"] == "抖音小店"
    assert (
        call(client, both, "alice", "GET", "/api/v1/orders/A-1", params={"unmask": "true"}).status_code == 403
    )
    whole = get_json(client, both, "carol", "/api/v1/orders/A-1", unmask="true")
    assert whole["receiver"]["phone"] == "13812345678"


def _order(order_id: str, shop: str = SHOP, platform: str = "douyin", **extra: Any) -> dict[str, Any]:
    return {
        "platform": platform,
        "shop": shop,
        "order_id": order_id,
        "status": "paid",
        "created_at": "2026-11-20 10:00:00",
        "paid_at": "2026-11-20 10:01:00",
        "buyer_phone": "13912345678",
        "province": "浙江省",
        "lines": [{"sku": "SKU-1", "quantity": 2, "unit_price": "9.90"}, {"sku": "SKU-2", "quantity": 1}],
        **extra,
    }


def test_batch_ingest_stores_durably_and_only_in_the_callers_shops(
    client: TestClient, both: Both, jobs: JobQueue
) -> None:
    batch = {"orders": [_order("N1"), _order("N2"), _order("BAD", created_at="not a time")]}
    before = get_json(client, both, "dora", "/api/v1/metrics", as_of="2026-11-22")["shops"][0]
    stored = call(client, both, "dora", "POST", "/api/v1/orders/batch", json=batch)
    assert stored.status_code == 200, stored.text
    body = stored.json()
    assert (body["inserted"], body["lines"]) == (2, 4)
    assert [(r["position"], r["field"]) for r in body["rejected"]] == [(3, "created_at")]
    with both.engine.connect() as conn:  # committed before the answer
        n1 = conn.execute(
            select(s.orders.c.status).where(
                s.orders.c.shop_id == both.case_shop_id, s.orders.c.order_no == "N1"
            )
        ).scalar_one()
    assert n1 == "paid"
    assert get_json(client, both, "dora", "/api/v1/orders/N1")["lines"][0]["quantity"] == 2
    # the rollups are left to a worker: one catch-up job waits, however many batches asked for it
    same = {"orders": [_order("N2")]}
    assert call(client, both, "dora", "POST", "/api/v1/orders/batch", json=same).json()["unchanged"] == 1
    waiting = get_json(client, both, "dora", "/api/v1/metrics", as_of="2026-11-22")["shops"][0]
    assert waiting["pay_to_pickup"] == before["pay_to_pickup"]  # not derived in the API process
    assert run_jobs(jobs) == [CATCH_UP_JOB]
    # once it ran, the report from the rollups equals the one from the raw rows
    rolled = get_json(client, both, "dora", "/api/v1/metrics", as_of="2026-11-22")
    raw = metrics_report(both.engine, date(2026, 11, 22), 30, shop_ids=[both.case_shop_id], source="raw")
    assert rolled["shops"][0]["pay_to_pickup"] == raw["shops"][0]["pay_to_pickup"]
    assert rolled["shops"][0]["pay_to_pickup"]["late"] >= 2  # N1 and N2, never picked up
    assert rolled["shops"][0]["pay_to_pickup"] != before["pay_to_pickup"]
    again = call(client, both, "dora", "POST", "/api/v1/orders/batch", json={"orders": [_order("N1")]})
    assert again.json()["unchanged"] == 1  # idempotent, as a file import

    # an order of a shop not granted refuses the whole batch: nothing stored
    mixed = {"orders": [_order("N3"), _order("X1", shop="旗舰店", platform="tmall")]}
    refused = call(client, both, "dora", "POST", "/api/v1/orders/batch", json=mixed)
    assert refused.status_code == 403 and "tmall/旗舰店" in refused.json()["error"]["message"]
    new_shop = {"orders": [_order("Z1", shop="新店")]}
    assert call(client, both, "dora", "POST", "/api/v1/orders/batch", json=new_shop).status_code == 403
    assert call(client, both, "wang", "POST", "/api/v1/orders/batch", json=batch).status_code == 403  # role
    with both.engine.connect() as conn:
        numbers = set(conn.execute(select(s.orders.c.order_no)).scalars())
    assert not numbers & {"N3", "X1", "Z1"}
    # the owner of every shop may bring a new one
    assert call(client, both, "boss", "POST", "/api/v1/orders/batch", json=new_shop).json()["inserted"] == 1


def test_the_published_batch_schema_says_what_an_absent_field_reads_as(client: TestClient) -> None:
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    order, line = schemas["BatchOrder"]["properties"], schemas["BatchLine"]["properties"]
    assert (order["status"]["default"], order["is_presale"]["default"], order["city"]["default"]) == (
        "paid",
        False,
        "",
    )
    assert line["title"]["default"] == "" and "default" not in order["order_id"]  # required: no default
    assert schemas["BatchOrder"]["required"] == ["platform", "shop", "order_id", "created_at", "lines"]


def test_the_app_queues_the_catch_up_once_batches_pause_and_at_shutdown(both: Both) -> None:
    """The app's own wiring (the other tests replace it): a QuietNudge around the catch-up job's enqueue,
    passed on when the server stops if the pause has not come yet."""
    app = create_app(both.engine, AppSettings.for_tests())
    nudge = app.state.rollups_nudge
    assert isinstance(nudge, QuietNudge) and nudge.nudge is queue_catch_up
    queued: list[int] = []
    nudge.nudge, nudge.quiet = (lambda: queued.append(1)), 60.0  # no pause in this test
    with TestClient(app, base_url="https://testserver") as c:
        for number in ("Q1", "Q2"):
            stored = call(c, both, "dora", "POST", "/api/v1/orders/batch", json={"orders": [_order(number)]})
            assert stored.status_code == 200, stored.text
        assert queued == []  # held back: the batches have not paused for `quiet` yet
    assert queued == [1]  # the shutdown passed it on, once for both batches


def test_batch_ingest_gives_lines_the_orders_carrier_and_tracking_number(
    client: TestClient, both: Both
) -> None:
    """A line without its own carrier, tracking number or shipping time takes the order's, as a line of the
    generic file does; a line's own wins."""
    shipped = {"carrier": "zto", "tracking_no": "ZT1001", "shipped_at": "2026-11-20 18:00:00"}
    order = _order("S1", **shipped)
    order["lines"][1] |= {"carrier": "sf", "tracking_no": "SF2002"}
    stored = call(client, both, "dora", "POST", "/api/v1/orders/batch", json={"orders": [order]})
    assert stored.status_code == 200 and stored.json()["inserted"] == 1, stored.text
    link = s.parcel_orders
    with both.engine.connect() as conn:
        parcels = conn.execute(
            select(s.parcels.c.tracking_no, s.parcels.c.carrier)
            .join(
                link,
                (link.c.shop_id == s.parcels.c.shop_id) & (link.c.tracking_no == s.parcels.c.tracking_no),
            )
            .where(link.c.shop_id == both.case_shop_id, link.c.order_no == "S1")
        ).all()
    assert sorted(map(tuple, parcels)) == [("SF2002", "sf"), ("ZT1001", "zto")]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/v1/metrics"),
        ("GET", "/api/v1/misses"),
        ("GET", "/api/v1/queue"),
        ("GET", "/api/v1/alerts"),
        ("GET", "/api/v1/orders/A1"),
        ("GET", "/api/v1/orders"),
    ],
)
def test_naming_a_shop_not_granted_is_not_found_on_every_route(
    client: TestClient, both: Both, method: str, url: str
) -> None:
    response = call(client, both, "alice", method, url, params={"shop": CASE_SHOP})
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "shop_not_found"


def test_roles_without_metrics_may_not_read_them(client: TestClient, both: Both) -> None:
    for url in ("/api/v1/metrics", "/api/v1/misses"):
        response = call(client, both, "wang", "GET", url)
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_alerts_api_pages_by_cursor(client: TestClient, both: Both) -> None:
    from lanshou.tracking.record import utc_now

    only_resolved_alerts(both.engine, ["stalled"] * 7, utc_now())
    seen: list[int] = []
    url: str | None = "/api/v1/alerts?all=true&limit=3"
    while url:
        page = call(client, both, "dora", "GET", url).json()
        seen += [item["id"] for item in page["items"]]
        url = f"/api/v1/alerts?all=true&limit=3&cursor={page['next']}" if page["next"] else None
    assert len(seen) == 7 == len(set(seen))
    bad = call(client, both, "dora", "GET", "/api/v1/alerts?cursor=bm9wZQ")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"
