"""A case's return parcel (the buyer's tracking number, from the platform or told by phone) is polled and
subscribed for Kuaidi100's pushes as the parcels we ship are, against mocks of Kuaidi100's documented wire
format; what comes back moves the case as a tracking import does (first scan: 买家已退货; delivery: on the
timeline, waiting for the inspection). Once the goods are received the parcel is no longer followed. On
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from lanshou.aftersales.service import act, record_return, show_json
from lanshou.carriers.kuaidi100.client import Kuaidi100Tracking
from lanshou.carriers.kuaidi100.signing import push_sign
from lanshou.carriers.kuaidi100.tracking import Kuaidi100Account
from lanshou.carriers.wire import compact_json
from lanshou.intake.aftersales import import_aftersales
from lanshou.tracking.inbox import drain_inbox
from lanshou.tracking.polling import Kuaidi100Source, due_for_poll, poll
from lanshou.tracking.push import PushConfig
from lanshou.tracking.push_api import PREFIX
from lanshou.tracking.subscribing import SubscribeSettings, due_for_subscription, subscribe_parcels
from tests.aftersales_data import import_cases, write_cases
from tests.kuaidi100_wire import YTO_RESULT, MockKuaidi100, json_reply, push_endpoints

ACCOUNT = Kuaidi100Account("testkey", "testcustomer")
SALT = "return-salt"
EVERY = timedelta(hours=4)
# C9 agreed, then the platform gives its return parcel (still to be scanned): 待买家退货 with RT6
C9_WAITING = (
    "taobao,旗舰店,C9,T1,return_refund,waiting_return,七天无理由,40.00,2026-11-10 23:59:00,中通快递,RT6"
)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def returns_of(due: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The return parcels among the due ones (the shipped parcels' own due-ness is their tests')."""
    return sorted(d for d in due if d[0].startswith("RT"))


@pytest.fixture
def awaited(engine: Engine, tmp_path: Path) -> Engine:
    """C1: the buyer told customer service its parcel RT5 (买家已退货). C9: the platform's RT6, not yet
    scanned (待买家退货). C6 (a reship) has no return parcel; C3 is refused with a stale number."""
    import_cases(engine, tmp_path)
    act(engine, "C1", "agree", "carol")
    assert record_return(engine, "C1", "中通", "RT5", "carol")["status"] == "returned"
    act(engine, "C9", "agree", "carol")
    report = import_aftersales(engine, write_cases(tmp_path / "c9.csv", [C9_WAITING]), rejects=tmp_path / "r")
    assert report.updated == 1, report.rejected
    stale = "taobao,旗舰店,C3,T2,refund,refused,拍错了,30.00,2026-11-01 09:30:00,zto,RT7"
    assert import_aftersales(
        engine, write_cases(tmp_path / "c3.csv", [stale]), rejects=tmp_path / "r"
    ).updated
    return engine


def track_answer(form: dict[str, str]) -> httpx.Response:
    """The real-time query's documented resultv2=4 answer: the whole journey, picked up to signed for."""
    param = json.loads(form["param"])
    return json_reply({**YTO_RESULT, "nu": param["num"], "com": param["com"]})


def test_awaited_return_parcels_are_polled_and_the_case_learns_their_journey(awaited: Engine) -> None:
    now = utc_now()
    due = due_for_poll(awaited, now, EVERY, 100)
    assert returns_of(due) == [("RT5", "zto"), ("RT6", "zto")]  # not RT7: its case is finished
    mock = MockKuaidi100(track_answer)
    source = Kuaidi100Source(Kuaidi100Tracking(ACCOUNT, mock.transport()), min_interval=0.0)
    report = poll(awaited, source, [d for d in due if d[0].startswith("RT")], now)
    assert (report.asked, report.answered, report.failures) == (2, 2, ())
    asked = [json.loads(form["param"]) for _, form in mock.seen]
    assert sorted((p["com"], p["num"]) for p in asked) == [("zhongtong", "RT5"), ("zhongtong", "RT6")]

    scanned = show_json(awaited, "C9")  # the carrier's first scan: the buyer sent it
    assert (scanned["status"], scanned["return_parcel"]["status"]) == ("returned", "delivered")
    step = scanned["history"][-1]
    assert (step["actor"], step["action"], step["from_status"]) == (
        "system",
        "buyer_return",
        "waiting_return",
    )
    assert "RT6" in step["detail"] and "退货包裹已揽收" in step["detail"]
    timeline = show_json(awaited, "C1")["timeline"]  # the order's: C1's and C9's (both of T1)
    delivered = sorted(e["detail"] for e in timeline if e["kind"] == "aftersale_return_delivered")
    assert len(delivered) == 2
    assert (
        "售后 C1 " in delivered[0]
        and "RT5" in delivered[0]
        and "waiting for the receiving inspection" in delivered[0]
    )
    assert "售后 C9 " in delivered[1] and "RT6" in delivered[1]
    assert returns_of(due_for_poll(awaited, now + EVERY * 2, EVERY, 100)) == []  # delivered: finished


