"""Tracking and feedback files: carrier codes normalised, bad rows reported, re-imports add nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from lanshou import schema as s
from lanshou.carriers.codes import normalise_status
from lanshou.files.tabular import FileRefused
from lanshou.intake.feedback import import_feedback
from lanshou.intake.tracking import import_tracking
from lanshou.shops.store import ShopDirectory

TRACKING = """carrier,tracking_no,event_time,status,location,description
zto,ZT1,2026-11-01 12:00:00,102,杭州,已下单
zto,ZT1,2026-11-01 18:30:00,103,杭州,快件已揽收
zto,ZT1,2026-11-02 08:00:00,in_transit,上海,到达上海中转
zto,ZT1,2026-11-03 10:00:00,签收,北京,本人签收
zto,ZT2,2026-11-01 99:00:00,103,杭州,bad time
zto,ZT3,2026-11-01 10:00:00,flying,杭州,unknown status
"""

FEEDBACK = """platform,shop,order_id,created_at,rating,tags,content
douyin,抖音小店,="900001",2026-11-05 10:00:00,1,发货慢|包装破损,太慢了
douyin,抖音小店,900002,2026-11-05 11:00:00,,物流信息不更新,投诉
douyin,抖音小店,900003,2026-11-05 12:00:00,7,,bad rating
"""


def test_tracking_import_normalises_and_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "tracking.csv"
    path.write_text(TRACKING, encoding="utf-8")
    first = import_tracking(engine, path, rejects=tmp_path / "rej.csv")
    assert (first.inserted, first.rejected_count) == (4, 2)
    assert {(e.line, e.column) for e in first.rejected} == {(6, "event_time"), (7, "status")}
    with engine.connect() as conn:
        rows = conn.execute(select(s.tracking_events).order_by(s.tracking_events.c.event_time)).all()
    assert [r.status for r in rows] == ["info_received", "picked_up", "in_transit", "delivered"]
    assert rows[1].event_time == datetime(2026, 11, 1, 10, 30)  # 18:30 Shanghai
    assert rows[1].raw_status == "103"
    again = import_tracking(engine, path, rejects=tmp_path / "rej.csv")
    assert (again.inserted, again.unchanged) == (0, 4)


def test_feedback_import(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:  # feedback never creates a shop: its orders import did
        ShopDirectory(conn).ensure(conn, "douyin", "抖音小店")
    path = tmp_path / "feedback.csv"
    path.write_text(FEEDBACK, encoding="utf-8")
    report = import_feedback(engine, path, rejects=tmp_path / "rej.csv")
    assert (report.inserted, report.rejected_count) == (2, 1)
    assert report.rejected[0].column == "rating"
    with engine.connect() as conn:
        rows = conn.execute(select(s.feedback).order_by(s.feedback.c.created_at)).all()
    assert [(r.order_no, r.rating, r.tags) for r in rows] == [
        ("900001", 1, "发货慢|包装破损"),
        ("900002", None, "物流信息不更新"),
    ]
    assert import_feedback(engine, path, rejects=tmp_path / "rej.csv").inserted == 0


def test_tracking_file_without_status_column_is_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "tracking.csv"
    path.write_text("carrier,tracking_no,event_time\nzto,1,2026-11-01 10:00:00\n", encoding="utf-8")
    with pytest.raises(FileRefused, match="status"):
        import_tracking(sqlite_engine, path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("101", "info_received"),
        ("103", "picked_up"),
        ("1002", "in_transit"),
        ("501", "available_for_pickup"),
        ("304", "delivered"),
        ("14", "rejected"),
        ("401", "returned"),
        ("6", "returning"),
        ("InTransit", "in_transit"),
        ("delivered", "delivered"),
        ("揽收", "picked_up"),
    ],
)
def test_carrier_codes_map_to_normalised_statuses(raw: str, expected: str) -> None:
    assert normalise_status(raw) == expected


def test_unknown_carrier_code_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown tracking status"):
        normalise_status("999")
