"""The push endpoints in a small FastAPI app of their own (httpx ASGI transport), on both databases:
the documented Kuaidi100 vector accepted byte for byte, a wrong signature refused and logged with nothing
stored, abort/shutdown/comNew kept, the generic signed JSON push keeping its good events, and many pushes
at once kept by the group-committing inbox writer. Accepted pushes wait in the inbox until drained
(drain_inbox, as the worker's job does)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select

from lanshou import schema as s
from lanshou.carriers.kuaidi100.push import SUCCESS_BODY
from lanshou.carriers.kuaidi100.signing import push_sign
from lanshou.carriers.wire import compact_json
from lanshou.tracking.inbox import drain_inbox
from lanshou.tracking.push import PushConfig
from lanshou.tracking.push_api import PREFIX
from lanshou.webhook_signing import sign_webhook
from tests.kuaidi100_wire import PUSH_PARAM, PUSH_SALT, PUSH_SIGN, YTO_RESULT, push_endpoints
from tests.tracking_data import import_order_rows, order_row

SECRET = "s3cret"


@pytest.fixture
def app(engine: Engine) -> Iterator[FastAPI]:
    with push_endpoints(engine, PushConfig(kuaidi100_salt=PUSH_SALT, generic_secret=SECRET)) as app:
        yield app


def drained(engine: Engine) -> Engine:
    """Ingest what the endpoints kept (the drain job's work), then read."""
    drain_inbox(engine)
    return engine


def post(app: FastAPI, path: str, **kwargs: object) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(PREFIX + path, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go())


def form(param: str, sign: str) -> dict[str, object]:
    return {"content": urlencode({"param": param, "sign": sign}),
            "headers": {"content-type": "application/x-www-form-urlencoded"}}  # fmt: skip


def count(engine: Engine, table: s.Table) -> int:  # type: ignore[name-defined]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_documented_push_is_stored_and_answered_exactly(app: FastAPI, engine: Engine) -> None:
    response = post(app, "/kuaidi100", **form(PUSH_PARAM, PUSH_SIGN))
    assert (response.status_code, response.text) == (200, SUCCESS_BODY)
    with engine.connect() as conn:  # answered once kept raw, exactly as signed; nothing ingested yet
        kept = conn.execute(select(s.tracking_inbox)).one()
        assert count(engine, s.tracking_events) == 0
    assert (kept.source, kept.payload, kept.error) == ("kuaidi100", PUSH_PARAM, None)
    with drained(engine).connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.tracking_inbox)).scalar_one() == 0
        event = conn.execute(select(s.tracking_events)).one()
        watch = conn.execute(select(s.tracking_subscriptions)).one()
    assert (event.tracking_no, event.carrier, event.status) == ("V030344422", "yto", "in_transit")
    assert (
        event.description == "上海分拨中心/装件入车扫描"
    )  # the raw param kept its trailing space; signed as sent
    assert (watch.state, watch.carrier) == ("polling", "yto")


def test_a_wrong_signature_is_refused_logged_and_nothing_stored(
    app: FastAPI, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="lanshou.tracking.push"):
        response = post(app, "/kuaidi100", **form(PUSH_PARAM, "0" * 32))
        tampered = post(app, "/kuaidi100", **form(PUSH_PARAM.replace("V030344422", "V030344423"), PUSH_SIGN))
    for refused in (response, tampered):
        assert refused.status_code == 401
        assert refused.json()["result"] is False
    assert "签名错误" in caplog.text
    for table in (s.tracking_inbox, s.tracking_events, s.parcel_state, s.tracking_subscriptions):
        assert count(engine, table) == 0


def test_unsigned_or_unreadable_pushes_are_refused(app: FastAPI, engine: Engine) -> None:
    assert (
        post(
            app,
            "/kuaidi100",
            content=b"param=",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ).status_code
        == 400
    )
    junk = "not json"
    assert post(app, "/kuaidi100", **form(junk, push_sign(junk, PUSH_SALT))).status_code == 400
    app.state.push_config = PushConfig()  # no salt configured: nothing is trusted
    assert post(app, "/kuaidi100", **form(PUSH_PARAM, PUSH_SIGN)).status_code == 401
    assert count(engine, s.tracking_inbox) == 0


def signed_push(body: dict[str, object]) -> dict[str, object]:
    param = compact_json(body)
    return form(param, push_sign(param, PUSH_SALT))


