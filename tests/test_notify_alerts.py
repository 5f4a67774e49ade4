"""Parcel alerts tell the buyer (the exception stage), on SQLite and PostgreSQL: an alert opened (by a
status change or by the scan) is an AlertsRaised event notifications subscribe to; a rule's condition may
read `alert.kind`; one message per parcel per alert kind, whatever is raised again or rescanned; opt-out
and quiet hours hold like any stage; the queued message names its rule in the order's timeline; mail goes
through a REAL local SMTP server to the e-mail imported with the order."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from lanshou.intake.orders import import_orders
from lanshou.notifications import subscriptions
from lanshou.notifications.compose import compose_message, default_template_set
from lanshou.notifications.context import build_context, sample_facts
from lanshou.notifications.model import ChannelKind, Stage
from lanshou.notifications.sending import send_due
from lanshou.notifications.store import NotifyInputError, add_optout
from lanshou.notifications.tables import notify_outbox
from lanshou.orders.timeline import read
from lanshou.shops.tables import shops
from lanshou.sla.alert_list import list_alerts
from lanshou.sla.alert_store import resolve
from lanshou.sla.scan import scan_alerts
from tests.notify_data import configure_shop, order_line, rule, smtp_server
from tests.tracking_data import ORDERS_HEADER, import_track_rows

LATER = datetime(2027, 1, 5, 3, 0)  # 11:00 in Shanghai; after the real clock the outbox rows are dated by
NIGHT = datetime(2027, 1, 4, 16, 0)  # 00:00 in Shanghai: inside quiet hours 22:00–08:00
SCAN = datetime(2026, 11, 4, 4, 0)  # the alert scan's now: 12:00 in Shanghai


@pytest.fixture(autouse=True)
def nudges(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    monkeypatch.setattr(subscriptions, "enqueue_send", lambda: seen.append(1))
    return seen


def import_with_emails(engine: Engine, tmp: Path, rows: list[tuple[str, str, str, str]]) -> int:
    """(order, tracking number, buyer id, e-mail) orders of shop 小店, through the generic file with its
    optional buyer_email column; returns the shop's id."""
    path = tmp / "orders-email.csv"
    lines = [f"{order_line(order, number, buyer)},{email}" for order, number, buyer, email in rows]
    path.write_text("\n".join([f"{ORDERS_HEADER},buyer_email", *lines]) + "\n", encoding="utf-8")
    report = import_orders(engine, path, rejects=tmp / "rej.csv")
    assert report.rejected_count == 0, report.rejected
    with engine.connect() as conn:
        return int(conn.execute(select(shops.c.id).where(shops.c.name == "小店")).scalar_one())


def outbox(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(notify_outbox).order_by(notify_outbox.c.id)))


def timeline(engine: Engine, shop: int, order_no: str, kind: str) -> list[str]:
    with engine.connect() as conn:
        return [e.detail for e in read(conn, shop, order_no) if e.kind == kind]


def test_a_failed_attempt_alert_sends_one_mail_however_often_it_is_raised(
    engine: Engine, tmp_path: Path, nudges: list[int]
) -> None:
    shop = import_with_emails(engine, tmp_path, [("E1", "ZE1", "buyer-e1", "Zoe.Li@Example.COM")])
    with smtp_server() as (box, port):
        configure_shop(engine, shop, LATER, smtp_port=port)
        when = "alert.kind in ['failed_attempt', 'returned']"
        rule(engine, shop, "派送问题", "exception", "email", when=when)
        track = ["zto,ZE1,2026-11-01 18:00:00,103,杭州,已揽收"]
        import_track_rows(engine, tmp_path, track, "t1.csv")
        assert outbox(engine) == []  # picked up: no rule for that stage
        failed = "zto,ZE1,2026-11-03 18:00:00,failed_attempt,深圳,派送失败 电话无人接听"
        import_track_rows(engine, tmp_path, [failed], "t2.csv")
        (row,) = outbox(engine)
        assert (row.stage, row.alert_kind, row.state) == ("exception", "failed_attempt", "pending")
        assert row.recipient == "Zoe.Li@example.com"  # the imported e-mail; the buyer id is no address
        assert row.idempotency_key.endswith(":ZE1:exception.failed_attempt:email")
        assert nudges  # the sender was nudged once the alert's transaction committed
        queued = timeline(engine, shop, "E1", "notification_queued")
        assert len(queued) == 1 and "'派送问题'" in queued[0] and "exception/failed_attempt" in queued[0]
        assert "派送失败" in queued[0]  # the alert's reason
        import_track_rows(engine, tmp_path, [failed], "t3.csv")  # the same push again
        scan_alerts(engine, SCAN, full=True)  # a full rescan: the alert is known, nothing new
        scan_alerts(engine, SCAN + timedelta(days=3))  # stalled by now: an alert the rule does not want
        kinds = {a["kind"] for a in list_alerts(engine, SCAN + timedelta(days=3))}
        assert kinds == {"failed_attempt", "stalled"}  # silent 90 h: over the 24 h gap, under 120 h lost
        assert len(outbox(engine)) == 1
        # staff resolve it; a second failed attempt opens a new alert of the same kind: no second message
        (alert,) = [a for a in list_alerts(engine, SCAN) if a["kind"] == "failed_attempt"]
        resolve(engine, alert["id"], "ops", SCAN)
        again = [
            "zto,ZE1,2026-11-05 08:00:00,out_for_delivery,深圳,派送中",
            "zto,ZE1,2026-11-05 18:00:00,failed_attempt,深圳,派送失败 再次无人",
        ]
        import_track_rows(engine, tmp_path, again, "t4.csv")
        reopened = [a for a in list_alerts(engine, SCAN) if a["kind"] == "failed_attempt"]
        assert len(reopened) == 1 and reopened[0]["id"] != alert["id"]
        assert len(outbox(engine)) == 1 and len(timeline(engine, shop, "E1", "notification_queued")) == 1
        report = send_due(engine, LATER)
        assert send_due(engine, LATER + timedelta(hours=1)).sent == 0
    assert report.sent == 1 and len(box.messages) == 1
    mail = box.messages[0]
    assert str(mail["To"]) == "Zoe.Li@example.com" and str(mail["Subject"]) == "【小店】包裹派送未成功"
    assert "快递会再次派送" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    sent = timeline(engine, shop, "E1", "notification_sent")
    assert len(sent) == 1 and "Z***@example.com" in sent[0] and "Zoe.Li" not in sent[0]


