"""Notifications end to end on SQLite and PostgreSQL: events → rules → outbox → a REAL local SMTP server
and a REAL local webhook receiver; one message per stage per parcel under replayed events; quiet hours,
retries with backoff, opt-out, rate limit; each outcome in the order's timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from lanshou.events import OrderShipped, ParcelStatusChanged, bus
from lanshou.notifications import subscriptions
from lanshou.notifications.policy import RetryPolicy
from lanshou.notifications.sending import send_due
from lanshou.notifications.store import add_optout, save_template
from lanshou.notifications.tables import notify_outbox, notify_templates
from lanshou.notifications.templates import TemplateRefused
from lanshou.orders.timeline import read
from lanshou.tracking.record import record_events
from tests.notify_data import (
    configure_shop,
    import_orders_file,
    order_line,
    rule,
    smtp_server,
    webhook_receiver,
)

LATER = datetime(2027, 1, 5, 3, 0)  # 11:00 in Shanghai: outside the quiet hours used below


@pytest.fixture
def nudges(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    monkeypatch.setattr(subscriptions, "enqueue_send", lambda: seen.append(1))
    return seen


def publish(engine: Engine, *events: Any) -> None:
    with engine.begin() as conn:
        for event in events:
            bus.publish(conn, event)
    bus.settle(engine)


def outbox(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(notify_outbox).order_by(notify_outbox.c.id)))


def track(engine: Engine, number: str, status: str, when: datetime, text: str = "") -> None:
    row = {
        "tracking_no": number,
        "carrier": "zto",
        "event_time": when,
        "status": status,
        "raw_status": status,
        "location": "深圳市",
        "description": text or status,
    }
    with engine.begin() as conn:
        record_events(conn, [row])
    bus.settle(engine)


def test_shipped_order_one_email_through_real_smtp_even_when_the_event_repeats(
    engine: Engine, tmp_path: Path, nudges: list[int]
) -> None:
    shop = import_orders_file(engine, tmp_path, [order_line("A1", "ZT1", "amy@example.com")])
    with smtp_server() as (box, port):
        configure_shop(engine, shop, LATER, smtp_port=port)
        rule(engine, shop, "shipped-mail", "order_shipped", "email")
        for _ in range(3):  # at-least-once delivery of the same event
            publish(engine, OrderShipped((shop, "A1"), "ZT1", "zto"))
        rows = outbox(engine)
        assert len(rows) == 1 and rows[0].state == "pending" and rows[0].recipient == "amy@example.com"
        assert nudges  # a send job was queued after the commit
        report = send_due(engine, LATER)
        again = send_due(engine, LATER + timedelta(hours=1))
    assert report.sent == 1 and again.sent == 0
    assert len(box.messages) == 1
    mail = box.messages[0]
    assert "A1" in str(mail["Subject"]) and str(mail["To"]) == "amy@example.com"
    assert "ZT1" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    row = outbox(engine)[0]
    assert (row.state, row.attempts, row.sent_at) == ("sent", 1, LATER)
    with engine.connect() as conn:
        kinds = [(e.kind, e.detail) for e in read(conn, shop, "A1") if e.kind.startswith("notification")]
    assert len(kinds) == 1 and kinds[0][0] == "notification_sent"
    assert (
        "via email" in kinds[0][1] and "template default" in kinds[0][1] and "a***@example.com" in kinds[0][1]
    )


def test_parcel_stage_signed_webhook_retried_with_backoff_once_per_parcel(
    engine: Engine, tmp_path: Path, nudges: list[int]
) -> None:
    rows = [order_line("B1", "ZT2", "bob"), order_line("B2", "ZT2", "bob")]  # one parcel, two orders
    shop = import_orders_file(engine, tmp_path, rows)
    with webhook_receiver(fail_first=1) as (got, url):
        configure_shop(engine, shop, LATER, hook_url=url)
        rule(engine, shop, "delivered-hook", "delivered", "webhook")
        track(engine, "ZT2", "picked_up", datetime(2026, 11, 1, 14, 0))  # no rule for this stage
        track(engine, "ZT2", "delivered", datetime(2026, 11, 2, 9, 0), "已签收")
        track(engine, "ZT2", "delivered", datetime(2026, 11, 2, 9, 0), "已签收")  # a duplicate push
        assert len(outbox(engine)) == 1  # one parcel, two orders: one message
        policy = RetryPolicy(base=timedelta(seconds=30), jitter=0.0)
        first = send_due(engine, LATER, retry=policy)
        row = outbox(engine)[0]
        assert first.retrying == 1 and row.state == "pending" and row.attempts == 1
        assert row.next_attempt_at == LATER + timedelta(seconds=30) and "503" in row.last_error
        assert send_due(engine, LATER + timedelta(seconds=29), retry=policy).sent == 0  # backoff holds it
        second = send_due(engine, LATER + timedelta(seconds=30), retry=policy)
    assert second.sent == 1 and len(got.bodies) == 1
    assert got.bodies[0]["data"]["stage"] == "delivered" and got.keys[0].endswith(":ZT2:delivered:webhook")
    assert outbox(engine)[0].state == "sent"
    with engine.connect() as conn:
        kinds = [e.kind for e in read(conn, shop, "B1") if e.kind.startswith("notification")]
    assert kinds == ["notification_failed", "notification_sent"]


def test_quiet_hours_hold_then_send_when_the_window_opens(
    engine: Engine, tmp_path: Path, nudges: list[int]
) -> None:
    shop = import_orders_file(engine, tmp_path, [order_line("C1", "ZT3", "cat@example.com")])
    night = datetime(2027, 1, 5, 16, 0)  # 00:00 in Shanghai
    with smtp_server() as (box, port):
        configure_shop(engine, shop, night, smtp_port=port, quiet=("22:00", "08:00"))
        rule(engine, shop, "shipped-mail", "order_shipped", "email")
        publish(engine, OrderShipped((shop, "C1"), "ZT3", "zto"))
        assert send_due(engine, night).held == 1
        row = outbox(engine)[0]
        assert row.state == "held_quiet" and row.next_attempt_at == datetime(2027, 1, 6, 0, 0)  # 08:00 local
        assert send_due(engine, datetime(2027, 1, 5, 23, 59)).sent == 0 and not box.messages
        assert send_due(engine, datetime(2027, 1, 6, 0, 0)).sent == 1
    assert len(box.messages) == 1 and outbox(engine)[0].state == "sent"


def test_opt_out_and_rate_limit(engine: Engine, tmp_path: Path, nudges: list[int]) -> None:
    rows = [order_line("D1", "ZT4", "dan@example.com"), order_line("D2", "ZT5", "eve@example.com")]
    shop = import_orders_file(engine, tmp_path, rows)
    with smtp_server() as (box, port):
        configure_shop(engine, shop, LATER, smtp_port=port, rate=(1, 86400))
        rule(engine, shop, "accepted-mail", "order_accepted", "email")
        rule(engine, shop, "shipped-mail", "order_shipped", "email")
        with engine.begin() as conn:
            add_optout(conn, "dan@example.com", "email", LATER)
        publish(engine, OrderShipped((shop, "D1"), "ZT4", "zto"), OrderShipped((shop, "D2"), "ZT5", "zto"))
        assert send_due(engine, LATER).sent == 1
        from lanshou.events import OrdersAccepted

        publish(engine, OrdersAccepted(((shop, "D2"),)))
        report = send_due(engine, LATER + timedelta(hours=1))
    states = {(r.order_no, r.stage): (r.state, r.next_attempt_at) for r in outbox(engine)}
    assert states[("D1", "order_shipped")][0] == "opted_out"
    assert states[("D2", "order_shipped")][0] == "sent"
    assert report.held == 1 and states[("D2", "order_accepted")] == (
        "rate_limited",
        LATER + timedelta(days=1),
    )
    assert [str(m["To"]) for m in box.messages] == ["eve@example.com"]


def test_conditions_choose_the_merchant_template(engine: Engine, tmp_path: Path, nudges: list[int]) -> None:
    rows = [
        order_line("E1", "ZT6", "big@example.com", amount="900.00"),
        order_line("E2", "ZT7", "small@example.com"),
    ]
    shop = import_orders_file(engine, tmp_path, rows)
    with engine.begin() as conn:
        save_template(
            conn, shop, "vip", "zh-CN", "email_subject", "尊贵的客户，订单 {{ order.order_no }} 已发货", LATER
        )
    with smtp_server() as (box, port):
        configure_shop(engine, shop, LATER, smtp_port=port)
        rule(engine, shop, "vip", "order_shipped", "email", when="amount > 500.0", template="vip", position=0)
        rule(engine, shop, "everyone", "order_shipped", "email", position=1)
        publish(engine, OrderShipped((shop, "E1"), "ZT6", "zto"), OrderShipped((shop, "E2"), "ZT7", "zto"))
        assert send_due(engine, LATER).sent == 2
    subjects = {str(m["To"]): str(m["Subject"]) for m in box.messages}
    assert subjects["big@example.com"] == "尊贵的客户，订单 E1 已发货"
    assert "尊贵" not in subjects["small@example.com"]


def test_a_template_that_does_not_render_is_refused_when_saved(engine: Engine, tmp_path: Path) -> None:
    shop = import_orders_file(engine, tmp_path, [order_line("F1", "ZT8", "f@example.com")])
    with pytest.raises(TemplateRefused), engine.begin() as conn:
        save_template(conn, shop, "broken", "zh-CN", "sms", "{{ order.total / 0 }}", LATER)
    with engine.connect() as conn:
        assert conn.execute(select(notify_templates)).first() is None


def test_a_row_is_claimed_by_one_worker_and_reclaimed_only_when_its_worker_died(
    engine: Engine, tmp_path: Path, nudges: list[int]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from lanshou.notifications.sending import STALE_SENDING, claim

    shop = import_orders_file(engine, tmp_path, [order_line("G1", "ZT9", "g@example.com")])
    rule(engine, shop, "shipped-mail", "order_shipped", "email")
    publish(engine, OrderShipped((shop, "G1"), "ZT9", "zto"))
    row_id = outbox(engine)[0].id
    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(lambda _: claim(engine, row_id, LATER), range(8)))
    assert wins.count(True) == 1 and outbox(engine)[0].state == "sending"
    assert not claim(engine, row_id, LATER + STALE_SENDING)  # still within its worker's time
    assert claim(engine, row_id, LATER + STALE_SENDING + timedelta(seconds=1))  # that worker died


def test_rate_limit_holds_under_concurrent_senders(engine: Engine, tmp_path: Path, nudges: list[int]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    rows = [order_line(f"H{i}", f"ZTH{i}", "same@example.com") for i in range(6)]
    shop = import_orders_file(engine, tmp_path, rows)
    with smtp_server() as (box, port):
        configure_shop(engine, shop, LATER, smtp_port=port, rate=(2, 86400))
        rule(engine, shop, "shipped-mail", "order_shipped", "email")
        publish(engine, *[OrderShipped((shop, f"H{i}"), f"ZTH{i}", "zto") for i in range(6)])
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: send_due(engine, LATER, limit=2), range(4)))
        send_due(engine, LATER)  # whatever the threads left (a lost claim is not retried by its thread)
    states = sorted(r.state for r in outbox(engine))
    assert states == ["rate_limited"] * 4 + ["sent"] * 2 and len(box.messages) == 2


def test_retries_end_in_failed_with_the_reason_in_the_timeline(
    engine: Engine, tmp_path: Path, nudges: list[int]
) -> None:
    shop = import_orders_file(engine, tmp_path, [order_line("J1", "ZTJ1", "j")])
    with webhook_receiver(fail_first=10) as (got, url):
        configure_shop(engine, shop, LATER, hook_url=url)
        rule(engine, shop, "shipped-hook", "order_shipped", "webhook")
        publish(engine, OrderShipped((shop, "J1"), "ZTJ1", "zto"))
        policy = RetryPolicy(base=timedelta(seconds=10), factor=2, max_attempts=3, jitter=0.0)
        at = LATER
        for expected in (timedelta(seconds=10), timedelta(seconds=20)):
            send_due(engine, at, retry=policy)
            row = outbox(engine)[0]
            assert row.state == "pending" and row.next_attempt_at == at + expected  # exponential backoff
            at = row.next_attempt_at
        assert send_due(engine, at, retry=policy).failed == 1
    row = outbox(engine)[0]
    assert (row.state, row.attempts, got.refused) == (
        "failed",
        3,
        3,
    ) and "retries_exhausted" in row.last_error
    with engine.connect() as conn:
        kinds = [e.kind for e in read(conn, shop, "J1") if e.kind.startswith("notification")]
    assert kinds == ["notification_failed"] * 3


def test_in_transit_long_once_per_parcel_after_the_shops_threshold(
    engine: Engine, tmp_path: Path, nudges: list[int]
) -> None:
    from lanshou.notifications.long_transit import queue_long_transit

    shop = import_orders_file(engine, tmp_path, [order_line("L1", "ZTL1", "l@example.com")])
    configure_shop(engine, shop, LATER, long_transit_hours=48)
    rule(engine, shop, "slow", "in_transit_long", "email")
    track(engine, "ZTL1", "picked_up", datetime(2026, 11, 1, 14, 0))
    track(engine, "ZTL1", "in_transit", datetime(2026, 11, 1, 20, 0))
    track(engine, "ZTL1", "in_transit", datetime(2026, 11, 2, 20, 0))  # still in transit: the spell goes on
    assert queue_long_transit(engine, datetime(2026, 11, 3, 19, 59)).new == 0  # 47:59 in transit
    assert queue_long_transit(engine, datetime(2026, 11, 3, 20, 0)).new == 1
    assert queue_long_transit(engine, datetime(2026, 11, 4, 8, 0)).new == 0  # once per parcel
    rows = outbox(engine)
    assert [(r.stage, r.tracking_no) for r in rows] == [("in_transit_long", "ZTL1")]


def test_the_merchant_sets_what_counts_as_high_value(
    engine: Engine, tmp_path: Path, nudges: list[int]
) -> None:
    rows = [order_line("K1", "ZTK1", "k1@example.com"), order_line("K2", "ZTK2", "k2@example.com")]
    shop = import_orders_file(engine, tmp_path, rows)  # 88.00 each
    with smtp_server() as (box, port):
        configure_shop(engine, shop, LATER, smtp_port=port)
        rule(engine, shop, "shipped-mail", "order_shipped", "email")
        publish(engine, OrderShipped((shop, "K1"), "ZTK1", "zto"))
        send_due(engine, LATER)
        from decimal import Decimal

        configure_shop(engine, shop, LATER, high_value=Decimal("80"))
        publish(engine, OrderShipped((shop, "K2"), "ZTK2", "zto"))
        send_due(engine, LATER)
    bodies = {str(m["To"]): m.get_body(("plain",)).get_content() for m in box.messages}  # type: ignore[union-attr]
    assert "优先处理" not in bodies["k1@example.com"] and "优先处理" in bodies["k2@example.com"]


def test_a_rolled_back_change_queues_nothing(engine: Engine, tmp_path: Path, nudges: list[int]) -> None:
    shop = import_orders_file(engine, tmp_path, [order_line("Q1", "ZTQ1", "q@example.com")])
    rule(engine, shop, "delivered-mail", "delivered", "email")
    row = {
        "tracking_no": "ZTQ1",
        "carrier": "zto",
        "event_time": datetime(2026, 11, 2, 9, 0),
        "status": "delivered",
        "raw_status": "delivered",
        "location": "",
        "description": "已签收",
    }
    with pytest.raises(RuntimeError), engine.begin() as conn:
        record_events(conn, [row])
        raise RuntimeError("the import fails after recording")
    bus.settle(engine)
    assert outbox(engine) == [] and nudges == []
    change = ParcelStatusChanged("ZTQ1", "zto", "delivered", None, datetime(2026, 11, 2, 9, 0))
    with pytest.raises(RuntimeError), engine.begin() as conn:
        bus.publish(conn, change)  # a bare change, no ParcelEventsArrived: left to the after-handler
        raise RuntimeError("rolled back")
    bus.settle(engine)  # which finds no stored delivered event for the parcel
    assert outbox(engine) == [] and nudges == []
    track(engine, "ZTQ1", "delivered", datetime(2026, 11, 2, 9, 0), "已签收")  # recorded again, for real
    assert [r.stage for r in outbox(engine)] == ["delivered"] and nudges == [1]


def test_an_exception_tells_the_buyer_what_went_wrong_in_their_language(
    engine: Engine, tmp_path: Path, nudges: list[int]
) -> None:
    rows = [
        order_line("X1", "ZTX1", "x1@example.com"),
        order_line("X2", "ZTX2", "x2@example.com", amount="9.00"),
    ]
    shop = import_orders_file(engine, tmp_path, rows)
    with smtp_server() as (box, port):
        configure_shop(engine, shop, LATER, smtp_port=port)
        rule(engine, shop, "en", "exception", "email", when="amount < 10.0", language="en")
        rule(engine, shop, "zh", "exception", "email", position=1)
        for number in ("ZTX1", "ZTX2"):
            track(engine, number, "picked_up", datetime(2026, 11, 1, 14, 0))
            track(engine, number, "failed_attempt", datetime(2026, 11, 2, 14, 0), "收件人电话无人接听")
            track(engine, number, "returning", datetime(2026, 11, 3, 14, 0), "退回中")  # alert: returned
            track(engine, number, "returned", datetime(2026, 11, 4, 14, 0), "退回签收")  # same alert: no 3rd
        # each parcel: one message for its failed_attempt alert, one for its returned alert
        assert send_due(engine, LATER).sent == 4
    mails: dict[str, list[tuple[str, str]]] = {}
    for m in box.messages:
        body = m.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        mails.setdefault(str(m["To"]), []).append((str(m["Subject"]), body))
    zh, en = sorted(mails["x1@example.com"]), sorted(mails["x2@example.com"])
    assert [subject for subject, _ in zh] == ["【小店】包裹派送未成功", "【小店】您的包裹被退回"]
    assert "包裹已退回" in zh[1][1] and "快递会再次派送" in zh[0][1]  # the newest: returned
    assert [subject for subject, _ in en] == [
        "[小店] Delivery attempt failed",
        "[小店] Your parcel is being returned",
    ]
    assert "The parcel was returned. 小店 will contact you" in en[1][1]


def test_platform_messages_go_through_the_registered_messenger(
    engine: Engine, tmp_path: Path, nudges: list[int]
) -> None:
    from lanshou.notifications.channel_setup import register_messenger
    from lanshou.notifications.channels.platform import PlatformSendResult

    class Inbox:  # stands in for a marketplace's buyer-message API (an outside service)
        platform = "testmall"

        def __init__(self, settings: Any) -> None:
            self.settings = settings

        def send_buyer_message(
            self, buyer_ref: str, text: str, *, idempotency_key: str
        ) -> PlatformSendResult:
            sent.append((buyer_ref, text, idempotency_key, dict(self.settings)))
            return PlatformSendResult(True, "msg-1")

    sent: list[tuple[str, str, str, dict[str, Any]]] = []
    register_messenger("testmall", Inbox)
    shop = import_orders_file(engine, tmp_path, [order_line("Y1", "ZTY1", "buyer-open-id-1")])
    with engine.begin() as conn:
        from lanshou.notifications.settings_store import save_settings

        save_settings(conn, shop, LATER, channels={"platform": {"platform": "testmall", "app_key": "k"}})
    rule(engine, shop, "im", "order_shipped", "platform")
    publish(engine, OrderShipped((shop, "Y1"), "ZTY1", "zto"))
    assert send_due(engine, LATER).sent == 1
    ((buyer, text, key, settings),) = sent
    assert buyer == "buyer-open-id-1" and "ZTY1" in text and key.endswith(":order_shipped:platform")
    assert settings == {"app_key": "k"} and outbox(engine)[0].provider_id == "msg-1"


def test_merchant_segments_reach_rule_conditions_and_templates(
    engine: Engine, tmp_path: Path, nudges: list[int]
) -> None:
    from lanshou.notifications.settings_store import save_settings
    from lanshou.notifications.store import NotifyInputError

    rows = [
        order_line("Z1", "ZTZ1", "z1@example.com", amount="300.00"),
        order_line("Z2", "ZTZ2", "z2@example.com"),
    ]
    shop = import_orders_file(engine, tmp_path, rows)
    with pytest.raises(NotifyInputError), engine.begin() as conn:
        save_settings(conn, shop, LATER, segments={"big": "amout > 1.0"})  # refused: no such fact
    with engine.begin() as conn:
        save_settings(conn, shop, LATER, segments={"big": "amount > 200.0", "south": "province == '广东省'"})
        text = "{% if 'big' in segments %}大客户{% endif %}{{ segments|join(',') }} {{ order.order_no }}"
        save_template(conn, shop, "seg", "zh-CN", "email_subject", text, LATER)
    with smtp_server() as (box, port):
        configure_shop(engine, shop, LATER, smtp_port=port)
        rule(
            engine, shop, "big-only", "order_shipped", "email", when="'big' in buyer.segments", template="seg"
        )
        publish(engine, OrderShipped((shop, "Z1"), "ZTZ1", "zto"), OrderShipped((shop, "Z2"), "ZTZ2", "zto"))
        assert send_due(engine, LATER).sent == 1
    assert [str(m["Subject"]) for m in box.messages] == ["大客户big,south Z1"]


def test_rules_see_the_buyer_profile_as_review_does(
    engine: Engine, tmp_path: Path, nudges: list[int]
) -> None:
    rows = [
        order_line("V1", "ZTV1", "v1@example.com", amount="1200.00"),  # the profile: big_spenders
        order_line("V2", "ZTV2", "v2@example.com"),
    ]
    shop = import_orders_file(engine, tmp_path, rows)
    with smtp_server() as (box, port):
        configure_shop(engine, shop, LATER, smtp_port=port)
        rule(engine, shop, "big", "order_shipped", "email", when="'big_spenders' in buyer.segments")
        publish(engine, OrderShipped((shop, "V1"), "ZTV1", "zto"), OrderShipped((shop, "V2"), "ZTV2", "zto"))
        assert send_due(engine, LATER).sent == 1
    assert [str(m["To"]) for m in box.messages] == ["v1@example.com"]


def test_orders_accepted_by_review_are_told_once(engine: Engine, nudges: list[int]) -> None:
    """The real publisher: review accepts an order (OrdersAccepted in its transaction), the buyer hears it."""
    from lanshou.review.run import review_orders
    from tests.inventory_data import NOW, add_order, make_shop, put_stock

    put_stock(engine, [("A", "main", 10)])
    with engine.begin() as conn:
        shop = make_shop(conn)
        add_order(conn, shop, "R1", [("A", 1)], buyer_key="rev@example.com")
    with smtp_server() as (box, port):
        configure_shop(engine, shop, LATER, smtp_port=port)
        rule(engine, shop, "accepted", "order_accepted", "email")
        assert review_orders(engine, now=NOW).accepted == 1
        assert review_orders(engine, now=NOW).results == []  # reviewed once: nothing more
        assert nudges and send_due(engine, LATER).sent == 1
    assert [str(m["To"]) for m in box.messages] == ["rev@example.com"]
    assert "R1" in str(box.messages[0]["Subject"])
