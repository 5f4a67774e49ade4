"""Segment campaigns on SQLite and PostgreSQL: one message per buyer of the segment through the notification
outbox, opted-out buyers and buyers with no contact on the channel never sent (but logged), counts exact,
a second run queues nothing; an e-mail campaign with a coupon code goes out through a real local SMTP
server, its template seeing the buyer profile and the code."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.cli.app import app as cli_app
from lanshou.intake.orders import import_orders
from lanshou.notifications.campaigns import CampaignError, campaign, queue_campaign
from lanshou.notifications.sending import send_due
from lanshou.notifications.store import NotifyInputError, add_optout, add_rule, save_template
from tests.accounts_data import HEADER
from tests.notify_data import configure_shop, smtp_server

NOW = datetime(2026, 11, 20, 6, 0)  # 14:00 in Shanghai
runner = CliRunner()
# (shop, order, buyer id, receiver, phone, amount): big_spenders is `spend >= 1000.0` over every shop
ORDERS = [
    ("小店", "S1", "ann@example.com", "李安娜", "13900000001", "700.00"),
    ("小店", "S2", "ann@example.com", "李安娜", "13900000001", "500.00"),  # ann: 1200, two orders
    ("小店", "S3", "bo@example.com", "王博", "13900000002", "1500.00"),  # opted out of e-mail only
    ("小店", "S4", "carl", "张卡尔", "13900000003", "2000.00"),  # no e-mail address
    ("小店", "S5", "dan@example.com", "赵丹", "13900000004", "300.00"),  # not a big spender
    ("小店", "S6", "eve@example.com", "钱伊芙", "139****0005", "1100.00"),  # masked phone: no SMS
    ("旗舰店", "F1", "fay@example.com", "孙菲菲", "13900000006", "1000.00"),  # bought in the other shop only
    ("小店", "S7", "gus@example.com", "周古斯", "13900000007", "5000.00"),  # opted out of everything
]


def _csv(tmp_path: Path) -> Path:
    lines = [HEADER]
    for i, (shop, order_no, buyer, name, phone, amount) in enumerate(ORDERS):
        lines.append(
            f"douyin,{shop},{order_no},paid,2026-11-0{i + 1} 10:00:00,2026-11-0{i + 1} 10:05:00,0,,{buyer},"
            f"{name},{phone},浙江省,杭州市,西湖区,文三路{i}号,,SKU-{i},商品{i},家居,1,{amount},{amount},,,"
        )
    (tmp_path / "orders.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path / "orders.csv"


def _load(engine: Engine, tmp_path: Path) -> int:
    report = import_orders(engine, _csv(tmp_path), rejects=tmp_path / "rejects.csv")
    assert report.rejected_count == 0, report.rejected
    with engine.begin() as conn:
        add_optout(conn, "bo@example.com", "email", NOW)
        add_optout(conn, "gus@example.com", None, NOW)
        shop_id = conn.execute(select(s.shops.c.id).where(s.shops.c.name == "小店")).scalar_one()
    return int(shop_id)


def _outbox(engine: Engine) -> list[Any]:
    o = s.notify_outbox.c
    with engine.connect() as conn:
        return list(conn.execute(select(s.notify_outbox).order_by(o.order_no, o.channel)))


def test_sms_campaign_counts_opt_outs_contacts_and_sends_nothing_twice(
    engine: Engine, tmp_path: Path
) -> None:
    shop_id = _load(engine, tmp_path)
    wanted = campaign(shop_id, "big_spenders", "default", "sms", coupon="SAVE20")
    assert wanted.name == "big_spenders-default-sms-SAVE20"
    # members in 小店: ann, bo, carl, eve, gus (fay bought elsewhere, dan spent too little)
    dry = queue_campaign(engine, wanted, NOW, "alice", dry_run=True)
    assert (dry.members, dry.queued, dry.opted_out, dry.no_contact, dry.already) == (5, 3, 1, 1, 0)
    assert _outbox(engine) == []  # a dry run writes nothing
    done = queue_campaign(engine, wanted, NOW, "alice")
    assert (done.queued, done.opted_out, done.no_contact, done.already) == (3, 1, 1, 0)
    rows = _outbox(engine)
    assert [(r.order_no, r.state, r.recipient) for r in rows] == [
        ("S2", "pending", "13900000001"),  # ann's latest order in the shop carries the message
        ("S3", "pending", "13900000002"),  # bo refused e-mail, not SMS
        ("S4", "pending", "13900000003"),
        ("S6", "skipped", ""),
        ("S7", "opted_out", "13900000007"),
    ]
    assert {r.stage for r in rows} == {"campaign"} and {r.template for r in rows} == {"default"}
    again = queue_campaign(engine, wanted, datetime(2026, 11, 21), "alice")
    assert (again.queued, again.opted_out, again.no_contact, again.already) == (0, 0, 0, 5)
    assert len(_outbox(engine)) == 5
    with engine.connect() as conn:
        links = conn.execute(select(func.count()).select_from(s.notify_campaign_messages)).scalar_one()
        events = s.order_events.c
        query = select(events.order_no, events.kind, events.actor).where(
            events.kind.in_(("campaign_queued", "notification_skipped"))
        )
        kinds = [tuple(r) for r in conn.execute(query)]
    assert links == 5
    assert sorted(kinds) == [
        ("S2", "campaign_queued", "alice"), ("S3", "campaign_queued", "alice"),
        ("S4", "campaign_queued", "alice"), ("S6", "notification_skipped", "alice"),
        ("S7", "notification_skipped", "alice"),
    ]  # fmt: skip
    # the same name with other settings is refused, nothing written
    with pytest.raises(CampaignError, match="exists"):
        queue_campaign(engine, campaign(shop_id, "big_spenders", "default", "sms", name=wanted.name), NOW)
    with pytest.raises(LookupError, match="no segment"):
        queue_campaign(engine, campaign(shop_id, "nope", "default", "sms"), NOW)
    with pytest.raises(CampaignError, match="no template"):
        queue_campaign(engine, campaign(shop_id, "big_spenders", "missing", "sms"), NOW)
    with pytest.raises(CampaignError, match="coupon"):
        campaign(shop_id, "big_spenders", "default", "sms", coupon="SAVE 20")
    with pytest.raises(CampaignError, match="channel"):
        campaign(shop_id, "big_spenders", "default", "fax")
    assert len(_outbox(engine)) == 5
    with engine.begin() as conn, pytest.raises(NotifyInputError, match="segment NAME --send"):
        add_rule(conn, shop_id, "每次群发", "campaign", "", "default", "sms", "zh-CN", 0, NOW)


def test_email_campaign_goes_through_a_real_smtp_server(engine: Engine, tmp_path: Path) -> None:
    shop_id = _load(engine, tmp_path)
    with engine.begin() as conn:
        text = "{{ buyer.first_name }}，{{ buyer.tier }}专享优惠码 {{ coupon }}（累计 {{ buyer.orders }} 单）"
        save_template(conn, shop_id, "thanks", "zh-CN", "email_text", text, NOW)
    with smtp_server() as (box, port):
        configure_shop(engine, shop_id, NOW, smtp_port=port)
        wanted = campaign(shop_id, "big_spenders", "thanks", "email", coupon="SAVE20", name="双11回馈")
        done = queue_campaign(engine, wanted, NOW, "alice")
        # ann and eve have addresses; bo and gus opted out of e-mail; carl has no address
        assert (done.members, done.queued, done.opted_out, done.no_contact) == (5, 2, 2, 1)
        report = send_due(engine, NOW)
        assert (report.sent, report.failed) == (2, 0)
        got = {str(m["To"]): m.get_body(("plain",)).get_content().strip() for m in box.messages}  # type: ignore[union-attr]
        assert queue_campaign(engine, wanted, NOW, "alice").queued == 0
        assert send_due(engine, NOW).sent == 0
    # ann: 2 orders, ¥1200 → tier 回头客; eve: 1 order, ¥1100 → 新客 (buyers/rules.toml)
    assert got == {
        "ann@example.com": "安娜，回头客专享优惠码 SAVE20（累计 2 单）",
        "eve@example.com": "伊芙，新客专享优惠码 SAVE20（累计 1 单）",
    }
    sent = [r for r in _outbox(engine) if r.state == "sent"]
    assert sorted(r.recipient for r in sent) == ["ann@example.com", "eve@example.com"]


def test_cli_send_dry_run_and_the_notification_log(cli_env: Path, tmp_path: Path) -> None:
    assert runner.invoke(cli_app, ["import", "orders", str(_csv(tmp_path))]).exit_code == 0
    assert runner.invoke(cli_app, ["notify", "optout", "bo@example.com", "--channel", "email"]).exit_code == 0
    assert runner.invoke(cli_app, ["notify", "optout", "gus@example.com"]).exit_code == 0
    base = ["buyers", "segment", "big_spenders", "--send", "default", "--channel", "sms", "--shop", "小店"]
    dry = runner.invoke(cli_app, [*base, "--coupon", "SAVE20", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert {k: json.loads(dry.stdout)[k] for k in ("members", "queued", "opted_out", "no_contact")} == {
        "members": 5, "queued": 3, "opted_out": 1, "no_contact": 1
    }  # fmt: skip
    done = runner.invoke(cli_app, [*base, "--coupon", "SAVE20"])
    assert done.exit_code == 0 and "3" in done.output and "notify log" in done.output
    log = json.loads(runner.invoke(cli_app, ["notify", "log", "--json"]).stdout)
    assert sorted((r["order_no"], r["state"], r["recipient"]) for r in log if r["stage"] == "campaign") == [
        ("S2", "pending", "139****0001"),
        ("S3", "pending", "139****0002"),
        ("S4", "pending", "139****0003"),
        ("S6", "skipped", ""),
        ("S7", "opted_out", "139****0007"),
    ]  # fmt: skip  (masked in the log)
    again = runner.invoke(cli_app, [*base, "--coupon", "SAVE20", "--json"])
    assert json.loads(again.stdout)["already"] == 5 and json.loads(again.stdout)["queued"] == 0
    refused = runner.invoke(cli_app, ["buyers", "segment", "big_spenders", "--send", "default"])
    assert refused.exit_code == 2 and "--shop" in refused.output  # two shops: which one sends?
    assert runner.invoke(cli_app, ["buyers", "segment", "big_spenders", "--coupon", "X"]).exit_code == 2
    bad = runner.invoke(cli_app, [*base, "--channel", "fax"])
    assert bad.exit_code == 2 and "fax" in bad.output
