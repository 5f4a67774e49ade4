"""`lanshou import aftersales` and `lanshou aftersales list|show|agree|refuse|return|receive|reship` on a
private SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lanshou.aftersales.states import CaseStatus, CaseType, route
from lanshou.cli.app import app
from lanshou.cli.common import console, err_console
from tests.aftersales_data import CASES, TRACKING, orders_file, write_cases

runner = CliRunner()


@pytest.fixture
def imported(cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(console, "_width", 200)
    assert runner.invoke(app, ["import", "orders", str(orders_file(tmp_path / "o.csv"))]).exit_code == 0
    (tmp_path / "t.csv").write_text(TRACKING, encoding="utf-8")
    assert runner.invoke(app, ["import", "tracking", str(tmp_path / "t.csv")]).exit_code == 0
    result = runner.invoke(app, ["import", "aftersales", str(write_cases(tmp_path / "c.csv", CASES))])
    assert result.exit_code == 1, result.output  # rows were rejected
    assert "c.rejected.csv" in result.output
    return tmp_path


def test_list_show_and_steps(imported: Path) -> None:
    listed = json.loads(runner.invoke(app, ["aftersales", "list", "--json", "--status", "requested"]).stdout)
    assert [c["case_no"] for c in listed] == ["C9", "C7", "C6", "C1", "C3"]
    table = runner.invoke(app, ["aftersales", "list", "--shop", "旗舰店"])
    assert table.exit_code == 0 and "return_refund" in table.output

    refused = runner.invoke(app, ["aftersales", "refuse", "C1", "--reason", "", "--by", "alice"])
    assert refused.exit_code == 2 and "needs a reason" in refused.output
    wrong = runner.invoke(app, ["aftersales", "receive", "C1", "--restock"])
    assert wrong.exit_code == 2 and "cannot 'receive'" in wrong.output
    both = runner.invoke(app, ["aftersales", "receive", "C1", "--restock", "--write-off"])
    assert both.exit_code == 2
    unknown = runner.invoke(app, ["aftersales", "show", "NOPE"])
    assert unknown.exit_code == 2 and "no after-sales case 'NOPE'" in unknown.output

    agreed = runner.invoke(app, ["aftersales", "agree", "C6", "--by", "alice", "--json"])
    assert agreed.exit_code == 0, agreed.output
    assert json.loads(agreed.stdout)["outbound_order_no"] == "T3-RC6"
    shown = runner.invoke(app, ["aftersales", "show", "C6"])
    assert shown.exit_code == 0 and "T3-RC6" in shown.output and "alice" in shown.output
    orders = runner.invoke(app, ["orders", "list", "--order", "T3-RC6"])
    assert "T3-RC6" in orders.output and "paid" in orders.output


def test_route_takes_the_fewest_allowed_steps() -> None:
    assert route(CaseStatus.REQUESTED, CaseStatus.REFUNDED, CaseType.RETURN_REFUND) == ["refund"]
    assert route("waiting_return", "refunded", CaseType.RETURN_REFUND) == [
        "buyer_return",
        "receive",
        "refund",
    ]
    assert route("requested", "completed", CaseType.RETURN_REFUND) is None  # no money-less end for a refund
    assert route("refunded", "requested") is None
    assert route("agreed", "agreed") == []


def test_reship_marks_the_goods_sent_or_says_why_not_in_one_line(
    imported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(err_console, "_width", 200)  # a terminal's width, not the runner's 80 columns
    early = runner.invoke(app, ["aftersales", "reship", "C6", "--by", "alice"])
    assert early.exit_code == 2 and isinstance(early.exception, SystemExit)
    assert "cannot 'reship' a case that is 'requested'" in early.output
    assert "Traceback" not in early.output and len(early.output.strip().splitlines()) == 1
    other = runner.invoke(app, ["aftersales", "reship", "C6", "--shop", "抖音小店"])  # not that shop's case
    assert other.exit_code == 2 and "no after-sales case 'C6'" in other.output
    unknown = runner.invoke(app, ["aftersales", "reship", "C6", "--shop", "nowhere"])
    assert unknown.exit_code == 2 and "Traceback" not in unknown.output
    exchange = runner.invoke(app, ["aftersales", "reship", "C7"])  # nothing to send before the inspection
    assert exchange.exit_code == 2 and "inspect the returned goods first" in exchange.output
    shown = json.loads(runner.invoke(app, ["aftersales", "show", "C6", "--json"]).stdout)
    assert (shown["status"], shown["history"][-1]["action"]) == ("requested", "open")  # nothing changed

    assert runner.invoke(app, ["aftersales", "agree", "C6", "--by", "alice"]).exit_code == 0
    sent = runner.invoke(app, ["aftersales", "reship", "C6", "--by", "bob", "--reason", "顺丰已发"])
    assert sent.exit_code == 0, sent.output
    assert sent.output.strip() == "售后单 C6: 已发出 (reshipped) by bob · 换货/补发订单 T3-RC6"
    shown = json.loads(runner.invoke(app, ["aftersales", "show", "C6", "--json"]).stdout)
    step = shown["history"][-1]
    assert (shown["status"], step["actor"], step["action"], step["detail"]) == (
        "reshipped",
        "bob",
        "reship",
        "顺丰已发",
    )
    again = runner.invoke(app, ["aftersales", "reship", "C6", "--json"])
    assert again.exit_code == 2 and again.stdout == "" and "'reshipped'" in again.output


def one_line_refusal(args: list[str], expected: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert expected in result.output, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_return_records_the_buyers_parcel_told_by_phone_or_says_why_not(
    imported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`aftersales return`: the case page's and POST …/return's step (待买家退货 → 买家已退货), the
    carrier read as its code; a refusal is one line, exit 2, and changes nothing."""
    monkeypatch.setattr(err_console, "_width", 200)
    parcel = ["--carrier", "中通", "--tracking-no", "RT778"]
    one_line_refusal(
        ["aftersales", "return", "C1", *parcel], "cannot 'buyer_return' a case that is 'requested'"
    )
    assert runner.invoke(app, ["aftersales", "agree", "C1", "--by", "alice"]).exit_code == 0
    before = json.loads(runner.invoke(app, ["aftersales", "show", "C1", "--json"]).stdout)
    assert before["status"] == "waiting_return"
    one_line_refusal(
        ["aftersales", "return", "C1", "--carrier", "nobody", "--tracking-no", "RT778"], "nobody"
    )
    one_line_refusal(
        ["aftersales", "return", "C1", "--carrier", "", "--tracking-no", "RT778"], "unknown carrier"
    )
    one_line_refusal(["aftersales", "return", "C1", "--carrier", "zto", "--tracking-no", "RT 1"], "no spaces")
    one_line_refusal(["aftersales", "return", "C1", "--carrier", "zto", "--tracking-no", "R" * 65], "1-64")
    one_line_refusal(
        ["aftersales", "return", "C1", *parcel, "--shop", "抖音小店"], "no after-sales case 'C1'"
    )
    one_line_refusal(["aftersales", "return", "C1", *parcel, "--shop", "nowhere"], "nowhere")
    one_line_refusal(["aftersales", "return", "NOPE", *parcel], "no after-sales case 'NOPE'")
    missing = runner.invoke(app, ["aftersales", "return", "C1", "--carrier", "zto"])
    assert missing.exit_code == 2 and "--tracking-no" in missing.output  # Typer's own usage error
    assert json.loads(runner.invoke(app, ["aftersales", "show", "C1", "--json"]).stdout) == before

    done = runner.invoke(app, ["aftersales", "return", "C1", *parcel, "--by", "wang", "--reason", "买家来电"])
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "售后单 C1: 买家已退货 (returned) by wang · 退货运单 zto RT778"
    shown = json.loads(runner.invoke(app, ["aftersales", "show", "C1", "--json"]).stdout)
    assert (shown["status"], shown["return_carrier"], shown["return_tracking_no"]) == (
        "returned",
        "zto",
        "RT778",
    )
    step = shown["history"][-1]
    assert (step["actor"], step["action"], step["from_status"]) == ("wang", "buyer_return", "waiting_return")
    assert step["detail"] == "退货运单 return parcel zto RT778: 买家来电"
    again = runner.invoke(app, ["aftersales", "return", "C1", *parcel, "--json"])
    assert again.exit_code == 2 and again.stdout == "" and "'returned'" in again.output


def test_return_json_is_the_case_as_show_gives_it(imported: Path) -> None:
    assert runner.invoke(app, ["aftersales", "agree", "C7", "--by", "alice"]).exit_code == 0
    args = ["aftersales", "return", "C7", "--carrier", "ZTO", "--tracking-no", "RT779", "--shop", "旗舰店"]
    result = runner.invoke(app, [*args, "--by", "carol", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # nothing but the JSON
    assert (data["status"], data["return_carrier"], data["return_tracking_no"]) == (
        "returned",
        "zto",
        "RT779",
    )
    shown = json.loads(runner.invoke(app, ["aftersales", "show", "C7", "--json"]).stdout)
    assert data == {key: shown[key] for key in data}
    assert shown["history"][-1]["actor"] == "carol"
