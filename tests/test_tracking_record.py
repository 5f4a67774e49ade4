"""Recording events: parcel state kept on both databases, duplicates ignored, out-of-order events placed
right, status changes published once in event-time order, unknown numbers matched when the order comes,
Kuaidi100 files, and `lanshou tracking show`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.events import EventBus, ParcelStatusChanged
from lanshou.intake.tracking import import_tracking
from lanshou.tracking.queries import orders_of, orders_tracked_since
from lanshou.tracking.record import record_events
from lanshou.tracking.show import UnknownParcel, parcel_view
from tests.kuaidi100_wire import YTO_RESULT, text_only
from tests.tracking_data import import_order_rows, import_track_rows, order_row

LATER = [
    "zto,ZT1,2026-11-02 08:00:00,in_transit,上海,到达上海中转",
    "zto,ZT1,2026-11-03 10:00:00,签收,北京,本人签收",
]
EARLIER = [
    "zto,ZT1,2026-11-01 12:00:00,102,杭州,已下单",
    "zto,ZT1,2026-11-01 18:30:00,103,杭州,快件已揽收",
    "zto,ZT1,2026-11-02 08:00:00,in_transit,上海,到达上海中转",  # again
]


def row(number: str, when: datetime, status: str | None, text: str = "") -> dict[str, object]:
    return {"tracking_no": number, "carrier": "zto", "event_time": when, "status": status,
            "raw_status": status or "", "location": "", "description": text}  # fmt: skip


def test_out_of_order_files_give_the_right_state(engine: Engine, tmp_path: Path) -> None:
    import_track_rows(engine, tmp_path, LATER, "later.csv")
    import_track_rows(engine, tmp_path, EARLIER, "earlier.csv")
    with engine.connect() as conn:
        state = conn.execute(select(s.parcel_state)).one()
        assert conn.execute(select(s.tracking_events)).all().__len__() == 4
    assert state.status == "delivered"
    assert state.pickup_at == datetime(2026, 11, 1, 10, 30)  # the late file brought the pickup
    assert state.delivered_at == datetime(2026, 11, 3, 2, 0)
    assert state.last_event_at == datetime(2026, 11, 3, 2, 0)
    assert state.finished


def test_status_changes_published_once_in_event_time_order(engine: Engine) -> None:
    bus = EventBus()
    told: list[ParcelStatusChanged] = []
    bus.during(ParcelStatusChanged, lambda _conn, event: told.append(event))
    t = datetime(2026, 11, 1, 8)
    batch = [
        row("A", t.replace(hour=12), "in_transit"),
        row("A", t, "picked_up"),
        row("B", t.replace(hour=9), "picked_up"),
    ]
    with engine.begin() as conn:
        first = record_events(conn, batch, bus)
        again = record_events(conn, batch, bus)  # the same events again: nothing new, nothing told
    assert (first.new, again.new, again.repeated) == (3, 0, 3)
    assert [(e.tracking_no, e.status, e.previous, e.at.hour) for e in told] == [
        ("A", "picked_up", None, 8),
        ("B", "picked_up", None, 9),
        ("A", "in_transit", "picked_up", 12),
    ]


def test_unreadable_status_is_kept_with_its_text_and_is_no_scan(engine: Engine) -> None:
    t = datetime(2026, 11, 1, 8)
    with engine.begin() as conn:
        record_events(conn, [row("U1", t, "info_received"), row("U1", t.replace(hour=9), None, "神秘的文字")])
    view = parcel_view(engine, "U1")
    assert view["pickup_at"] is None
    assert view["status"] == "info_received"
    assert view["events"][0]["status"] is None
    assert view["events"][0]["text"] == "神秘的文字"
    assert view["last_event_at"] == "2026-11-01T17:00:00+08:00"


def test_events_before_their_order_are_matched_when_it_arrives(engine: Engine, tmp_path: Path) -> None:
    import_track_rows(engine, tmp_path, EARLIER)
    with engine.connect() as conn:
        assert orders_of(conn, ["ZT1"]) == []
    assert parcel_view(engine, "ZT1")["orders"] == []
    import_order_rows(engine, tmp_path, [order_row("9001", "ZT1")])
    view = parcel_view(engine, "ZT1")
    assert view["orders"] == [{"platform": "douyin", "shop": "小店", "order_no": "9001"}]
    assert view["status"] == "in_transit"
    assert view["pickup_at"] == "2026-11-01T18:30:00+08:00"


def test_an_unknown_number_is_a_clear_error(sqlite_engine: Engine) -> None:
    with pytest.raises(UnknownParcel, match="NOPE"):
        parcel_view(sqlite_engine, "NOPE")


def test_kuaidi100_file_of_pushes_and_query_replies(engine: Engine, tmp_path: Path) -> None:
    push = {"status": "polling", "message": "", "lastResult": text_only(YTO_RESULT)}
    query = {**YTO_RESULT, "nu": "YT2", "data": YTO_RESULT["data"][-2:]}  # type: ignore[index]
    broken = {**YTO_RESULT, "nu": "YT3", "data": [{"context": "时间坏了", "time": "yesterday"}]}
    lines = [json.dumps(push, ensure_ascii=False), "{not json", json.dumps(query, ensure_ascii=False),
             json.dumps({"hello": 1}), json.dumps(broken, ensure_ascii=False)]  # fmt: skip
    path = tmp_path / "kd100.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_tracking(engine, path, rejects=tmp_path / "rej.csv", fmt="kuaidi100")
    assert report.fmt == "kuaidi100"
    assert report.inserted == len(YTO_RESULT["data"]) + 2  # type: ignore[arg-type]
    assert {(e.line, e.column) for e in report.rejected} == {(2, "json"), (4, "document"), (5, "data")}
    view = parcel_view(engine, "YT9693083639795")
    assert view["status"] == "delivered"
    assert view["carrier"] == "yto"
    assert view["events"][0]["text"].startswith("您的快件已签收")
    again = import_tracking(engine, path, rejects=tmp_path / "rej.csv", fmt="kuaidi100")
    assert again.inserted == 0


def test_kuaidi100_file_as_a_json_array(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "kd100.json"
    path.write_text(json.dumps([YTO_RESULT], ensure_ascii=False), encoding="utf-8")
    report = import_tracking(sqlite_engine, path, rejects=tmp_path / "rej.csv", fmt="kuaidi100")
    assert (report.inserted, report.rejected_count) == (len(YTO_RESULT["data"]), 0)  # type: ignore[arg-type]


def test_tracking_show_cli_json(cli_env: Path, tmp_path: Path) -> None:
    from lanshou.cli.app import app

    (tmp_path / "t.csv").write_text(
        "\n".join(["carrier,tracking_no,event_time,status,location,description", *EARLIER])
    )
    runner = CliRunner()
    assert runner.invoke(app, ["import", "tracking", str(tmp_path / "t.csv")]).exit_code == 0
    result = runner.invoke(app, ["tracking", "show", "ZT1", "--json"])
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert view["carrier"] == "zto" and view["status"] == "in_transit"
    assert [e["status"] for e in view["events"]] == ["in_transit", "picked_up", "info_received"]
    assert view["events"][0] == {"time": "2026-11-02T08:00:00+08:00", "status": "in_transit",
                                 "raw_status": "in_transit", "text": "到达上海中转", "location": "上海",
                                 "carrier": "zto"}  # fmt: skip
    missing = runner.invoke(app, ["tracking", "show", "NOPE"])
    assert missing.exit_code == 1 and "NOPE" in missing.output


def test_orders_tracked_since_covers_every_order_with_an_event_in_the_window(engine: Engine) -> None:
    """The raw report's window look-up (parcel_state.last_event_at): an order whose parcel had an event at or
    after the start is found, one whose parcel went quiet before it is not, and a parcel without any state
    (written past the write path) is taken rather than missed."""
    start = datetime(2026, 11, 10)
    with engine.begin() as conn:
        conn.execute(s.shops.insert(), {"id": 1, "platform": "taobao", "name": "店"})
        links = [("IN", "A"), ("IN", "B"), ("QUIET", "C"), ("NOSTATE", "D")]  # IN carries A and B (合并发货)
        conn.execute(
            s.parcel_orders.insert(), [{"tracking_no": t, "shop_id": 1, "order_no": o} for t, o in links]
        )
        record_events(conn, [row("IN", datetime(2026, 11, 8), "picked_up"), row("IN", start, "in_transit")])
        record_events(conn, [row("QUIET", datetime(2026, 11, 9, 23, 59), "picked_up")])
        found = set(conn.execute(orders_tracked_since(start)).all())
    assert found == {(1, "A"), (1, "B"), (1, "D")}
