"""Two `lanshou buyers segment NAME --send TEMPLATE` processes run the same campaign at the same moment, on
SQLite and PostgreSQL (tests/campaign_cli.py makes both read what exists before either writes): each buyer
gets one message, linked once to the campaign and written once in the order's timeline; the two summaries
add up to what was queued. Both for a new campaign and for a re-run after new buyers joined the segment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from lanshou import schema as s
from lanshou.intake.orders import import_orders
from tests.accounts_data import HEADER
from tests.test_buyer_campaigns import _load

CLI = [sys.executable, str(Path(__file__).with_name("campaign_cli.py"))]
SEND = ["buyers", "segment", "big_spenders", "--send", "default", "--channel", "sms", "--shop", "小店"]
NEWCOMERS = [  # two more big spenders in 小店 (one of them opted out), after the first run
    ("S8", "hal@example.com", "吴哈尔", "13900000008", "1800.00"),
    ("S9", "ivy@example.com", "郑艾薇", "13900000009", "1300.00"),
]


def _run_two_at_once(engine: Engine, meet: Path) -> tuple[list[dict[str, Any]], int]:
    """Both processes' summaries, and how many of them met the other inside the campaign's transaction."""
    env = {
        **os.environ,
        "LANSHOU_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "LANSHOU_DATA_DIR": str(meet.parent / "data"),
        "LANSHOU_TEST_MEET": str(meet),
    }
    command = [*CLI, *SEND, "--coupon", "SAVE20", "--json"]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in "ab"]
    results = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], [err.decode()[-800:] for _, err in results]
    met = sum("campaign_cli: met" in err.decode() for _, err in results)
    return [json.loads(out) for out, _ in results], met


def _campaign_messages(engine: Engine) -> list[Any]:
    o, m = s.notify_outbox.c, s.notify_campaign_messages.c
    query = (
        select(o.id, o.idempotency_key, o.order_no, o.state, func.count(m.outbox_id).label("links"))
        .outerjoin(s.notify_campaign_messages, m.outbox_id == o.id)
        .where(o.stage == "campaign")
        .group_by(o.id, o.idempotency_key, o.order_no, o.state)
    )
    with engine.connect() as conn:
        return list(conn.execute(query))


def _timeline(engine: Engine) -> Counter[str]:
    e = s.order_events.c
    query = select(e.order_no).where(e.kind.in_(("campaign_queued", "notification_skipped")))
    with engine.connect() as conn:
        return Counter(conn.execute(query).scalars())


def _check(engine: Engine, reports: list[dict[str, Any]], expected: dict[str, str], before: int) -> None:
    rows = _campaign_messages(engine)
    assert sorted((row.order_no, row.state) for row in rows) == sorted(expected.items())
    assert len({row.idempotency_key for row in rows}) == len(rows)  # one message per buyer
    assert [row.links for row in rows] == [1] * len(rows)  # each tied to the campaign once
    assert _timeline(engine) == Counter(expected.keys())  # and said once in its order's timeline
    pending = sum(state == "pending" for state in expected.values())
    assert sum(r["queued"] for r in reports) == pending - before  # the summaries add up to what was queued
    assert {r["members"] for r in reports} == {len(expected)}


def test_two_processes_send_one_campaign_once(engine: Engine, tmp_path: Path) -> None:
    _load(engine, tmp_path)
    first = {"S2": "pending", "S3": "pending", "S4": "pending", "S6": "skipped", "S7": "opted_out"}
    reports, _ = _run_two_at_once(engine, tmp_path / "meet-1")
    _check(engine, reports, first, before=0)

    lines = [HEADER]
    for i, (order_no, buyer, name, phone, amount) in enumerate(NEWCOMERS):
        lines.append(
            f"douyin,小店,{order_no},paid,2026-11-1{i} 10:00:00,2026-11-1{i} 10:05:00,0,,{buyer},"
            f"{name},{phone},浙江省,杭州市,西湖区,文三路{i}号,,SKU-{i},商品{i},家居,1,{amount},{amount},,,"
        )
    (tmp_path / "more.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert import_orders(engine, tmp_path / "more.csv", rejects=tmp_path / "r.csv").rejected_count == 0
    second = {**first, "S8": "pending", "S9": "pending"}
    reports, met = _run_two_at_once(engine, tmp_path / "meet-2")
    if engine.dialect.name == "postgresql":  # both read what existed before either wrote: a real race
        assert met == 2
    _check(engine, reports, second, before=3)
