"""A writer may hand its rollups to the job workers (the API's batch ingest does): within
`rollups_handed_to`, the metrics subscriber queues the catch-up instead of deriving, the marks stay committed
for whoever derives them, and a nudge that fails loses nothing (the periodic upkeep takes the marks)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from lanshou.intake.batch import ingest_orders
from lanshou.metrics.tables import metric_dirty_orders, metric_orders
from lanshou.metrics.upkeep import after_writes, bring_rollups_up_to_date, rollups_handed_to


def order(number: str) -> dict[str, Any]:
    return {
        "platform": "tmall",
        "shop": "交接店",
        "order_id": number,
        "created_at": "2026-11-20 10:00:00",
        "paid_at": "2026-11-20 10:01:00",
        "lines": [{"sku": "SKU-1", "quantity": 1}],
    }


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_handed_off_rollups_are_queued_not_derived_and_derived_by_the_job(engine: Engine) -> None:
    nudges: list[int] = []
    with rollups_handed_to(lambda: nudges.append(1)):
        ingest_orders(engine, [order("H1"), order("H2")])  # settles: the subscriber's after-part runs
    assert nudges == [1]
    assert count(engine, metric_dirty_orders) == 2 and count(engine, metric_orders) == 0
    ingest_orders(engine, [order("H3")])  # no hand-off: derived here, with what was waiting
    assert count(engine, metric_dirty_orders) == 0 and count(engine, metric_orders) == 3


def test_a_failed_nudge_loses_nothing(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    def queue_down() -> None:
        raise ConnectionError("queue down")

    with caplog.at_level(logging.WARNING, "lanshou.metrics"), rollups_handed_to(queue_down):
        ingest_orders(engine, [order("F1")])  # stored all the same
        after_writes(engine)
    assert "could not queue metrics.catch_up" in caplog.text
    assert count(engine, metric_dirty_orders) == 1
    assert bring_rollups_up_to_date(engine) == 1  # what the five-minute upkeep does
    assert count(engine, metric_orders) == 1
