"""`lanshou notify …` against a private SQLite database: settings, templates (refused unless they render),
rules (refused unless the condition compiles), opt-out, send-due through a REAL local SMTP server, and the
delivery log with recipients masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lanshou.cli.app import app
from lanshou.cli.common import console
from lanshou.notifications import subscriptions
from tests.notify_data import order_line, smtp_server
from tests.tracking_data import ORDERS_HEADER, TRACK_HEADER

runner = CliRunner()


@pytest.fixture
def shop(cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(console, "_width", 200)
    monkeypatch.setattr(subscriptions, "enqueue_send", lambda: None)
    orders = tmp_path / "orders.csv"
    rows = [order_line("N1", "ZTN1", "amy@example.com"), order_line("N2", "ZTN2", "bob", phone="13812345678")]
    orders.write_text("\n".join([ORDERS_HEADER, *rows]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "orders", str(orders)])
    assert result.exit_code == 0, result.output
    return tmp_path


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    return result.output


def test_templates_rules_optout_send_and_log(shop: Path) -> None:
    assert "refused" in refused(
        "notify",
        "templates",
        "add",
        "bad",
        "--shop",
        "小店",
        "--format",
        "email_subject",
        "--text",
        "{{ order.paid_at.nope() }}",
    )
    assert json.loads(ok("notify", "templates", "list", "--json")) == []  # nothing half-stored
    ok(
        "notify",
        "templates",
        "add",
        "warm",
        "--shop",
        "小店",
        "--format",
        "email_subject",
        "--text",
        "{{ buyer.first_name }}，您的包裹 {{ tracking_no }} 已揽收",
    )
    preview = json.loads(
        ok("notify", "templates", "test", "warm", "--shop", "小店", "--stage", "picked_up", "--json")
    )
    assert preview["email"]["subject"] == "小明，您的包裹 SF1234567890123 已揽收"
    assert "条件无效" in refused(
        "notify",
        "rules",
        "add",
        "r0",
        "--shop",
        "小店",
        "--stage",
        "picked_up",
        "--channel",
        "email",
        "--when",
        "amout > 1.0",
    )
    assert "unknown stage" in refused(
        "notify", "rules", "add", "r0", "--shop", "小店", "--stage", "lunch", "--channel", "email"
    )
    ok(
        "notify",
        "rules",
        "add",
        "mail",
        "--shop",
        "小店",
        "--stage",
        "picked_up",
        "--channel",
        "email",
        "--template",
        "warm",
        "--when",
        "amount > 1.0",
    )
    ok("notify", "rules", "add", "text", "--shop", "小店", "--stage", "picked_up", "--channel", "sms")
    rules = json.loads(ok("notify", "rules", "list", "--json"))
    assert [r["name"] for r in rules] == ["mail", "text"]
    ok("notify", "rules", "disable", "text", "--shop", "小店")
    assert [r["enabled"] for r in json.loads(ok("notify", "rules", "list", "--json"))] == [True, False]
    assert "no rule" in refused("notify", "rules", "enable", "nope", "--shop", "小店")
    ok("notify", "rules", "enable", "text", "--shop", "小店")
    ok("notify", "optout", "amy@example.com", "--channel", "sms")
    assert "rate limit" in refused("notify", "settings", "--shop", "小店", "--rate", "often")
    assert "segment" in refused("notify", "settings", "--shop", "小店", "--segment", "vip=buyer.ordrs > 3")
    segments = json.loads(
        ok("notify", "settings", "--shop", "小店", "--segment", "vip=buyer.orders >= 3", "--json")
    )
    assert segments["segments"] == {"vip": "buyer.orders >= 3"}
    with smtp_server() as (box, port):
        settings = json.loads(
            ok(
                "notify",
                "settings",
                "--shop",
                "小店",
                "--set",
                "email.host=127.0.0.1",
                "--set",
                f"email.port={port}",
                "--set",
                "email.sender=shop@example.com",
                "--set",
                "email.security=none",
                "--set",
                "email.password=",
                "--json",
            )
        )
        assert settings["channels"]["email"]["port"] == port
        track = shop / "track.csv"
        lines = [
            "zto,ZTN1,2026-11-02 10:00:00,picked_up,深圳,已揽收",
            "zto,ZTN2,2026-11-02 10:00:00,picked_up,深圳,已揽收",
        ]
        track.write_text("\n".join([TRACK_HEADER, *lines]) + "\n", encoding="utf-8")
        ok("import", "tracking", str(track))
        report = json.loads(ok("notify", "send-due", "--json"))
    assert report["sent"] == 1  # amy's e-mail; her SMS is opted out, bob has no e-mail and no SMS provider
    assert [str(m["Subject"]) for m in box.messages] == ["小明，您的包裹 ZTN1 已揽收"]
    log = json.loads(ok("notify", "log", "--json"))
    states = {(r["order_no"], r["channel"]): (r["state"], r["recipient"]) for r in log}
    assert states[("N1", "email")] == ("sent", "a***@example.com")
    assert states[("N1", "sms")] == ("opted_out", "139****1111")
    assert states[("N2", "sms")][0] == "failed" and states[("N2", "sms")][1] == "138****5678"
    assert states[("N2", "email")] == ("skipped", "")
    from lanshou.cli.common import database
    from lanshou.orders.timeline import read

    with database().connect() as conn:
        kinds = sorted(e.kind for e in read(conn, 1, "N2") if e.kind.startswith("notification"))
    assert kinds == ["notification_failed", "notification_skipped"]  # no SMS provider; no e-mail address
    assert "13812345678" not in ok("notify", "log") and "13812345678" in ok("notify", "log", "--unmask")
    assert "unknown state" in refused("notify", "log", "--state", "lost")
