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


def test_a_batch_with_its_own_pending_events_is_settled_only_by_its_own_settle(engine: Engine) -> None:
    """The API's batch settles its events after answering, its rollups handed off; a page's action settling
    the process's bus meanwhile neither derives them nor hands its own off."""
    from lanshou.events import bus

    batch = bus.with_own_pending()
    ingest_orders(engine, [order("B1")], events=batch, settle=False)
    bus.settle(engine)  # another request's settle: the batch's events are not in its list
    assert count(engine, metric_dirty_orders) == 1

    ingest_orders(engine, [order("P1")])  # a page's own write, settled on the process's bus: derived now
    assert count(engine, metric_dirty_orders) == 0  # (the refresh derives every mark, B1's too)

    ingest_orders(engine, [order("B2")], events=batch, settle=False)
    nudges: list[int] = []
    with rollups_handed_to(lambda: nudges.append(1)):
        batch.settle(engine)
        bus.settle(engine)  # nothing of the process's bus is pending: nothing more handed off
    assert nudges == [1] and count(engine, metric_dirty_orders) == 1
