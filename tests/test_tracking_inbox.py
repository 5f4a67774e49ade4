"""The tracking inbox, on both databases: a push is answered once kept raw, and once drained it reads
exactly as the same documents imported with `lanshou import tracking --format kuaidi100`; reads catch up
by themselves; repeats change nothing; two processes draining at once ingest each push once; a push that
cannot be ingested stays in the inbox with its reason (its transaction rolled back whole) while the others
go through; the form reader matches urllib's."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, func, select

from lanshou import schema as s
from lanshou.carriers.kuaidi100.push import SUCCESS_BODY
from lanshou.carriers.kuaidi100.signing import push_sign
from lanshou.carriers.wire import compact_json
from lanshou.events import EventBus, ParcelEventsArrived
from lanshou.intake.tracking import import_tracking
from lanshou.tracking.inbox import Drained, InboxWriter, drain_inbox
from lanshou.tracking.push import PushConfig
from lanshou.tracking.push_api import PREFIX, read_form
from lanshou.tracking.show import parcel_view
from tests.kuaidi100_wire import push_endpoints
from tests.tracking_data import import_order_rows, order_row

SALT = "inbox-salt"
DRAINER = [sys.executable, str(Path(__file__).with_name("inbox_drainer.py"))]
# One parcel's journey, oldest first, text only (the status is read from the words): time, text, place
JOURNEY = [
    ("2026-11-01 09:10:00", "【杭州萧山】已揽收", "杭州"),
    ("2026-11-01 21:00:00", "快件已到达【杭州转运中心】", "杭州"),
    ("2026-11-02 06:00:00", "快件已发往【深圳转运中心】", "杭州"),
    ("2026-11-03 07:30:00", "快件已到达【深圳转运中心】", "深圳"),
    ("2026-11-03 09:00:00", "【深圳南山】派件员正在为您派件", "深圳"),
    ("2026-11-03 15:00:00", "您的快件已签收，签收人：本人", "深圳"),
]


def push_body(number: str, events: int) -> dict[str, Any]:
    """A Kuaidi100 push body with the first `events` events of the journey (newest first, as sent)."""
    data = [{"context": text, "time": at, "ftime": at, "areaName": place}
            for at, text, place in JOURNEY[:events]][::-1]  # fmt: skip
    last = {"message": "ok", "state": "0", "status": "200", "condition": "F00", "ischeck": "0",
            "com": "zhongtong", "nu": number, "data": data}  # fmt: skip
    return {"status": "polling", "billstatus": "got", "message": "", "lastResult": last}


def pushes_of(number: str) -> list[dict[str, Any]]:
    """Half the track, the whole track, then the first push again, late (it arrives out of order)."""
    return [push_body(number, 3), push_body(number, 6), push_body(number, 3)]


@pytest.fixture
def app(engine: Engine) -> Iterator[FastAPI]:
    with push_endpoints(engine, PushConfig(kuaidi100_salt=SALT)) as app:
        yield app


def push_all(app: FastAPI, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    """POST each body as Kuaidi100 does (form param + sign), one after another."""

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = []
            for body in bodies:
                param = compact_json(body)
                content = urlencode({"param": param, "sign": push_sign(param, SALT)})
                headers = {"content-type": "application/x-www-form-urlencoded"}
                answers.append(await client.post(PREFIX + "/kuaidi100", content=content, headers=headers))
            return answers

    return asyncio.run(go())


def count(engine: Engine, table: s.Table) -> int:  # type: ignore[name-defined]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def without(view: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k not in keys}


def test_a_drained_push_reads_as_the_same_documents_imported(
    app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    answers = push_all(app, [body for n in ("P1", "P2") for body in pushes_of(n)])
    assert [a.text for a in answers] == [SUCCESS_BODY] * 6
    assert count(engine, s.tracking_inbox) == 6 and count(engine, s.tracking_events) == 0

    lines = [json.dumps(body, ensure_ascii=False) for n in ("F1", "F2") for body in pushes_of(n)]
    path = tmp_path / "pushes.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_tracking(engine, path, rejects=tmp_path / "rej.csv", fmt="kuaidi100")
    assert (report.inserted, report.rejected_count) == (12, 0)  # 6 events a parcel; the repeats ignored

    assert drain_inbox(engine) == Drained(pushes=6, events=12)
    assert count(engine, s.tracking_inbox) == 0
    # events for parcels no order names yet are kept and matched when the order arrives
    import_order_rows(engine, tmp_path, [order_row("9001", "P1"), order_row("9002", "F1")])
    for pushed, imported in (("P1", "F1"), ("P2", "F2")):
        by_push, by_file = parcel_view(engine, pushed), parcel_view(engine, imported)
        assert without(by_push, "tracking_no", "orders") == without(by_file, "tracking_no", "orders")
        assert (by_push["status"], by_push["carrier"], len(by_push["events"])) == ("delivered", "zto", 6)
        assert by_push["pickup_at"] == "2026-11-01T09:10:00+08:00"
        assert by_push["events"][0]["time"] == "2026-11-03T15:00:00+08:00"  # newest first, placed right
    assert [o["order_no"] for o in parcel_view(engine, "P1")["orders"]] == ["9001"]


def test_reads_catch_up_and_repeats_change_nothing(app: FastAPI, engine: Engine) -> None:
    push_all(app, pushes_of("P7"))
    view = parcel_view(engine, "P7")  # no drain called: tracking show ingests what waits
    assert (view["status"], len(view["events"])) == ("delivered", 6)
    assert count(engine, s.tracking_inbox) == 0
    with engine.connect() as conn:
        state_before = conn.execute(select(s.parcel_state)).one()._asdict()
    push_all(app, pushes_of("P7") * 2)  # Kuaidi100 retrying: the same pushes again
    assert drain_inbox(engine) == Drained(pushes=6, events=0)
    assert parcel_view(engine, "P7") == view
    assert count(engine, s.tracking_events) == 6
    with engine.connect() as conn:
        state_after = conn.execute(select(s.parcel_state)).one()._asdict()
    assert without(state_after, "updated_at") == without(state_before, "updated_at")


def keep(engine: Engine, rows: list[tuple[str, str]]) -> None:
    """Pushes into the inbox as the endpoint keeps them (through the same writer)."""

    async def go() -> None:
        writer = InboxWriter(engine)
        try:
            await asyncio.gather(*(writer.append(source, payload) for source, payload in rows))
        finally:
            writer.close()

    asyncio.run(go())


def test_two_processes_draining_at_once_ingest_each_push_once(engine: Engine, tmp_path: Path) -> None:
    numbers = [f"M{i:03d}" for i in range(120)]
    # every parcel pushed twice (half track, whole track): 240 pushes, 6 distinct events per parcel
    keep(engine, [("kuaidi100", compact_json(push_body(n, k))) for k in (3, 6) for n in numbers])
    assert count(engine, s.tracking_inbox) == 240
    url = engine.url.render_as_string(hide_password=False)
    go = tmp_path / "go"
    procs = [subprocess.Popen([*DRAINER, url, "15", str(go)], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]  # fmt: skip
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        go.touch()
        outputs = [proc.communicate(timeout=300)[0].split() for proc in procs]
    finally:
        for proc in procs:
            proc.kill() if proc.poll() is None else None
    assert [proc.returncode for proc in procs] == [0, 0]
    pushes, events = [int(out[0]) for out in outputs], [int(out[1]) for out in outputs]
    assert sum(pushes) == 240  # a push taken by both would count twice
    assert sum(events) == 120 * 6
    if engine.dialect.name == "postgresql":  # the advisory lock queues its waiters: they take turns
        assert all(p > 0 for p in pushes), pushes
    # (SQLite's busy handler is no fair queue: one process may win the write lock for every batch)
    assert count(engine, s.tracking_inbox) == 0
    assert count(engine, s.tracking_events) == 120 * 6
    with engine.connect() as conn:
        statuses = conn.execute(select(s.parcel_state.c.status, func.count()).group_by("status")).all()
    assert dict(statuses) == {"delivered": 120}


def test_a_push_that_cannot_be_ingested_stays_with_its_reason(engine: Engine) -> None:
    events = EventBus()

    def refuse_bad(conn: Connection, event: ParcelEventsArrived) -> None:
        if "BAD1" in event.tracking_nos:
            raise RuntimeError("subscriber failed for BAD1")

    events.during(ParcelEventsArrived, refuse_bad)
    event = {"carrier": "zto", "tracking_no": "G1", "event_time": "2026-11-01T10:00:00+08:00",
             "description": "快件已揽收"}  # fmt: skip
    generic = json.dumps({"events": [event]})
    keep(engine, [
        ("kuaidi100", compact_json(push_body("OK1", 6))),
        ("kuaidi100", compact_json(push_body("BAD1", 6))),
        ("kuaidi100", "not json"),
        ("generic", generic),
        ("generic", "{broken"),
        ("kuaidi100", compact_json(push_body("OK2", 2))),
    ])  # fmt: skip
    assert drain_inbox(engine, events) == Drained(pushes=3, events=6 + 1 + 2, failed=3)
    with engine.connect() as conn:
        left = {r.payload: r.error for r in conn.execute(select(s.tracking_inbox)).all()}
        numbers = set(conn.execute(select(s.tracking_events.c.tracking_no)).scalars())
    assert numbers == {"OK1", "OK2", "G1"}  # BAD1's events rolled back with its failed transaction
    assert len(left) == 3
    assert "subscriber failed for BAD1" in next(e for p, e in left.items() if "BAD1" in p)
    assert "JSON" in left["not json"] and "JSON" in left["{broken"]
    assert drain_inbox(engine, events) == Drained()  # kept rows are not retried on every drain


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=40), min_size=1, max_size=4)
    | st.builds(dict),
    st.text(alphabet="ab=&%+\\x09AFz中", max_size=40),
)
def test_the_form_reader_reads_as_urllib(fields: dict[str, str], junk: str) -> None:
    for body in (urlencode(fields), junk):
        expected = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        assert read_form(body.encode()) == expected, body


def test_the_drain_jobs_are_registered(cli_env: Path) -> None:
    from lanshou.jobs import REGISTRY, discover

    discover()
    nudged, periodic = REGISTRY.get("tracking.drain_inbox"), REGISTRY.get("tracking.drain_inbox_periodic")
    assert nudged is not None and not nudged.periodic
    assert periodic is not None and periodic.periodic
    assert nudged.func() == 0  # nothing waits in the (new, empty) database of the test's data dir
