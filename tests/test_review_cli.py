"""`lanshou rules …`, `lanshou review run`, `lanshou orders accept|hold|cancel` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lanshou.cli.app import app
from lanshou.cli.common import database
from tests.inventory_data import add_order, make_shop, put_stock

runner = CliRunner()


def setup_orders() -> None:
    engine = database()
    put_stock(engine, [("A", "main", 5)])
    with engine.begin() as conn:
        shop = make_shop(conn)
        add_order(conn, shop, "1001", [("A", 1)], order_amount=8000)
        add_order(conn, shop, "1002", [("A", 2)])
        add_order(conn, shop, "1003", [("A", 1)], buyer_message="周末别送")
    engine.dispose()


def test_rules_are_refused_with_position_saved_listed_and_tested(cli_env: Path) -> None:
    setup_orders()
    bad = runner.invoke(app, ["rules", "add", "big", "amount >\n  2000", "hold:大额"])
    assert bad.exit_code == 2
    assert "line 1, column 8" in bad.stderr and "2000.0" in bad.stderr  # int vs double, with the hint
    wrong_scope = runner.invoke(app, ["rules", "add", "x", "amount > 1.0", "carrier:sf"])
    assert wrong_scope.exit_code == 2 and "review" in wrong_scope.stderr
    no_reason = runner.invoke(app, ["rules", "add", "x", "amount > 1.0", "hold:"])
    assert no_reason.exit_code == 2 and "hold needs an argument" in no_reason.stderr
    huge = runner.invoke(app, ["rules", "add", "x", "amount > 1.0 || " * 200 + "true", "accept"])
    assert huge.exit_code == 2 and "too long" in huge.stderr
    assert runner.invoke(app, ["review", "run", "--shop", "nope"]).exit_code == 2
    assert json.loads(runner.invoke(app, ["rules", "list", "--json"]).stdout) == []  # nothing half-saved
    ok = runner.invoke(app, ["rules", "add", "big", "amount > 2000.0", "hold:大额订单"])
    assert ok.exit_code == 0, ok.stderr
    assert runner.invoke(app, ["rules", "add", "big", "amount > 1.0", "accept"]).exit_code == 2  # exists
    listed = json.loads(runner.invoke(app, ["rules", "list", "--json"]).stdout)
    assert listed == [
        {
            "name": "big",
            "scope": "review",
            "condition": "amount > 2000.0",
            "action": "hold:大额订单",
            "position": 10,
            "enabled": True,
            "shop": "*",
        }
    ]
    hit = runner.invoke(app, ["rules", "test", "big", "--order", "1001"])
    assert hit.exit_code == 0 and "命中 matched" in hit.stdout and "大额订单" in hit.stdout
    miss = runner.invoke(app, ["rules", "test", "big", "--order", "1002"])
    assert "未命中 not matched" in miss.stdout
    inline = runner.invoke(app, ["rules", "test", "skus.exists(s, s == 'A')", "--order", "1002"])
    assert "命中 matched" in inline.stdout
    assert runner.invoke(app, ["rules", "test", "big", "--order", "nope"]).exit_code == 2
    assert runner.invoke(app, ["rules", "remove", "big"]).exit_code == 0
    assert runner.invoke(app, ["rules", "remove", "big"]).exit_code == 2


def test_rule_names_are_per_shop_and_the_shop_is_asked_for_when_two_share_one(cli_env: Path) -> None:
    """Two shops may each have a rule named 大额; an every-shop rule shares a name with none. Removing or
    switching a name two shops use needs --shop; `rules test` uses the order's shop's rule."""
    setup_orders()  # 1001 (8,000) and 1002 in 旗舰店
    engine = database()
    with engine.begin() as conn:
        make_shop(conn, "小店", "taobao")
    engine.dispose()
    add = ["rules", "add", "大额"]
    assert runner.invoke(app, [*add, "amount > 9000.0", "hold:很大", "--shop", "小店"]).exit_code == 0
    mine = runner.invoke(app, [*add, "amount > 5000.0", "hold:大额订单", "--shop", "旗舰店"])
    assert mine.exit_code == 0, mine.stderr
    every = runner.invoke(app, [*add, "true", "accept"])
    assert every.exit_code == 2 and "exists" in every.stderr  # every shop would hold two rules named 大额
    hit = runner.invoke(app, ["rules", "test", "大额", "--order", "1001"])
    assert "命中 matched" in hit.stdout and "大额订单" in hit.stdout  # 旗舰店's rule, not 小店's (9,000)
    ambiguous = runner.invoke(app, ["rules", "disable", "大额"])
    assert ambiguous.exit_code == 2 and "--shop" in ambiguous.stderr
    assert runner.invoke(app, ["rules", "disable", "大额", "--shop", "小店"]).exit_code == 0
    assert runner.invoke(app, ["rules", "remove", "大额", "--shop", "旗舰店"]).exit_code == 0
    left = json.loads(runner.invoke(app, ["rules", "list", "--json"]).stdout)
    assert [(r["name"], r["shop"], r["enabled"]) for r in left] == [("大额", "taobao:小店", False)]
    assert runner.invoke(app, ["rules", "remove", "大额"]).exit_code == 0  # one left: no --shop needed


def test_review_run_json_and_staff_actions(cli_env: Path) -> None:
    setup_orders()
    run = runner.invoke(app, ["review", "run", "--json"])
    assert run.exit_code == 0, run.stderr
    report = json.loads(run.stdout)
    assert (report["reviewed"], report["accepted"], report["held"]) == (3, 1, 2)
    states = {o["order_id"]: o["state"] for o in report["orders"]}
    assert states == {"1001": "held", "1002": "accepted", "1003": "held"}

    unknown = runner.invoke(app, ["orders", "accept", "1001", "9999"])
    assert unknown.exit_code == 2 and "9999" in unknown.stderr
    accepted = runner.invoke(app, ["orders", "accept", "1001", "1003", "--reason", "checked", "--json"])
    assert accepted.exit_code == 0, accepted.stderr
    assert [o["done"] for o in json.loads(accepted.stdout)] == [True, True]
    assert runner.invoke(app, ["orders", "hold", "1002", "--reason", "客户要求"]).exit_code == 0
    assert runner.invoke(app, ["orders", "cancel", "1003"]).exit_code == 0
    stock = json.loads(runner.invoke(app, ["stock", "list", "--json"]).stdout)
    assert stock[0]["reserved"] == 1  # only 1001 still holds stock
    listed = json.loads(runner.invoke(app, ["review", "list", "--json"]).stdout)
    assert {r["order_id"]: r["state"] for r in listed} == {
        "1001": "accepted",
        "1002": "held",
        "1003": "cancelled",
    }
    # stock short on accept: reported, exit 1, the order stays as it was
    short = runner.invoke(app, ["orders", "accept", "1002"])
    assert short.exit_code == 0
    assert runner.invoke(app, ["orders", "hold", "1002"]).exit_code == 0
    assert runner.invoke(app, ["stock", "adjust", "A", "--", "-3"]).exit_code == 0  # on hand 2, 1 reserved
    again = runner.invoke(app, ["orders", "accept", "1002"])
    assert again.exit_code == 1 and "stock short" in again.stdout
