"""The bulk rebuild of parcel states from stored events (lanshou.tracking.rebuild) stores what the write path
(record_events) stores for the same events, ETAs and lane figures included, on both databases; the demo's
parcels get their states and alerts without telling any buyer."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.cli.app import app
from lanshou.demo.generator import DemoConfig
from lanshou.demo.settle import settle_tracking
from lanshou.demo.writer import write_demo
from lanshou.events import EventBus
from lanshou.tracking.lanes import forget_lane_books
from lanshou.tracking.rebuild import rebuild_states
from lanshou.tracking.record import EVENT_COLUMNS, record_events
from lanshou.tracking.store import store_events
from tests.notify_data import configure_shop, rule

CONFIG = DemoConfig(orders=300, days=20, seed=5, end=date(2026, 11, 21), batch_orders=100)
NOW = datetime(2026, 11, 22, 4, 0)  # the morning after the demo's last day (naive UTC)
STATE_ROW = [c for c in s.parcel_state.c if c.name not in ("updated_at", "polled_at")]
# Beyond the demo's own events: an unreadable status between two scans, an event with no carrier, and a
# parcel with a scan of its own only after an unreadable one.
EXTRA = [
    ("EXTRA-1", "zto", datetime(2026, 11, 18, 9), "picked_up", "收件"),
    ("EXTRA-1", "zto", datetime(2026, 11, 18, 20), None, "神秘状态"),
    ("EXTRA-1", "", datetime(2026, 11, 19, 7), "in_transit", "运输中"),
    ("EXTRA-2", "sto", datetime(2026, 11, 20, 9), None, "???"),
    ("EXTRA-2", "sto", datetime(2026, 11, 20, 10), "info_received", "下单"),
]


def _demo(engine: Engine) -> None:
    write_demo(engine, CONFIG, events=EventBus())  # quiet: the rollups are not what is tested here
    rows = [dict(zip(EVENT_COLUMNS, (n, c, t, st, raw, "", ""), strict=True)) for n, c, t, st, raw in EXTRA]
    with engine.begin() as conn:
        store_events(conn, rows)


def _states(engine: Engine) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as conn:
        return {row[0]: tuple(row) for row in conn.execute(select(*STATE_ROW))}


def _stored_events(engine: Engine) -> list[dict[str, Any]]:
    e = s.tracking_events
    with engine.connect() as conn:
        rows = conn.execute(select(*(e.c[c] for c in EVENT_COLUMNS)).order_by(e.c.id)).all()
    return [{**row._asdict(), "status": row.status or None} for row in rows]


def _forget_states(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(s.parcel_state))
    forget_lane_books()


def test_rebuild_equals_record_events(engine: Engine) -> None:
    _demo(engine)
    forget_lane_books()
    rebuilt = rebuild_states(engine, NOW, batch=7)  # smaller than a parcel's track: parcels span reads
    by_rebuild = _states(engine)
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(s.tracking_events)).scalar_one()
        numbers = conn.execute(select(func.count(s.tracking_events.c.tracking_no.distinct()))).scalar_one()
    assert (rebuilt.events, rebuilt.parcels) == (events, numbers)
    assert rebuilt.lanes > 0  # none were known: measured from the folded states, then the ETA pass
    assert rebuilt.written > numbers  # every parcel, then the picked-up ones again with their ETA
    with_eta = [r for r in by_rebuild.values() if r[STATE_ROW.index(s.parcel_state.c.pickup_eta)]]
    assert len(with_eta) > numbers / 2  # not a comparison of empty columns
    # the write path, same events in one batch, same lanes (measured above), nothing stored before
    stored = _stored_events(engine)
    _forget_states(engine)
    with engine.begin() as conn:
        recorded = record_events(conn, stored, EventBus(), NOW)
    assert recorded.new == 0
    tracked = {event["tracking_no"] for event in stored}  # record_events gives no bare state
    assert _states(engine) == {n: row for n, row in by_rebuild.items() if n in tracked}
    # the rebuild with the lanes already known: one pass, the same rows
    _forget_states(engine)
    again = rebuild_states(engine, NOW, batch=5_000)
    assert again.lanes == 0 and again.written == numbers
    assert _states(engine) == by_rebuild


def test_rebuild_repairs_keeps_history_and_is_idempotent(engine: Engine) -> None:
    _demo(engine)
    rebuild_states(engine, NOW)
    before = _states(engine)
    assert rebuild_states(engine, NOW).written == 0
    picked = next(n for n, row in before.items() if row[STATE_ROW.index(s.parcel_state.c.pickup_eta)])
    broken = next(n for n, row in before.items() if n != picked and row[2] == "delivered")
    promised = datetime(2026, 11, 30, 12)
    t = s.parcel_state
    with engine.begin() as conn:
        conn.execute(update(t).where(t.c.tracking_no == picked).values(pickup_eta=promised))
        conn.execute(update(t).where(t.c.tracking_no == broken).values(status="lost", finished=False))
    assert rebuild_states(engine, NOW).written == 1  # the broken one; the ETA given at pickup is history
    after = _states(engine)
    assert after[broken] == before[broken]
    assert after[picked][STATE_ROW.index(t.c.pickup_eta)] == promised


def test_a_parcel_with_no_event_gets_the_bare_state_of_the_import(engine: Engine) -> None:
    _demo(engine)
    with engine.begin() as conn:
        shop_id = conn.execute(select(s.shops.c.id).limit(1)).scalar_one()
        conn.execute(s.parcels.insert().values(shop_id=shop_id, tracking_no="WAITING-1", carrier="yto"))
        silent = select(s.parcels.c.tracking_no).except_(select(s.tracking_events.c.tracking_no)).subquery()
        expected = conn.execute(select(func.count()).select_from(silent)).scalar_one()
    result = rebuild_states(engine, NOW)
    assert result.bare == expected >= 1
    row = _states(engine)["WAITING-1"]
    assert row[:3] == ("WAITING-1", "yto", None) and not any(row[3:9])


def _configure_every_stage(engine: Engine) -> None:
    with engine.connect() as conn:
        shop_ids = list(conn.execute(select(s.shops.c.id)).scalars())
    for shop_id in shop_ids:
        configure_shop(engine, shop_id, NOW, hook_url="http://127.0.0.1:9/hook")
        for stage in ("picked_up", "out_for_delivery", "delivered", "exception"):
            rule(engine, shop_id, f"every {stage}", stage, "webhook")


def _outbox(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(s.notify_outbox)).scalar_one())


def test_demo_settles_states_and_alerts_telling_no_buyer(engine: Engine) -> None:
    _demo(engine)
    _configure_every_stage(engine)
    settled = settle_tracking(engine, NOW)
    assert settled.states.parcels > 0 and settled.alerts.opened > 0
    with engine.connect() as conn:
        kinds = set(conn.execute(select(s.alerts.c.kind).distinct()).scalars())
    assert {"stalled", "delivery_late"} & kinds
    assert _outbox(engine) == 0
    # the rules do fire on the write path: a parcel delivered now is news to its buyer
    t = s.parcel_state
    with engine.connect() as conn:
        moving = conn.execute(
            select(t.c.tracking_no, t.c.carrier).where(t.c.status == "in_transit").limit(1)
        ).one()
    arrived = {"tracking_no": moving.tracking_no, "carrier": moving.carrier, "status": "delivered",
               "event_time": NOW - timedelta(hours=1), "raw_status": "签收", "location": "",
               "description": "已签收"}  # fmt: skip
    with engine.begin() as conn:
        record_events(conn, [arrived], now=NOW)
    assert _outbox(engine) > 0


def test_demo_cli_gives_alerts_etas_and_tracks(cli_env: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["demo", "--orders", "400", "--days", "30"])
    assert made.exit_code == 0, made.output
    assert "parcel states:" in made.output
    listed = runner.invoke(app, ["alerts", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    alerts = json.loads(listed.stdout)
    assert alerts, "the demo's stalled, late and unscanned parcels are alerts"
    # a parcel with scans (a pickup_overdue alert's parcel has none, so no status): which comes first depends
    # on the day the demo ends, today
    scanned = next(alert for alert in alerts if alert["kind"] != "pickup_overdue")
    shown = runner.invoke(app, ["tracking", "show", scanned["tracking_no"], "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["status"], shown.output
    accuracy = runner.invoke(app, ["tracking", "eta-accuracy", "--json"])
    assert json.loads(accuracy.stdout)["parcels"] > 0, accuracy.output
    rebuilt = runner.invoke(app, ["tracking", "rebuild-state", "--json"])
    assert rebuilt.exit_code == 0 and '"written": 0' in rebuilt.stdout, rebuilt.output
    bare = runner.invoke(app, ["demo", "--orders", "50", "--reset", "--no-tracking-state"])
    assert bare.exit_code == 0 and "parcel states:" not in bare.output, bare.output
