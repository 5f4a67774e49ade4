"""`lanshou metrics`, `lanshou metrics misses`, `lanshou queue` on the hand-made case of
tests/test_reports_misses_queue.py, imported through the CLI into a private SQLite database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from lanshou.cli.app import app
from lanshou.cli.common import console
from tests.test_reports_misses_queue import NOW_LOCAL, PHONE, SHOP, write_case

runner = CliRunner()
AS_OF = ["--as-of", "2026-11-10"]
BLOCKS = {
    "pay_to_pickup": {"on_time", "late", "undecided", "rate"},
    "delivery_hours": {"count", "mean", "median", "p90"},
    "tracking_freshness": {"fresh", "parcels", "rate"},
    "shipping_negative_feedback": {"negative_orders", "paid_orders", "rate"},
    "late_shipment": {"on_time", "late", "undecided", "rate"},
}


@pytest.fixture
def imported(cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(console, "_width", 200)  # wide tables: cells are not cut to fit 80 columns
    orders, tracking = write_case(tmp_path)
    for kind, path in (("orders", orders), ("tracking", tracking)):
        result = runner.invoke(app, ["import", kind, str(path)])
        assert result.exit_code == 0, result.output
    return tmp_path


def run(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def run_json(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # stdout holds the JSON object only


def test_json_is_the_contract_with_hand_computed_numbers(imported: Path) -> None:
    report = run_json("metrics", *AS_OF)
    assert {"as_of", "window_days", "timezone", "shops", "all"} <= set(report)
    assert (report["as_of"], report["window_days"], report["timezone"]) == ("2026-11-10", 30, "Asia/Shanghai")
    (shop,) = report["shops"]
    assert (shop["platform"], shop["shop"]) == ("douyin", SHOP)
    for entry in (shop, report["all"]):
        for block, keys in BLOCKS.items():
            assert set(entry[block]) == keys, block
            value = entry[block].get("rate")
            assert value is None or 0 <= value <= 1
        assert entry["experience_score"]["estimate"] is True and "parts" in entry["experience_score"]
    # see tests/test_reports_misses_queue.py for the case
    assert shop["pay_to_pickup"] == {"on_time": 2, "late": 3, "undecided": 1, "rate": 0.4}
    assert shop["late_shipment"] == {"on_time": 3, "late": 1, "undecided": 0, "rate": 0.75}
    delivery = shop["delivery_hours"]  # 36 h (A1) and 23 h (A3)
    assert delivery["count"] == 2 and delivery["mean"] == pytest.approx(29.5)
    assert delivery["median"] == pytest.approx(29.5) and delivery["p90"] == pytest.approx(34.7)
    assert shop["tracking_freshness"] == {"fresh": 2, "parcels": 3, "rate": pytest.approx(2 / 3)}
    assert shop["shipping_negative_feedback"] == {"negative_orders": 0, "paid_orders": 6, "rate": 0.0}
    assert report["all"]["pay_to_pickup"] == shop["pay_to_pickup"]


def test_json_raw_source_agrees(imported: Path) -> None:
    rollups, raw = run_json("metrics", *AS_OF), run_json("metrics", *AS_OF, "--source", "raw")
    assert raw["source"] == "raw"
    assert raw["shops"][0]["pay_to_pickup"] == rollups["shops"][0]["pay_to_pickup"]


def test_table_shows_estimate_and_change(imported: Path) -> None:
    out = run("metrics", *AS_OF).stdout
    assert "估算 estimate" in out and "物流体验分" in out and "24小时揽收及时率" in out
    # M1: 100% in the previous window (B1 on time), 40% now
    assert "▼ 60.0 pts" in out
    assert "40.0%" in out and "100.0%" in out
    assert "快递公司 carrier scorecard" in out and "zto" in out


def test_xlsx_has_the_sheets_and_misses(imported: Path) -> None:
    path = imported / "report.xlsx"
    run("metrics", *AS_OF, "--xlsx", str(path))
    book = load_workbook(path)
    assert {"summary", "pay_to_pickup", "delivery_hours", "misses"} <= set(book.sheetnames)
    summary = list(book["summary"].values)
    assert [row[1] for row in summary[1:]] == [SHOP, "all"]
    misses = list(book["misses"].values)
    header = misses[0]
    rows = [dict(zip(header, row, strict=True)) for row in misses[1:]]
    a2 = [r for r in rows if r["order_no"] == "A2" and r["metric"] == "pay_to_pickup"]
    assert a2 and a2[0]["reason"] == "shipped_no_scan"


def test_misses_lists_shipped_no_scan(imported: Path) -> None:
    out = run("metrics", "misses", *AS_OF).stdout
    assert "A2" in out and "shipped_no_scan" in out and PHONE not in out
    assert "would raise the rate by 20.0 points" in out
    data = run_json("metrics", "misses", *AS_OF, "--by", "carrier", "--metric", "pay_to_pickup")
    assert data["decided"] == 5 and data["total"] == 3
    a2 = next(m for m in data["misses"] if m["order_no"] == "A2")
    assert (a2["reason"], a2["carrier"], a2["skus"]) == ("shipped_no_scan", "zto", ["SKU-2"])
    assert {g["key"]: g["count"] for g in data["groups"]} == {"zto": 1, "yto": 1, "": 1}
    everything = run_json("metrics", "misses", *AS_OF, "--metric", "all", "--limit", "2")
    assert everything["total"] == 5 and len(everything["misses"]) == 2


def test_queue_orders_by_urgency_and_flags(imported: Path) -> None:
    data = run_json("queue", "--now", NOW_LOCAL, "--within", "6")
    orders = data["orders"]
    assert [o["order_no"] for o in orders] == ["A2", "A5", "A4"]
    assert [o["flag"] for o in orders] == ["overdue", "at_risk", "ok"]
    assert [o["hours_left"] for o in orders] == [-156, 1, 22]
    assert orders[1]["pickup_deadline"] == "2026-11-09T23:00+08:00"
    assert (data["count"], data["overdue"], data["at_risk"]) == (3, 1, 1)
    assert data["stalled"]["count"] == 1 and data["stalled"]["parcels"][0]["tracking_no"] == "T4"
    wide = run_json("queue", "--now", NOW_LOCAL, "--within", "24")
    assert [o["flag"] for o in wide["orders"]] == ["overdue", "at_risk", "at_risk"]
    out = run("queue", "--now", NOW_LOCAL).stdout
    assert "已超时 overdue" in out and "即将超时 at-risk" in out and "轨迹停滞 stalled parcels: 1" in out
    assert out.index("A2") < out.index("A5") < out.index("A4") and PHONE not in out


@pytest.mark.parametrize(
    "args",
    [
        ["metrics", "--as-of", "2026-11-10", "--shop", "no such shop"],
        ["metrics", "misses", "--as-of", "2026-11-10", "--shop", "no such shop"],
        ["queue", "--shop", "no such shop"],
        ["metrics", "--as-of", "2026-13-45"],
        ["metrics", "--as-of", "2026-11-10", "--timezone", "Mars/Base"],
        ["queue", "--now", "tomorrow"],
    ],
)
def test_bad_input_exits_2(imported: Path, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""


def test_shop_filter(imported: Path) -> None:
    report = run_json("metrics", *AS_OF, "--shop", f"douyin:{SHOP}")
    assert [s["shop"] for s in report["shops"]] == [SHOP]


def test_workbook_cells_cannot_run_formulas(tmp_path: Path) -> None:
    from lanshou.metrics.workbook import Sheet, write_workbook

    path = tmp_path / "w.xlsx"
    write_workbook(path, [Sheet("s", ("=head",), [["=1+1", "\x01@x", 3, None, True]])])
    rows = list(load_workbook(path)["s"].values)
    assert rows == [("'=head", None, None, None, None), ("'=1+1", "'@x", 3, None, "1")]
