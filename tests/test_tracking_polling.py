"""Polling the parcels nobody pushes, through the Kuaidi100 real-time query against a mock of its
documented wire format (httpx.MockTransport); subscribing parcels for pushes; the jobs' registration."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, insert, select

from lanshou import schema as s
from lanshou.carriers.kuaidi100.client import Kuaidi100Tracking
from lanshou.carriers.kuaidi100.signing import query_sign
from lanshou.carriers.kuaidi100.tracking import Kuaidi100Account
from lanshou.carriers.transport import FormTransport
from lanshou.tracking.polling import Kuaidi100Source, SourceUnavailable, due_for_poll, poll
from lanshou.tracking.subscribing import SubscribeSettings, due_for_subscription, subscribe_parcels
from tests.kuaidi100_wire import YTO_RESULT, MockKuaidi100, json_reply
from tests.tracking_data import import_order_rows, order_row

NOW = datetime(2026, 11, 4, 4, 0)
ACCOUNT = Kuaidi100Account("testkey", "testcustomer")


def answer_track(form: dict[str, str]) -> httpx.Response:
    param = json.loads(form["param"])
    if param["num"] == "ZT404":
        return json_reply({"result": False, "returnCode": "500", "message": "查询无结果，请隔段时间再查"})
    return json_reply({**YTO_RESULT, "nu": param["num"], "com": param["com"]})


@pytest.fixture
def shipped(engine: Engine, tmp_path: Path) -> Engine:
    rows = [order_row(f"O{i}", number) for i, number in enumerate(["ZT1", "ZT2", "ZT404", "ZT9"])]
    import_order_rows(engine, tmp_path, rows)
    with engine.begin() as conn:  # Kuaidi100 already pushes ZT9
        conn.execute(
            insert(s.tracking_subscriptions).values(tracking_no="ZT9", state="polling", updated_at=NOW)
        )
    return engine


def source(mock: MockKuaidi100, sleeps: list[float] | None = None) -> Kuaidi100Source:
    sleeps = [] if sleeps is None else sleeps
    return Kuaidi100Source(
        Kuaidi100Tracking(ACCOUNT, mock.transport()), min_interval=0.0, sleep=sleeps.append
    )


def test_due_parcels_are_asked_and_their_tracks_stored(shipped: Engine) -> None:
    due = due_for_poll(shipped, NOW, timedelta(hours=4), 100)
    assert sorted(due) == [("ZT1", "zto"), ("ZT2", "zto"), ("ZT404", "zto")]  # ZT9 is pushed
    mock = MockKuaidi100(answer_track)
    report = poll(shipped, source(mock), due, NOW)
    assert (report.asked, report.answered) == (3, 2)
    assert "查询无结果" in report.failures[0]
    url, form = mock.seen[0]
    assert url == "https://poll.kuaidi100.com/poll/query.do"
    assert form["customer"] == "testcustomer"
    assert form["sign"] == query_sign(form["param"], "testkey", "testcustomer")
    assert json.loads(form["param"])["com"] == "zhongtong"
    with shipped.connect() as conn:
        states = {r.tracking_no: r for r in conn.execute(select(s.parcel_state))}
    assert states["ZT1"].status == "delivered" and states["ZT1"].polled_at == NOW
    assert states["ZT404"].polled_at == NOW and states["ZT404"].status is None  # asked, nothing yet
    assert due_for_poll(shipped, NOW + timedelta(hours=1), timedelta(hours=4), 100) == []
    later = due_for_poll(shipped, NOW + timedelta(hours=5), timedelta(hours=4), 100)
    assert later == [("ZT404", "zto")]  # the delivered ones are finished


def test_carriers_that_push_are_not_polled(shipped: Engine) -> None:
    assert due_for_poll(shipped, NOW, timedelta(hours=4), 100, frozenset({"zto"})) == []
    assert due_for_poll(shipped, NOW, timedelta(hours=4), 100, frozenset({"*"})) == []


def test_an_unreachable_source_fails_the_run_for_a_retry(shipped: Engine) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = Kuaidi100Tracking(ACCOUNT, FormTransport(httpx.Client(transport=httpx.MockTransport(down))))
    due = due_for_poll(shipped, NOW, timedelta(hours=4), 100)
    with pytest.raises(SourceUnavailable):
        poll(shipped, Kuaidi100Source(client, min_interval=0.0), due, NOW)
    with shipped.connect() as conn:  # nothing marked: the retry asks again
        assert conn.execute(select(s.parcel_state.c.polled_at)).scalars().all() == [None] * 4


def test_the_query_keeps_kuaidi100s_pace() -> None:
    sleeps: list[float] = []
    slow = Kuaidi100Source(
        Kuaidi100Tracking(ACCOUNT, MockKuaidi100(answer_track).transport()), 1.0, sleeps.append
    )
    slow.query("zto", "ZT1")
    slow.query("zto", "ZT2")
    assert len(sleeps) == 1 and 0.5 < sleeps[0] <= 1.0


def test_new_and_aborted_parcels_are_subscribed(shipped: Engine) -> None:
    with shipped.begin() as conn:
        conn.execute(
            s.tracking_subscriptions.update()
            .where(s.tracking_subscriptions.c.tracking_no == "ZT9")
            .values(state="abort", resubscribe_at=NOW - timedelta(minutes=1))
        )
    due = due_for_subscription(shipped, NOW, 100)
    assert sorted(n for n, _ in due) == ["ZT1", "ZT2", "ZT404", "ZT9"]

    def answer(form: dict[str, str]) -> httpx.Response:
        number = json.loads(form["param"])["number"]
        if number == "ZT404":
            return json_reply({"result": False, "returnCode": "700", "message": "不支持的快递公司"})
        return json_reply({"result": True, "returnCode": "200", "message": "提交成功"})

    mock = MockKuaidi100(answer)
    client = Kuaidi100Tracking(ACCOUNT, mock.transport())
    settings = SubscribeSettings("https://shop.example/api/v1/tracking/push/kuaidi100", "testsalt")
    assert subscribe_parcels(shipped, client, settings, due, NOW) == 3
    param = json.loads(mock.seen[0][1]["param"])
    assert (
        param["parameters"]["callbackurl"] == settings.callback_url
        and param["parameters"]["salt"] == "testsalt"
    )
    with shipped.connect() as conn:
        watch = {r.tracking_no: r for r in conn.execute(select(s.tracking_subscriptions))}
    assert watch["ZT9"].state == "subscribed" and watch["ZT9"].resubscribe_at is None
    assert watch["ZT404"].state == "refused" and watch["ZT404"].resubscribe_at == NOW + timedelta(hours=1)
    assert due_for_subscription(shipped, NOW, 100) == []


def test_the_jobs_are_registered() -> None:
    from lanshou.jobs import REGISTRY, discover

    discover()
    names = {spec.name for spec in REGISTRY}
    assert {"tracking.poll", "tracking.subscribe", "tracking.refresh_lanes", "sla.scan_alerts"} <= names
    poll_spec = REGISTRY.get("tracking.poll")
    assert poll_spec is not None and poll_spec.retries == 3 and poll_spec.periodic