def test_locker_alerts_from_the_scan_respect_condition_opt_out_and_quiet_hours(
    engine: Engine, tmp_path: Path
) -> None:
    orders = [
        ("L1", "ZL1", "buyer-l1", "lin@example.com"),
        ("L2", "ZL2", "buyer-l2", "lu@example.com"),  # opted out of e-mail
        ("S1", "ZS1", "buyer-s1", "sun@example.com"),  # stalled, not at a locker
    ]
    shop = import_with_emails(engine, tmp_path, orders)
    with engine.begin() as conn:
        add_optout(conn, "buyer-l2", "email", LATER)
    with smtp_server() as (box, port):
        configure_shop(engine, shop, LATER, smtp_port=port, quiet=("22:00", "08:00"))
        rule(engine, shop, "待取件提醒", "exception", "email", when="alert.kind == 'locker_waiting'")
        track = [
            "zto,ZL1,2026-11-01 18:00:00,103,杭州,已揽收",
            "zto,ZL1,2026-11-02 10:00:00,available_for_pickup,深圳,已放入驿站",  # 50 h by SCAN
            "zto,ZL2,2026-11-01 18:00:00,103,杭州,已揽收",
            "zto,ZL2,2026-11-02 10:00:00,available_for_pickup,深圳,已放入快递柜",
            "zto,ZS1,2026-11-01 18:00:00,103,杭州,已揽收",
            "zto,ZS1,2026-11-02 08:00:00,in_transit,上海,到达上海中转",  # silent 52 h by SCAN
        ]
        import_track_rows(engine, tmp_path, track)
        assert outbox(engine) == []  # at a locker is out_for_delivery: no rule for it
        first = scan_alerts(engine, SCAN)
        assert first.opened == 3  # two locker waits, one stalled parcel
        rows = outbox(engine)
        assert sorted((r.tracking_no, r.alert_kind) for r in rows) == [
            ("ZL1", "locker_waiting"),
            ("ZL2", "locker_waiting"),
        ]  # the stalled parcel's alert matched no rule
        scan_alerts(engine, SCAN + timedelta(hours=1))
        scan_alerts(engine, SCAN + timedelta(hours=2), full=True)
        assert len(outbox(engine)) == 2
        night = send_due(engine, NIGHT)
        assert (night.sent, night.held, night.skipped) == (0, 1, 1)
        states = {r.tracking_no: r.state for r in outbox(engine)}
        assert states == {"ZL1": "held_quiet", "ZL2": "opted_out"}
        morning = send_due(engine, LATER)
    assert morning.sent == 1 and len(box.messages) == 1
    mail = box.messages[0]
    assert str(mail["To"]) == "lin@example.com" and str(mail["Subject"]) == "【小店】您有包裹待取件"
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "驿站/快递柜" in body and "ZL1" in body
    assert timeline(engine, shop, "L2", "notification_skipped")  # the opt-out is in L2's timeline
    assert timeline(engine, shop, "S1", "notification_queued") == []


def test_a_condition_naming_an_unknown_alert_fact_is_refused(engine: Engine, tmp_path: Path) -> None:
    shop = import_with_emails(engine, tmp_path, [("C1", "ZC1", "buyer-c1", "")])
    with pytest.raises(NotifyInputError, match=r"alert\.kinds"):
        rule(engine, shop, "typo", "exception", "email", when="alert.kinds == 'stalled'")
    with pytest.raises(NotifyInputError):
        rule(engine, shop, "not text", "exception", "email", when="alert.kind == 3")


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize(
    "kind",
    [
        "failed_attempt",
        "returned",
        "locker_waiting",
        "stalled",
        "probably_lost",
        "delivery_late",
        "pickup_overdue",
    ],
)
def test_every_alert_kind_has_its_own_buyer_text(kind: str, language: str) -> None:
    facts = sample_facts(Stage.EXCEPTION)
    context = build_context(facts)
    context["alert"] = {"kind": kind}
    mine = default_template_set(Stage.EXCEPTION, language, kind)
    general = default_template_set(Stage.EXCEPTION, language)
    message = compose_message(mine, ChannelKind.EMAIL, context, key="k", recipients=("a@example.com",))
    plain = compose_message(general, ChannelKind.EMAIL, context, key="k", recipients=("a@example.com",))
    assert message.subject != plain.subject and "揽收旗舰店" in message.subject
    assert "SF1234567890123" in message.text  # the tracking number is in every one
    sms = compose_message(mine, ChannelKind.SMS, context, key="k", recipients=("13800000000",))
    assert sms.text and "{{" not in sms.text
