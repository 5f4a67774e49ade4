"""`lanshou import aftersales` and `lanshou aftersales list|show|agree|refuse|receive` on a private SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lanshou.aftersales.states import CaseStatus, CaseType, route
from lanshou.cli.app import app
from lanshou.cli.common import console
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
