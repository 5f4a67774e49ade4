"""parcel_state's partial indexes (revision 0032): a bare row (written with its order, before any carrier
event) goes into none of the four, and the queries that range over those columns still search them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, insert, text

from lanshou.tracking.eta_report import eta_accuracy
from lanshou.tracking.queries import parcels_in_trouble
from lanshou.tracking.tables import parcel_state

PARTIAL = ("ix_parcel_state_silent", "ix_parcel_state_late", "ix_parcel_state_status",
           "ix_parcel_state_delivered")  # fmt: skip
NOW = datetime(2026, 12, 1, 12)


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs on parcel_state run meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "parcel_state" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _plan(engine: Engine, statement: str, parameters: Any) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")  # a tiny table: the planner would scan it
            rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        else:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return "\n".join(str(row[-1]) for row in rows)


def _entries(engine: Engine, index: str) -> int:
    """How many entries the index holds, read from its pages: SQLite's dbstat; on PostgreSQL a B-tree
    with no entry is its meta page alone (TRUNCATE starts the test's indexes afresh), one more page
    once it holds any."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            size = conn.execute(
                text("SELECT pg_relation_size(CAST(:i AS regclass))"), {"i": index}
            ).scalar_one()
            return int(size // 8192 - 1)
        cells = text("SELECT sum(ncell) FROM dbstat WHERE name = :i AND pagetype = 'leaf'")
        return int(conn.execute(cells, {"i": index}).scalar_one() or 0)


def test_a_bare_parcel_state_row_goes_into_none_of_the_partial_indexes(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(parcel_state), [{"tracking_no": "SF1", "carrier": "SF", "updated_at": NOW}])
    assert {index: _entries(engine, index) for index in PARTIAL} == dict.fromkeys(PARTIAL, 0)
    assert _entries(engine, "ix_parcel_state_updated") == 1  # a full index takes it
    with engine.begin() as conn:  # its first carrier events
        scanned = {"status": "delivered", "status_at": NOW, "last_event_at": NOW, "late_after": NOW}
        conn.execute(parcel_state.update().values(**scanned, delivered_at=NOW))
    assert {index: _entries(engine, index) for index in PARTIAL} == dict.fromkeys(PARTIAL, 1)


def test_the_alert_scan_and_the_delivery_report_search_the_partial_indexes(engine: Engine) -> None:
    day = timedelta(days=1)
    with _statements(engine) as seen:
        with engine.connect() as conn:
            parcels_in_trouble(
                conn,
                silent=[(NOW - 2 * day, NOW - day)],
                late=(None, NOW),
                waiting=(NOW - 3 * day, NOW),
                problem_statuses=["exception"],
                status_window=(NOW - day, NOW),
            )
        eta_accuracy(engine, NOW - day, NOW)
    plans = "\n".join(_plan(engine, statement, parameters) for statement, parameters in seen)
    assert [index for index in PARTIAL if index not in plans] == [], plans
