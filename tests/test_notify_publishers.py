"""Notifications behind the real publishers: `ship` (OrderShipped for each order, closed by OrdersChanged in
the same transaction) queues one message per shipped order in shipping's transaction, with the waybill's
carrier and number, and a signed webhook receives each once."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from lanshou.notifications import subscriptions
from lanshou.notifications.sending import send_due
from lanshou.notifications.tables import notify_outbox
from lanshou.shipping.labels.fonts import DEFAULT_CJK_FONT, FONT_ENV
from tests.conftest import IN_CI
from tests.notify_data import configure_shop, rule, webhook_receiver
from tests.ship_data import add_order, add_shop, load_pool, run

pytestmark = pytest.mark.skipif(
    not DEFAULT_CJK_FONT.is_file() and not os.environ.get(FONT_ENV) and not IN_CI,
    reason="no CJK font here: apt-get install fonts-wqy-zenhei (CI installs it and never skips)",
)
LATER = datetime(2027, 1, 5, 3, 0)


def test_shipping_a_batch_queues_one_message_per_order(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nudges: list[int] = []
    monkeypatch.setattr(subscriptions, "enqueue_send", lambda: nudges.append(1))
    with engine.begin() as conn:
        add_shop(conn)
        for i in range(3):
            add_order(conn, f"200{i}", minutes=i)
    load_pool(engine, "zto", 5)
    with webhook_receiver() as (got, url):
        configure_shop(engine, 1, LATER, hook_url=url)
        rule(engine, 1, "shipped-hook", "order_shipped", "webhook")
        report = run(engine, tmp_path)
        assert len(report.shipped) == 3 and nudges
        with engine.connect() as conn:
            rows = conn.execute(select(notify_outbox.c.order_no, notify_outbox.c.state)).all()
        assert sorted(rows) == [("2000", "pending"), ("2001", "pending"), ("2002", "pending")]
        assert send_due(engine, LATER).sent == 3
    numbers = {o.shipment.order_nos[0]: o.tracking_no for o in report.shipped}
    told = {
        b["facts"]["order"]["order_no"]: b["facts"]["tracking_no"] for b in (x["data"] for x in got.bodies)
    }
    assert told == numbers
