"""Files as merchants bring them: the rejects file, repeated lines, encodings, long cells, workbooks,
shops' timezones, feedback for unknown shops and orders, and user errors in one line."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select

from lanshou import schema as s
from lanshou.files.tabular import FileRefused
from lanshou.intake.feedback import import_feedback
from lanshou.intake.orders import import_orders
from lanshou.intake.tracking import import_tracking
from lanshou.metrics.report import metrics_report
from lanshou.shops.service import list_shops, set_timezone

HEADER = "platform,shop,order_id,created_at,paid_at,sku,title,quantity,unit_price,carrier,tracking_no"


def row(n: int, quantity: str = "2", shop: str = "旗舰店", title: str = "保温杯") -> str:
    return (
        f"tmall,{shop},O{n},2026-11-01 10:00:00,2026-11-01 10:05:00,SKU-{n},{title},{quantity},9.90,"
        f"圆通速递,YT{n}"
    )


def write(path: Path, rows: list[str], encoding: str = "utf-8", header: str = HEADER) -> Path:
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def scalar(engine: Engine, query: object) -> object:
    with engine.connect() as conn:
        return conn.execute(query).scalar()  # type: ignore[call-overload]


def test_rejects_file_sits_beside_the_input_and_a_fixed_file_imports_as_is(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path / "orders.csv", [row(1), row(2, quantity="1e3"), row(3, quantity="Infinity")])
    first = import_orders(engine, path)
    rejects = tmp_path / "orders.rejected.csv"
    assert first.rejected_path == rejects and first.rejected_count == 2 and first.inserted == 1
    with rejects.open(encoding="utf-8-sig", newline="") as f:
        written = list(csv.reader(f))
    assert written[0] == [*HEADER.split(","), "reason"]
    assert written[1][:-1] == row(2, quantity="1e3").split(",")  # raw cells, no ' prefix
    assert written[1][-1].startswith("line 3 [quantity]: quantity must be a whole number")
    fixed = rejects.read_text(encoding="utf-8-sig").replace(",1e3,", ",3,").replace(",Infinity,", ",4,")
    rejects.write_text(fixed, encoding="utf-8")
    again = import_orders(engine, rejects)  # the reason column is ignored
    assert again.ok and again.inserted == 2
    assert not (tmp_path / "orders.rejected.rejected.csv").exists()
    clean = import_orders(engine, write(path, [row(1), row(2, quantity="3"), row(3, quantity="4")]))
    assert clean.ok and clean.unchanged == 3
    assert not rejects.exists()  # a clean run removes the older rejects


def test_rejects_guard_formula_cells_and_import_them_unguarded(engine: Engine, tmp_path: Path) -> None:
    """A buyer's text that a spreadsheet would run ("=…") is written guarded in the rejects file, which
    merchants open in Excel; the fixed file imports the text as the input had it."""
    path = write(
        tmp_path / "orders.csv",
        [row(1, title="'plain quote"), row(2, quantity="1e3", title='"=HYPERLINK(""http://x"",""点我"")"')],
    )
    first = import_orders(engine, path)
    assert first.rejected_count == 1 and first.inserted == 1
    rejects = tmp_path / "orders.rejected.csv"
    with rejects.open(encoding="utf-8-sig", newline="") as f:
        written = list(csv.reader(f))
    assert written[1][6] == '\'=HYPERLINK("http://x","点我")'  # no cell starts a formula
    assert not any(cell.startswith(("=", "+", "-", "@")) for line in written for cell in line)
    rejects.write_text(rejects.read_text(encoding="utf-8-sig").replace(",1e3,", ",3,"), encoding="utf-8")
    again = import_orders(engine, rejects)
    assert again.ok and again.inserted == 1
    titles = dict(scalar_rows(engine, select(s.order_lines.c.order_no, s.order_lines.c.title)))
    assert titles == {"O1": "'plain quote", "O2": '=HYPERLINK("http://x","点我")'}  # only the guard removed


def scalar_rows(engine: Engine, query: object) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]  # type: ignore[call-overload]


def test_repeated_identical_lines_are_duplicates_not_doubled(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", [row(1), row(2), row(1), row(1)])
    report = import_orders(engine, path)
    assert (report.rows, report.duplicates, report.inserted, report.lines) == (4, 2, 2, 2)
    assert report.kept + report.duplicates + report.rejected_count == report.rows
    assert scalar(engine, select(func.sum(s.order_lines.c.quantity))) == 4  # 2 + 2, not 2 × 3 + 2


def test_tracking_counts_add_up_with_duplicates(engine: Engine, tmp_path: Path) -> None:
    lines = [
        "圆通速递,YT1,2026-11-01 18:30:00,103,杭州,已揽收",
        "圆通速递,YT1,2026-11-01 18:30:00,103,杭州,已揽收",  # the same line again
        "YTO,YT1,2026-11-02 08:00:00,0,上海,运输中",
        "yto,YT2,not a time,0,上海,运输中",
        "Kuaidi99,YT3,2026-11-02 08:00:00,0,上海,运输中",
    ]
    path = write(
        tmp_path / "t.csv", lines, header="carrier,tracking_no,event_time,status,location,description"
    )
    report = import_tracking(engine, path)
    assert (report.rows, report.inserted, report.duplicates, report.rejected_count) == (5, 3, 1, 1)
    assert (
        report.inserted + report.updated + report.unchanged + report.duplicates + report.rejected_count == 5
    )
    with engine.connect() as conn:
        carriers = set(conn.execute(select(s.tracking_events.c.carrier)).scalars())
    assert carriers == {"yto", "Kuaidi99"}  # one code for 圆通速递 / YTO; the unknown kept as written
    assert report.notes == ["未知快递公司 unknown carrier: 'Kuaidi99' (1 行 rows, kept as written)"]


def test_gb18030_file_decided_on_the_whole_file(engine: Engine, tmp_path: Path) -> None:
    ascii_rows = [
        row(n, title="cup" * 80) for n in range(1, 4001)
    ]  # > 1 MB before the first Chinese character
    path = write(tmp_path / "big.csv", [*ascii_rows, row(4001, title="保温杯")], encoding="gb18030")
    assert path.stat().st_size > 1 << 20
    report = import_orders(engine, path)
    assert report.ok and report.inserted == 4001
    assert scalar(engine, select(s.order_lines.c.title).where(s.order_lines.c.sku == "SKU-4001")) == "保温杯"


def test_a_bad_byte_rejects_its_row_with_the_line(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    good = "\n".join([HEADER, row(1), row(2)]).encode()
    bad = row(3).encode().replace(b"SKU-3", b"SKU-\xff\xfe3")  # not UTF-8, not GB18030 either
    path.write_bytes(good + b"\n" + bad + b"\n" + row(4).encode() + b"\n")
    report = import_orders(engine, path)
    assert report.inserted == 3 and report.rejected_count == 1
    assert report.rejected[0].line == 4 and "not utf-8 text" in report.rejected[0].reason


def test_cells_of_any_size_are_read_then_checked(engine: Engine, tmp_path: Path) -> None:
    long = "x" * (200 * 1024)
    rows = [row(1, title=long), row(2).replace("SKU-2", "S" + long)]
    report = import_orders(engine, write(tmp_path / "long.csv", rows))
    assert report.inserted == 1 and report.rejected_count == 1
    assert report.rejected[0].column == "sku" and "at most 128" in report.rejected[0].reason
    assert scalar(engine, select(func.length(s.order_lines.c.title))) == len(long)


def _workbook(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for r in rows:
            sheet.append(r)
    book.save(path)
    return path


def test_workbook_sheet_named_or_the_first_that_fits(engine: Engine, tmp_path: Path) -> None:
    header = HEADER.split(",")
    path = _workbook(
        tmp_path / "orders.xlsx",
        {
            "说明": [["导出说明"], ["…"]],
            "订单": [header, row(1).split(",")],
            "备用": [header, row(2).split(",")],
        },
    )
    first = import_orders(engine, path)
    assert (first.sheet, first.inserted) == ("订单", 1)
    named = import_orders(engine, path, sheet="备用")
    assert (named.sheet, named.inserted) == ("备用", 1)
    with pytest.raises(FileRefused, match=r"orders.xlsx \[sheet 说明\]: missing required column"):
        import_orders(engine, path, sheet="说明")
    with pytest.raises(FileRefused, match="no sheet named '缺'"):
        import_orders(engine, path, sheet="缺")


def test_shop_timezone_is_kept_and_a_different_one_refused(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", [row(1, shop="")], header=HEADER)
    first = import_orders(engine, path, shop="Berlin", timezone="Europe/Berlin")
    assert first.ok
    assert [(x["shop"], x["timezone"]) for x in list_shops(engine)] == [("Berlin", "Europe/Berlin")]
    again = import_orders(engine, path, shop="Berlin")  # the shop's own timezone: nothing moves
    assert again.ok and again.unchanged == 1 and again.updated == 0
    with pytest.raises(FileRefused, match="lanshou shops set Berlin --timezone Asia/Shanghai"):
        import_orders(engine, path, shop="Berlin", timezone="Asia/Shanghai")
    in_file = write(tmp_path / "named.csv", [row(2, shop="Berlin")])
    rejected = import_orders(engine, in_file, timezone="Asia/Shanghai")  # the shop named in the file
    assert rejected.rejected_count == 1 and "shops set Berlin" in rejected.rejected[0].reason

    assert set_timezone(engine, "Berlin", "America/New_York")[0]["timezone"] == "America/New_York"
    day = date(2026, 11, 20)
    rollups = metrics_report(engine, day, 30, None, None, "rollups")
    raw = metrics_report(engine, day, 30, None, None, "raw")
    assert {**rollups, "source": "raw"} == raw  # the rollups followed
    with pytest.raises(LookupError):
        set_timezone(engine, "Nowhere", "Asia/Shanghai")
    with pytest.raises(ValueError, match="unknown timezone"):
        set_timezone(engine, "Berlin", "Mars/Base")


def test_feedback_never_creates_a_shop_and_counts_unknown_orders(engine: Engine, tmp_path: Path) -> None:
    import_orders(engine, write(tmp_path / "orders.csv", [row(1)]))
    path = write(
        tmp_path / "feedback.csv",
        [
            "tmall,旗舰店,O1,2026-11-05 10:00:00,1,发货慢,slow",
            "tmall,旗舰店,O9,2026-11-05 10:00:00,2,,not imported yet",
            "tmall,旗航店,O1,2026-11-05 10:00:00,1,,misspelt shop",
        ],
        header="platform,shop,order_id,created_at,rating,tags,content",
    )
    report = import_feedback(engine, path)
    assert (report.inserted, report.unmatched, report.rejected_count) == (2, 1, 1)
    assert "unknown shop '旗航店'" in report.rejected[0].reason
    assert scalar(engine, select(func.count()).select_from(s.shops)) == 1  # no phantom shop
    import_orders(engine, write(tmp_path / "later.csv", [row(9)]))
    with engine.connect() as conn:
        matched = conn.execute(
            select(func.count())
            .select_from(s.feedback.join(s.orders, s.orders.c.order_no == s.feedback.c.order_no))
            .where(s.feedback.c.order_no == "O9")
        ).scalar()
    assert matched == 1


def _lanshou(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {"LANSHOU_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "COLUMNS": "60"}
    return subprocess.run(
        [sys.executable, "-c", "from lanshou.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        env={**environ, **(env or {})},
        cwd=tmp_path,
        timeout=120,
    )


def test_user_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    tracking = write(
        tmp_path / "t.csv", ["yto,YT1,2026-11-01 10:00,103"], header="carrier,tracking_no,event_time,status"
    )
    assert _lanshou(tmp_path, "shops", "list").returncode == 0  # the database exists: no first-run message
    cases = [
        ("import", "orders", str(tmp_path / "missing.csv")),
        ("import", "orders", str(tracking), "--timezone", "Mars/Base"),
        ("import", "tracking", str(tracking), "--timezone", "Mars/Base"),
        ("import", "feedback", str(tracking), "--timezone", "Mars/Base"),
        ("metrics", "--as-of", "0001-01-01", "--json"),
    ]
    for args in cases:
        done = _lanshou(tmp_path, *args)
        said = [
            line for line in done.stderr.splitlines() if line.strip() and "Creating the Lanshou" not in line
        ]
        assert done.returncode == 2 and len(said) == 1 and "Traceback" not in done.stderr, (args, done.stderr)
    unreachable = {"LANSHOU_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    done = _lanshou(tmp_path, "import", "orders", str(tracking), env=unreachable)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "database error" in done.stderr and "Traceback" not in done.stderr
    debug = _lanshou(tmp_path, "import", "orders", str(tracking), "--debug", env=unreachable)
    assert debug.returncode == 2 and "Traceback" in debug.stderr


def test_times_before_1970_are_rejected_per_row(engine: Engine, tmp_path: Path) -> None:
    early = row(2).replace("2026-11-01 10:00:00", "0001-01-01 00:00:00")
    report = import_orders(engine, write(tmp_path / "o.csv", [row(1), early]))
    assert report.inserted == 1 and report.rejected[0].column == "created_at"
    assert scalar(engine, select(s.orders.c.created_at)) == datetime(2026, 11, 1, 2, 0)


def test_shops_cli_lists_and_sets_the_timezone(cli_env: Path, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from lanshou.cli.app import app

    runner = CliRunner()
    path = write(tmp_path / "orders.csv", [row(1)])
    done = runner.invoke(app, ["import", "orders", str(path), "--timezone", "Europe/Berlin"])
    assert done.exit_code == 0, done.output
    listed = runner.invoke(app, ["shops", "list", "--json"])
    assert json.loads(listed.stdout) == [
        {"id": 1, "platform": "tmall", "shop": "旗舰店", "timezone": "Europe/Berlin"}
    ]
    changed = runner.invoke(app, ["shops", "set", "旗舰店", "--timezone", "Asia/Shanghai"])
    assert changed.exit_code == 0 and "tmall:旗舰店 → Asia/Shanghai" in changed.output
    refused = runner.invoke(app, ["import", "orders", str(path), "--timezone", "Europe/Berlin"])
    said = "".join(refused.output.split())  # the table wraps long lines
    assert refused.exit_code == 1 and "lanshoushopsset旗舰店--timezoneEurope/Berlin" in said
    unknown = runner.invoke(app, ["shops", "set", "无此店", "--timezone", "Asia/Shanghai"])
    assert unknown.exit_code == 2


def test_an_order_refused_when_stored_keeps_its_cells_in_the_rejects(engine: Engine, tmp_path: Path) -> None:
    header = HEADER + ",status"
    shipped = write(tmp_path / "a.csv", [row(1) + ",shipped"], header=header)
    assert import_orders(engine, shipped).ok
    back = write(tmp_path / "b.csv", [row(1) + ",paid", row(2) + ",paid"], header=header)
    report = import_orders(engine, back)
    assert report.inserted == 1 and report.rejected_count == 1
    with (tmp_path / "b.rejected.csv").open(encoding="utf-8-sig", newline="") as f:
        written = list(csv.reader(f))
    assert written[1][:-1] == (row(1) + ",paid").split(",")  # the input's cells, read again
    assert "shipped -> paid" in written[1][-1]


def test_tracking_workbook_reads_the_sheet_whose_header_fits(engine: Engine, tmp_path: Path) -> None:
    header = ["carrier", "tracking_no", "event_time", "status"]
    path = _workbook(
        tmp_path / "t.xlsx",
        {"封面": [["物流轨迹导出"]], "轨迹": [header, ["圆通速递", "YT1", "2026-11-01 10:00", "103"]]},
    )
    report = import_tracking(engine, path)
    assert (report.sheet, report.inserted) == ("轨迹", 1)
