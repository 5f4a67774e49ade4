"""Whether any notification rule is enabled is asked once per publishing transaction (a tracking batch
publishes thousands of status changes), and the answer never outlives its transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, Engine

from lanshou.notifications import subscriptions
from tests.notify_data import rule
from tests.ship_data import add_shop


def test_a_no_rules_answer_lasts_one_transaction(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    real = subscriptions.any_enabled_rules

    def counting(conn: Connection) -> bool:
        asked.append(1)
        return real(conn)

    monkeypatch.setattr(subscriptions, "any_enabled_rules", counting)
    with engine.begin() as conn:
        add_shop(conn)
    with engine.connect() as conn:
        with conn.begin():
            assert [subscriptions._pending(conn) for _ in range(500)] == [None] * 500
        assert len(asked) == 1
        rule(engine, 1, "delivered-hook", "delivered", "webhook")  # added here: the cached "none" is dropped
        with conn.begin():
            pending = subscriptions._pending(conn)
            assert pending is not None and subscriptions._pending(conn) is pending
            subscriptions.flush(conn)  # what ParcelEventsArrived does at the end of a batch
        assert len(asked) == 2
