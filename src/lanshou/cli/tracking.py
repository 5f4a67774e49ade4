"""`lanshou tracking show TRACKING_NO` and `lanshou tracking eta-accuracy`. With --json only the JSON
object goes to stdout."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from lanshou.cli.common import console, database, err_console

app = typer.Typer(help="Parcels and their tracks. 物流轨迹、预计送达", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="print only the JSON object")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="tracking")


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False))


@app.command("show")
def show_cmd(
    tracking_no: Annotated[str, typer.Argument(help="tracking number / 运单号")],
    timezone: Annotated[str | None, typer.Option("--timezone", help="zone of the times shown")] = None,
    as_json: JsonOpt = False,
) -> None:
    """One parcel: carrier, status, pickup, delivery, ETA, orders and every event. 查看运单."""
    from lanshou.tracking.show import UnknownParcel, parcel_view

    try:
        view = parcel_view(database(), tracking_no, timezone)
    except UnknownParcel as exc:
        err_console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(1) from None
    if as_json:
        _print_json(view)
        return
    console.print(
        f"[bold]{escape(view['tracking_no'])}[/] {escape(view['carrier'])} · {view['status'] or '-'}"
    )
    for label, key in (
        ("揽收 picked up", "pickup_at"),
        ("签收 delivered", "delivered_at"),
        ("预计 ETA", "eta"),
    ):
        console.print(f"  {label}: {view[key] or '-'}")
    orders = ", ".join(f"{o['platform']}:{o['shop']}:{o['order_no']}" for o in view["orders"]) or "-"
    console.print(f"  订单 orders: {escape(orders)}")
    table = Table(title=f"轨迹 events ({view['timezone']})")
    for column in ("time 时间", "status 状态", "location 地点", "text 描述"):
        table.add_column(column)
    for event in view["events"]:
        status = event["status"] or f"[yellow]? {escape(event['raw_status'])}[/]"
        table.add_row(event["time"], status, escape(event["location"]), escape(event["text"]))
    console.print(table)


@app.command("rebuild-state")
def rebuild_state_cmd(as_json: JsonOpt = False) -> None:
    """Rebuild every parcel's state and ETA from its stored events (no notification). 重建运单状态."""
    from lanshou.tracking.rebuild import rebuild_states

    result = rebuild_states(database())
    if as_json:
        _print_json(result.as_dict())
        return
    console.print(
        f"rebuilt {result.parcels:,} parcel states from {result.events:,} events: "
        f"{result.written:,} written, {result.bare:,} bare (no event yet), {result.lanes:,} lanes measured, "
        f"in {result.seconds:.1f} s (then `lanshou alerts scan --full`)"
    )


@app.command("eta-accuracy")
def eta_accuracy_cmd(
    days: Annotated[int, typer.Option("--days", min=1, help="deliveries of the last N days")] = 30,
    carrier: Annotated[str | None, typer.Option("--carrier", help="one carrier's parcels only")] = None,
    as_json: JsonOpt = False,
) -> None:
    """How close the ETAs given at pickup came to the deliveries. 预计送达准确度."""
    from lanshou.carriers.registry import carrier_code
    from lanshou.tracking.eta_report import eta_accuracy

    until = datetime.now(UTC).replace(tzinfo=None)
    report = eta_accuracy(
        database(), until - timedelta(days=days), until, carrier_code(carrier) if carrier else None
    )
    if as_json:
        _print_json(report)
        return
    table = Table(title=f"预计送达准确度 ETA accuracy, last {days} days")
    for column in ("carrier 快递", "parcels 件数", "mean |error| h", "median error h", "±24h", "by ETA 按时"):
        table.add_column(column, justify="right")
    rows = [("all 全部", report), *report["carriers"].items()]
    for name, block in rows:
        table.add_row(
            escape(name),
            str(block["parcels"]),
            _num(block["mean_abs_error_hours"]),
            _num(block["median_error_hours"]),
            _pct(block["within_24h"]),
            _pct(block["by_eta"]),
        )
    console.print(table)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
