"""Spreadsheet exports: formula-injection safe, ids as text, masked by default; `lanshou orders list`."""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from lanshou.cli import common
from lanshou.cli.app import app
from lanshou.files.export import safe_cell, write_csv, write_xlsx

runner = CliRunner()

DANGEROUS = ['=HYPERLINK("http://evil","x")', "+cmd", "-1+1", "@SUM(A1)", "＝1+1", "\tx"]


def read_csv(path: Path) -> list[list[str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8 Chinese
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def read_xlsx(path: Path) -> list[tuple[object, ...]]:
    book = load_workbook(path, read_only=True)
    rows = [tuple(c.value for c in row) for row in book.active.iter_rows()]
    book.close()
    return rows


def test_safe_cell_unchanged() -> None:
    assert [safe_cell(v) for v in DANGEROUS] == ["'" + v for v in DANGEROUS]
    assert safe_cell("保温杯") == "保温杯"
    assert safe_cell(12) == 12 and safe_cell(None) is None


def test_csv_writer_prefixes_formulas(tmp_path: Path) -> None:
    rows = [
        [v, "1000000000000001", 3, Decimal("1.50"), None, datetime(2026, 11, 1, 23, 30)] for v in DANGEROUS
    ]
    assert write_csv(tmp_path / "out.csv", ["标题 Title", "id", "n", "amount", "none", "at"], iter(rows)) == 6
    back = read_csv(tmp_path / "out.csv")
    assert back[0][0] == "标题 Title"
    assert [r[0] for r in back[1:]] == ["'" + v for v in DANGEROUS]
    assert back[1][1:] == ["1000000000000001", "3", "1.50", "", "2026-11-01 23:30:00"]


def test_xlsx_writer_keeps_text_as_text(tmp_path: Path) -> None:
    rows = [[v, "1000000000000001", 3, datetime(2026, 11, 1, 23, 30)] for v in [*DANGEROUS, "\x01=1+1"]]
    assert write_xlsx(tmp_path / "out.xlsx", ["标题 Title", "id", "n", "at"], iter(rows)) == 7
    back = read_xlsx(tmp_path / "out.xlsx")
    assert [r[0] for r in back[1:]] == ["'" + v for v in [*DANGEROUS, "=1+1"]]
    assert back[1][1:] == ("1000000000000001", 3, datetime(2026, 11, 1, 23, 30))  # the id is a string


# ---------------------------------------------------------------------------------------------------------
# The command, on a private SQLite database.

HEADER = (
    "platform,shop,order_id,status,created_at,paid_at,is_presale,promised_ship_by,buyer_id,buyer_name,"
    "buyer_phone,province,city,district,address,buyer_message,sku,title,category,quantity,unit_price,"
    "order_amount,carrier,tracking_no,shipped_at"
)
ROWS = [
    'tmall,旗舰店,="1000000000000001",paid,2026-11-01 23:00:00,2026-11-01 23:30:00,0,,b1,张三,13812345678,'
    '浙江省,杭州市,西湖区,文三路1号,"=HYPERLINK(""http://evil"")",SKU-1,+cmd,家居,2,59.00,118.00,zto,ZT0001,'
    "2026-11-02 10:00:00",
    "douyin,抖音小店,2000000000000002,shipped,2026-11-02 00:05:00,2026-11-02 00:10:00,0,,,李四,13900001111,"
    "广东省,深圳市,南山区,科技园2号,-1+1,SKU-9,@SUM(A1),配饰,3,5.50,16.50,,,",
]


@pytest.fixture
def cli_orders(cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(common.console, "_width", 200)  # a wide terminal: no wrapping inside cells
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "orders", str(path)])
    assert result.exit_code == 0, result.output
    return tmp_path


def orders_list(*args: str) -> str:
    result = runner.invoke(app, ["orders", "list", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_list_is_masked_by_default(cli_orders: Path) -> None:
    out = orders_list()
    assert "订单号 Order" in out and "1000000000000001" in out and "2000000000000002" in out
    assert "138****5678" in out and "张*" in out and "文三路*****" in out
    assert "13812345678" not in out and "张三" not in out and "文三路1号" not in out
    assert "2026-11-01 23:30" in out  # the shop's local time, not 15:30 UTC


def test_list_unmask_warns_and_shows_everything(cli_orders: Path) -> None:
    out = orders_list("--unmask", "--order", "1000000000000001")
    assert "personal data" in out
    assert "13812345678" in out and "张三" in out and "文三路1号" in out
    assert "2000000000000002" not in out


def test_list_filters(cli_orders: Path) -> None:
    out = orders_list("--paid-from", "2026-11-01", "--paid-to", "2026-11-01")
    assert "1000000000000001" in out and "2000000000000002" not in out
    out = orders_list("--paid-from", "2026-11-01", "--paid-to", "2026-11-01", "--timezone", "UTC")
    assert "1000000000000001" in out and "2000000000000002" in out
    out = orders_list("--buyer", "0000111")
    assert "2000000000000002" in out and "1000000000000001" not in out
    out = orders_list("--platform", "douyin", "--status", "shipped", "--status", "paid")
    assert "2000000000000002" in out and "1000000000000001" not in out
    assert "1000000000000001" in orders_list("--shop", "旗舰店")


def test_list_limit_says_there_is_more(cli_orders: Path) -> None:
    out = orders_list("--limit", "1")
    assert "2000000000000002" in out and "1000000000000001" not in out
    assert "Showing the first 1" in out


def test_list_nothing_found_is_friendly(cli_orders: Path) -> None:
    assert "No orders match" in orders_list("--shop", "nobody")


def test_list_rejects_unknown_status(cli_orders: Path) -> None:
    result = runner.invoke(app, ["orders", "list", "--status", "lost"])
    assert result.exit_code == 2


def test_exports_are_masked_and_formula_safe(cli_orders: Path) -> None:
    out = orders_list("--csv", "orders.csv", "--xlsx", "orders.xlsx")
    assert "Exported 2 orders" in out
    for rows in (read_csv(cli_orders / "orders.csv"), read_xlsx(cli_orders / "orders.xlsx")):
        header, *data = rows
        by_id = {row[0]: dict(zip(header, row, strict=True)) for row in data}
        first = by_id["1000000000000001"]  # a string in both files, all 16 digits
        assert (first["收件人 Receiver"], first["电话 Phone"], first["地址 Address"]) == (
            "张*",
            "138****5678",
            "文三路*****",
        )
        assert first["买家留言 Buyer message"] == """'=HYPERLINK("http://evil")"""
        assert first["商品 Titles"] == "'+cmd"
        second = by_id["2000000000000002"]
        assert second["买家留言 Buyer message"] == "'-1+1" and second["商品 Titles"] == "'@SUM(A1)"


def test_exports_unmask_and_limit(cli_orders: Path) -> None:
    out = orders_list("--csv", "all.csv", "--unmask", "--limit", "1")
    assert "Exported 1 orders" in out
    (row,) = read_csv(cli_orders / "all.csv")[1:]
    assert "13900001111" in row and "李四" in row and "科技园2号" in row
