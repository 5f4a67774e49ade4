"""`lanshou stock import|adjust|list|map` as a user runs them (a private SQLite database per test)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lanshou.cli.app import app

runner = CliRunner()


def test_import_list_adjust_and_refusals(cli_env: Path, tmp_path: Path) -> None:
    good = tmp_path / "count.csv"
    good.write_text("sku,warehouse,on_hand,safety_stock\nA,main,10,2\nB,main,1,5\n", encoding="utf-8")
    assert runner.invoke(app, ["stock", "import", str(good)]).exit_code == 0
    assert runner.invoke(app, ["stock", "adjust", "A", "--", "-4"]).exit_code == 0
    listed = runner.invoke(app, ["stock", "list", "--json"])
    assert json.loads(listed.stdout) == [
        {"sku": "A", "warehouse": "main", "on_hand": 6, "reserved": 0, "available": 6, "safety_stock": 2},
        {"sku": "B", "warehouse": "main", "on_hand": 1, "reserved": 0, "available": 1, "safety_stock": 5},
    ]
    low = json.loads(runner.invoke(app, ["stock", "list", "--low", "--json"]).stdout)
    assert [row["sku"] for row in low] == ["B"]

    bad = tmp_path / "bad.csv"
    bad.write_text("sku,warehouse,on_hand\nA,main,abc\nB,main,-1\n", encoding="utf-8")
    refused = runner.invoke(app, ["stock", "import", str(bad)])
    assert refused.exit_code == 2
    assert "line 2" in refused.stderr and "line 3" in refused.stderr and "negative" in refused.stderr
    too_much = runner.invoke(app, ["stock", "adjust", "B", "--", "-5"])
    assert too_much.exit_code == 2 and "cannot take 5" in too_much.stderr
    unknown = runner.invoke(app, ["stock", "adjust", "A", "1", "--warehouse", "east"])
    assert unknown.exit_code == 2 and unknown.stderr.count("\n") == 1
    assert "unknown warehouse 仓库不存在: 'east'; known 现有仓库: main" in unknown.stderr
    missing = runner.invoke(app, ["stock", "import", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2
    no_column = tmp_path / "cols.csv"
    no_column.write_text("sku,qty\nA,1\n", encoding="utf-8")
    refused_whole = runner.invoke(app, ["stock", "import", str(no_column)])
    assert refused_whole.exit_code == 2 and "warehouse" in refused_whole.stderr
    unchanged = json.loads(runner.invoke(app, ["stock", "list", "--json"]).stdout)
    assert [row["on_hand"] for row in unchanged] == [6, 1]
    assert runner.invoke(app, ["stock", "map", "BOX", "A*2", "B"]).exit_code == 0
    assert runner.invoke(app, ["stock", "map", "BOX", "A*x"]).exit_code == 2


def test_listable_per_shop_keeps_its_buffer(cli_env: Path, tmp_path: Path) -> None:
    from lanshou.cli.common import database
    from tests.inventory_data import make_shop

    engine = database()
    with engine.begin() as conn:
        make_shop(conn, "店A", settings='{"stock_buffer": 3}')
    engine.dispose()
    count = tmp_path / "count.csv"
    count.write_text("sku,warehouse,on_hand\nA,main,10\nA,east,2\nB,main,2\n", encoding="utf-8")
    assert runner.invoke(app, ["stock", "import", str(count)]).exit_code == 0
    shown = runner.invoke(app, ["stock", "listable", "--shop", "店A", "--json"])
    assert json.loads(shown.stdout) == [{"sku": "A", "listable": 9}, {"sku": "B", "listable": 0}]
    assert runner.invoke(app, ["stock", "listable", "--shop", "nope"]).exit_code == 2
