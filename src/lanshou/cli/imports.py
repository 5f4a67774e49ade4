"""`lanshou import orders|tracking|feedback|aftersales FILE`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table as RichTable
from sqlalchemy import Engine

from lanshou.cli.common import console, count_lines, database, err_console, progress_bar
from lanshou.files.tabular import FileRefused
from lanshou.intake.pipeline import Progress
from lanshou.intake.report import ImportReport
from lanshou.platforms.base import format_names

app = typer.Typer(help="Import platform export files and tracking/feedback files. 导入订单、物流、评价文件")

FileArg = Annotated[Path, typer.Argument(help="CSV (UTF-8/GB18030) or XLSX file")]
ShopOpt = Annotated[str | None, typer.Option("--shop", help="shop name when the file has none / 店铺名")]
TzOpt = Annotated[str | None, typer.Option("--timezone", help="timezone of naive times, e.g. Asia/Shanghai")]
RejectsOpt = Annotated[
    Path | None, typer.Option("--rejects", help="where to write rejected rows (default: <file>.rejected.csv)")
]
SheetOpt = Annotated[
    str | None, typer.Option("--sheet", help="XLSX: the sheet to read (default: the first whose header fits)")
]


@app.command("orders")
def import_orders_cmd(
    file: FileArg,
    fmt: Annotated[
        str,
        typer.Option("--format", help=f"file format: {', '.join(format_names())}"),
    ] = "generic",
    shop: ShopOpt = None,
    timezone: TzOpt = None,
    rejects: RejectsOpt = None,
    sheet: SheetOpt = None,
) -> None:
    """Import an orders file. 导入订单."""
    from lanshou.intake.orders import import_orders

    _run(
        lambda engine, progress: import_orders(
            engine, file, fmt, shop, timezone, rejects, progress, sheet=sheet
        ),
        file,
    )


@app.command("tracking")
def import_tracking_cmd(
    file: Annotated[Path, typer.Argument(help="CSV/XLSX (generic) or JSON lines / JSON array (kuaidi100)")],
    fmt: Annotated[
        str, typer.Option("--format", help="generic (CSV/XLSX columns) | kuaidi100 (pushes or query replies)")
    ] = "generic",
    timezone: TzOpt = None,
    rejects: RejectsOpt = None,
    sheet: SheetOpt = None,
) -> None:
    """Import a tracking events file. 导入物流轨迹."""
    from lanshou.intake.tracking import import_tracking

    _run(
        lambda engine, progress: import_tracking(
            engine, file, timezone, rejects, progress, fmt=fmt, sheet=sheet
        ),
        file,
    )


@app.command("feedback")
def import_feedback_cmd(
    file: FileArg,
    shop: ShopOpt = None,
    timezone: TzOpt = None,
    rejects: RejectsOpt = None,
    sheet: SheetOpt = None,
) -> None:
    """Import a buyer feedback file (its shops must exist: feedback never creates one). 导入评价."""
    from lanshou.intake.feedback import import_feedback

    _run(
        lambda engine, progress: import_feedback(
            engine, file, shop, timezone, rejects, progress, sheet=sheet
        ),
        file,
    )


@app.command("aftersales")
def import_aftersales_cmd(
    file: FileArg,
    fmt: Annotated[
        str, typer.Option("--format", help="generic | taobao (refund export) | douyin")
    ] = "generic",
    shop: ShopOpt = None,
    timezone: TzOpt = None,
    rejects: RejectsOpt = None,
) -> None:
    """Import after-sales cases (refunds, returns, exchanges, reships). 导入售后单."""
    from lanshou.intake.aftersales import import_aftersales

    _run(
        lambda engine, progress: import_aftersales(engine, file, fmt, shop, timezone, rejects, progress), file
    )


def _run(job: Callable[[Engine, Progress], ImportReport], file: Path) -> None:
    engine = database()
    try:
        with progress_bar(f"importing {file.name}", count_lines(file)) as progress:
            report = job(engine, progress)
    except FileRefused as exc:
        err_console.print(f"[red]refused / 拒绝导入:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None
    print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def print_report(report: ImportReport) -> None:
    sheet = f" · sheet {report.sheet}" if report.sheet else ""
    table = RichTable(title=f"{report.kind} import · {Path(report.file).name}{sheet} ({report.fmt})")
    table.add_column("rows read 读取行")
    table.add_column("new 新增")
    table.add_column("updated 更新")
    table.add_column("unchanged 未变")
    table.add_column("rejected 拒绝")
    table.add_column("duplicates 重复行")
    table.add_row(
        str(report.rows),
        str(report.inserted),
        str(report.updated),
        str(report.unchanged),
        f"[red]{report.rejected_count}[/]" if report.rejected_count else "0",
        str(report.duplicates),
    )
    console.print(table)
    if report.kind == "orders":  # new/updated/unchanged count orders; a row is one order line
        console.print(
            f"rows 行: {report.kept} kept 入库 + {report.duplicates} duplicates 重复 + "
            f"{report.rejected_count} rejected 拒绝 = {report.rows}"
        )
    if report.unmatched:
        console.print(
            f"{report.unmatched} feedback rows for orders not imported yet / 订单尚未导入: kept, "
            "matched when the orders arrive"
        )
    for note in report.notes:
        console.print(f"  [yellow]![/] {escape(note)}")
    for error in report.rejected[:20]:
        console.print(f"  [red]✗[/] {escape(str(error))}")
    if report.rejected_count > 20:
        console.print(f"  … and {report.rejected_count - 20} more")
    if report.rejected_path:
        console.print(f"rejected rows written to / 拒绝行已写入: {report.rejected_path}")