def test_abort_asks_for_a_new_subscription_and_comnew_corrects_the_carrier(
    app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    import_order_rows(engine, tmp_path, [order_row("7001", YTO_RESULT["nu"])])  # type: ignore[arg-type]
    aborted = {"status": "abort", "message": "3天查询无记录", "comOld": "", "comNew": "",
               "lastResult": {**YTO_RESULT, "data": []}}  # fmt: skip
    assert post(app, "/kuaidi100", **signed_push(aborted)).text == SUCCESS_BODY
    with drained(engine).connect() as conn:
        watch = conn.execute(select(s.tracking_subscriptions)).one()
    assert watch.state == "abort" and watch.message == "3天查询无记录"
    assert timedelta(minutes=29) < watch.resubscribe_at - watch.updated_at <= timedelta(minutes=30)

    corrected = {"status": "polling", "comOld": "yuantong", "comNew": "ems", "lastResult": YTO_RESULT}
    assert post(app, "/kuaidi100", **signed_push(corrected)).text == SUCCESS_BODY
    with drained(engine).connect() as conn:
        parcel = conn.execute(select(s.parcels)).one()
        state = conn.execute(select(s.parcel_state)).one()
        watch = conn.execute(select(s.tracking_subscriptions)).one()
    assert (parcel.carrier, state.carrier, watch.carrier, watch.resubscribe_at) == ("ems", "ems", "ems", None)
    assert state.status == "delivered"

    shutdown = {"status": "shutdown", "lastResult": YTO_RESULT, "comOld": "", "comNew": ""}
    assert post(app, "/kuaidi100", **signed_push(shutdown)).text == SUCCESS_BODY
    assert count(drained(engine), s.tracking_events) == len(YTO_RESULT["data"])  # type: ignore[arg-type]  # repeats ignored


def generic(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, object]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {"content": body, "headers": {"content-type": "application/json", "X-Lanshou-Timestamp": str(ts),
                                         "X-Lanshou-Signature": sign_webhook(secret, ts, body)}}  # fmt: skip


EVENTS = {
    "events": [
        {"carrier": "中通快递", "tracking_no": "ZT9", "event_time": "2026-11-01T18:30:00+08:00",
         "status": "103", "location": "杭州", "description": "快件已揽收"},
        {"carrier": "zto", "tracking_no": "ZT9", "event_time": "yesterday", "status": "in_transit"},
        {"carrier": "zto", "tracking_no": "ZT9", "event_time": "2026-11-02 08:00:00",
         "description": "快件已到达【上海转运中心】"},
        {"carrier": "zto", "tracking_no": "ZT9", "event_time": "2026-11-02 09:00:00", "description": "嗯？"},
    ]
}  # fmt: skip


def test_generic_push_keeps_its_good_events_and_lists_the_bad(app: FastAPI, engine: Engine) -> None:
    body = json.dumps(EVENTS, ensure_ascii=False).encode()
    response = post(app, "/generic", **generic(body))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["accepted"] == 3
    assert [r["index"] for r in answer["rejected"]] == [1]
    assert "event_time" in answer["rejected"][0]["error"]
    with drained(engine).connect() as conn:
        rows = conn.execute(select(s.tracking_events).order_by(s.tracking_events.c.event_time)).all()
    assert [(r.carrier, r.status) for r in rows] == [("zto", "picked_up"), ("zto", "in_transit"), ("zto", "")]
    assert rows[2].description == "嗯？"  # unreadable: kept with its text, no status


def test_generic_push_refusals(app: FastAPI, engine: Engine) -> None:
    body = json.dumps(EVENTS).encode()
    assert post(app, "/generic", **generic(body, secret="wrong")).status_code == 401
    assert post(app, "/generic", **generic(body, timestamp=int(time.time()) - 3600)).status_code == 401
    assert (
        post(app, "/generic", content=body, headers={"content-type": "application/json"}).status_code == 401
    )
    assert post(app, "/generic", **generic(b"{not json")).status_code == 400
    assert post(app, "/generic", **generic(b'{"events": 5}')).status_code == 400
    none_good = json.dumps({"events": [{"tracking_no": ""}]}).encode()
    assert post(app, "/generic", **generic(none_good)).status_code == 422
    assert count(engine, s.tracking_inbox) == 0


def test_many_pushes_at_once_are_all_stored(app: FastAPI, engine: Engine) -> None:
    def push_for(i: int) -> dict[str, object]:
        data = [{**e, "context": f"{e['context']} #{i}"} for e in YTO_RESULT["data"]]  # type: ignore[union-attr]
        return signed_push(
            {"status": "polling", "lastResult": {**YTO_RESULT, "nu": f"YT{i:04d}", "data": data}}
        )

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(
                *(client.post(PREFIX + "/kuaidi100", **push_for(i)) for i in range(60))
            )  # type: ignore[arg-type]

    responses = asyncio.run(go())
    assert {r.text for r in responses} == {SUCCESS_BODY}
    assert count(engine, s.tracking_inbox) == 60
    assert count(drained(engine), s.parcel_state) == 60
    assert count(engine, s.tracking_events) == 60 * len(YTO_RESULT["data"])  # type: ignore[arg-type]
