"""`lanshou waybills import|list|cancel|reprint`: the merchant-loaded waybill number pool (单号池)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from lanshou.cli.common import console, database, err_console
from lanshou.cli.render import compact_table, print_json

app = typer.Typer(
    help="Waybill number pool. 电子面单单号池: import, list, cancel, reprint", no_args_is_help=True
)

CarrierOpt = Annotated[str, typer.Option("--carrier", help="carrier code or name, e.g. zto / 中通")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print only JSON")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="waybills")


def _refused(exc: Exception) -> typer.Exit:
    err_console.print(f"[red]refused / 拒绝:[/] {escape(str(exc))}")
    return typer.Exit(2)


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV/XLSX with a tracking_no (运单号) column")],
    carrier: CarrierOpt,
    as_json: JsonOpt = False,
) -> None:
    """Load numbers bought from the carrier into the pool (idempotent). 导入单号."""
    from lanshou.shipping.pool_import import FileRefused, UnknownCarrier, import_pool

    try:
        report = import_pool(database(), file, carrier)
    except (FileRefused, UnknownCarrier) as exc:
        raise _refused(exc) from None
    if as_json:
        print_json(report.as_json())
    else:
        console.print(
            f"{report.carrier}: 新增 added {report.added}, 已在池中 already in pool {report.already}, "
            f"拒绝 rejected {len(report.problems)}"
        )
        for problem in report.problems[:50]:
            console.print(f"  [red]✗[/] {escape(file.name)} {escape(str(problem))}")
        if len(report.problems) > 50:
            console.print(f"  … and {len(report.problems) - 50} more")
    if not report.ok:
        raise typer.Exit(1)


@app.command("list")
def list_cmd(
    carrier: Annotated[str | None, typer.Option("--carrier", help="one carrier")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="list numbers: available | used | cancelled")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Pool counts per carrier; with --status, the numbers themselves. 单号池余量."""
    from lanshou.shipping.pool_import import UnknownCarrier, carrier_of
    from lanshou.shipping.pool_store import STATUSES, pool_counts, pool_numbers

    try:
        code = carrier_of(carrier) if carrier else None
    except UnknownCarrier as exc:
        raise _refused(exc) from None
    if status is not None and status not in STATUSES:
        raise typer.BadParameter(
            f"unknown status {status!r}; one of {', '.join(STATUSES)}", param_hint="--status"
        )
    with database().connect() as conn:
        if status is None:
            counts = pool_counts(conn, code)
            if as_json:
                print_json([c.as_json() for c in counts])
                return
            table = compact_table(
                "单号池 waybill pool", ["carrier 快递", "available 可用", "used 已用", "cancelled 作废"]
            )
            for c in counts:
                style = "red" if c.available == 0 else ""
                table.add_row(
                    c.carrier,
                    f"[{style}]{c.available}[/]" if style else str(c.available),
                    str(c.used),
                    str(c.cancelled),
                )
            console.print(table)
            return
        numbers = pool_numbers(conn, code, status, limit)
    if as_json:
        print_json([n.as_json() for n in numbers])
        return
    table = compact_table(
        f"单号 numbers ({status})", ["carrier 快递", "tracking_no 单号", "holder 使用者", "changed 变更"]
    )
    for n in numbers:
        table.add_row(
            n.carrier,
            n.tracking_no,
            n.holder or "-",
            n.changed_at.isoformat(" ", "seconds") if n.changed_at else "-",
        )
    console.print(table)


@app.command("cancel")
def cancel_cmd(
    numbers: Annotated[list[str], typer.Argument(help="tracking numbers to retire / 作废的单号")],
    carrier: CarrierOpt,
    by: Annotated[str, typer.Option("--by", help="who cancels (timeline actor)")] = "system",
    reason: Annotated[str, typer.Option("--reason", help="why / 原因")] = "",
) -> None:
    """Retire pool numbers for good; an unshipped order holding one takes a fresh one next time. 作废单号."""
    from lanshou.shipping.pool_import import UnknownCarrier, WaybillActionRefused, cancel_number
    from lanshou.shipping.providers import providers_from_environment
    from lanshou.shipping.store import config_in_force

    engine = database()
    with engine.connect() as conn:
        config = config_in_force(conn)
    providers = providers_from_environment(config.plan) if config else None
    failed = 0
    for number in numbers:
        try:
            done = cancel_number(engine, carrier, number, by, providers, reason)
        except UnknownCarrier as exc:
            raise _refused(exc) from None
        except WaybillActionRefused as exc:
            failed += 1
            err_console.print(f"[red]✗[/] {escape(str(exc))}")
            continue
        held = f" (订单 orders {', '.join(done.orders)})" if done.orders else ""
        console.print(f"[green]✓[/] {number} 已作废 cancelled (was {done.was}){escape(held)}")
    if failed:
        raise typer.Exit(1)


@app.command("reprint")
def reprint_cmd(
    numbers: Annotated[list[str], typer.Argument(help="tracking numbers to print again / 补打的单号")],
    carrier: CarrierOpt,
    labels: Annotated[Path, typer.Option("--labels", help="the PDF to write")] = Path("reprint.pdf"),
    size: Annotated[str, typer.Option("--size", help="100x180 | 76x130")] = "100x180",
) -> None:
    """Print the labels of waybills already taken again, same numbers. 补打面单."""
    from lanshou.shipping.labels import LabelError, LabelFontError
    from lanshou.shipping.pool_import import UnknownCarrier, carrier_of
    from lanshou.shipping.reprint import ReprintRefused, reprint_labels

    try:
        done = reprint_labels(database(), carrier_of(carrier), numbers, labels, size)
    except (UnknownCarrier, ReprintRefused, LabelError, LabelFontError) as exc:
        raise _refused(exc) from None
    console.print(f"面单 labels: {labels} ({done.pages} 页 pages)")
    for number in done.missing:
        err_console.print(f"[red]✗[/] {escape(number)}: 没有发货记录 no shipment holds this number")
    if done.missing:
        raise typer.Exit(1)