def test_a_return_parcel_is_asked_about_until_its_goods_are_received(awaited: Engine) -> None:
    now = utc_now()
    poll(awaited, Kuaidi100Source(Kuaidi100Tracking(ACCOUNT, MockKuaidi100(no_track).transport()), 0.0),
         [("RT5", "zto")], now)  # fmt: skip
    assert returns_of(due_for_poll(awaited, now + timedelta(hours=1), EVERY, 100)) == [("RT6", "zto")]
    assert returns_of(due_for_poll(awaited, now + EVERY * 2, EVERY, 100)) == [("RT5", "zto"), ("RT6", "zto")]
    act(
        awaited, "C1", "receive", "wang", disposition="restock"
    )  # the warehouse opened it: nothing to wait for
    assert returns_of(due_for_poll(awaited, now + EVERY * 2, EVERY, 100)) == [("RT6", "zto")]
    assert returns_of(due_for_poll(awaited, now + timedelta(days=31), EVERY, 100)) == []  # past the look-back
    assert returns_of(due_for_poll(awaited, now, EVERY, 100, frozenset({"zto"}))) == []  # zto pushes


def no_track(form: dict[str, str]) -> httpx.Response:
    return json_reply({"result": False, "returnCode": "500", "message": "查询无结果，请隔段时间再查"})


@pytest.fixture
def push_app(awaited: Engine) -> Iterator[FastAPI]:
    with push_endpoints(awaited, PushConfig(kuaidi100_salt=SALT)) as app:
        yield app


def push(app: FastAPI, body: dict[str, Any]) -> httpx.Response:
    """POST as Kuaidi100 does: form `param` + `sign` = UPPER(MD5(param + salt))."""

    async def go() -> httpx.Response:
        param = compact_json(body)
        content = urlencode({"param": param, "sign": push_sign(param, SALT)})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            headers = {"content-type": "application/x-www-form-urlencoded"}
            return await c.post(PREFIX + "/kuaidi100", content=content, headers=headers)

    return asyncio.run(go())


def test_return_parcels_are_subscribed_and_their_pushes_move_the_case(
    awaited: Engine, push_app: FastAPI
) -> None:
    now = utc_now()
    due = due_for_subscription(awaited, now, 100)
    assert returns_of(due) == [("RT5", "zto"), ("RT6", "zto")]
    mock = MockKuaidi100(
        lambda form: json_reply({"result": True, "returnCode": "200", "message": "提交成功"})
    )
    settings = SubscribeSettings("https://shop.example/api/v1/tracking/push/kuaidi100", SALT)
    assert subscribe_parcels(
        awaited, Kuaidi100Tracking(ACCOUNT, mock.transport()), settings, due, now
    ) == len(due)
    sent = {json.loads(form["param"])["number"]: json.loads(form["param"]) for _, form in mock.seen}
    assert sent["RT6"]["company"] == "zhongtong" and sent["RT6"]["parameters"]["salt"] == SALT
    assert returns_of(due_for_subscription(awaited, now, 100)) == []  # subscribed once
    assert returns_of(due_for_poll(awaited, now, EVERY, 100)) == []  # pushed now: not polled

    picked_up = {**YTO_RESULT, "nu": "RT6", "com": "zhongtong", "state": "0", "ischeck": "0"}
    picked_up["data"] = YTO_RESULT["data"][-2:]  # type: ignore[index]  # 揽收 only, newest first
    answer = push(
        push_app, {"status": "polling", "billstatus": "got", "message": "", "lastResult": picked_up}
    )
    assert answer.status_code == 200 and answer.json()["result"] is True
    assert drain_inbox(awaited).pushes == 1
    shown = show_json(awaited, "C9")
    assert (shown["status"], shown["return_parcel"]["status"]) == ("returned", "picked_up")
    assert shown["history"][-1]["action"] == "buyer_return" and "RT6" in shown["history"][-1]["detail"]
    assert not [e for e in shown["timeline"] if e["kind"] == "aftersale_return_delivered"]
