"""`lanshou alerts list|ack|resolve|scan`: parcel alerts (物流预警). With --json only JSON goes to stdout."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lanshou.cli.common import console, database, err_console

app = typer.Typer(help="Parcel alerts. 物流预警: list, acknowledge, resolve", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="print only JSON")]
IdArg = Annotated[int, typer.Argument(help="alert id (from `alerts list`)")]
NoteOpt = Annotated[str, typer.Option("--note", help="what was done / 备注")]
UserOpt = Annotated[str | None, typer.Option("--by", help="who (default: the login name)")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="alerts")


@app.command("list")
def list_cmd(
    include_resolved: Annotated[bool, typer.Option("--all", help="resolved ones too")] = False,
    kind: Annotated[str | None, typer.Option("--kind", help="one kind, e.g. stalled")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 500,
    as_json: JsonOpt = False,
) -> None:
    """Open alerts, newest problems first. 预警列表."""
    from lanshou.sla.alert_list import list_alerts
    from lanshou.tracking.record import utc_now

    rows = list_alerts(database(), utc_now(), include_resolved=include_resolved, kind=kind, limit=limit)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"物流预警 alerts ({len(rows)})")
    for column in (
        "id",
        "kind 类型",
        "parcel 运单",
        "age h 时长",
        "metric 影响指标",
        "state 状态",
        "orders 订单",
        "reason 原因",
    ):
        table.add_column(column)
    for r in rows:
        orders = ", ".join(o["order_no"] for o in r["orders"]) or "-"
        table.add_row(
            str(r["id"]),
            r["kind"],
            escape(r["tracking_no"]),
            age_cell(r["age_hours"]),
            r["metric"],
            r["state"],
            escape(orders),
            escape(r["reason"]),
        )
    console.print(table)


def _act(alert_id: int, user: str | None, note: str, resolve: bool, as_json: bool) -> None:
    from lanshou.sla.alert_store import AlertClosed, AlertNotFound, acknowledge
    from lanshou.sla.alert_store import resolve as resolve_alert
    from lanshou.tracking.record import utc_now

    who = user or getpass.getuser()
    action = resolve_alert if resolve else acknowledge
    try:
        action(database(), alert_id, who, utc_now(), note)
    except (AlertNotFound, AlertClosed) as exc:
        err_console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(1) from None
    state = "resolved" if resolve else "acked"
    if as_json:
        print(json.dumps({"id": alert_id, "state": state, "by": who}, ensure_ascii=False))
    else:
        console.print(f"预警 alert {alert_id} {'已处理' if resolve else '已确认'} {state} by {escape(who)}")


@app.command("ack")
def ack_cmd(alert_id: IdArg, note: NoteOpt = "", by: UserOpt = None, as_json: JsonOpt = False) -> None:
    """Acknowledge: someone is on it. 确认预警."""
    _act(alert_id, by, note, False, as_json)


@app.command("resolve")
def resolve_cmd(alert_id: IdArg, note: NoteOpt = "", by: UserOpt = None, as_json: JsonOpt = False) -> None:
    """Resolve: dealt with. 处理完成."""
    _act(alert_id, by, note, True, as_json)


@app.command("scan")
def scan_cmd(
    full: Annotated[
        bool, typer.Option("--full", help="every parcel, not only what changed since the last scan")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Scan now (the worker does it every five minutes). 立即扫描."""
    from lanshou.sla.scan import scan_alerts
    from lanshou.tracking.record import utc_now

    result = scan_alerts(database(), utc_now(), full=full)
    data = {
        "candidates": result.candidates,
        "opened": result.opened,
        "closed": result.closed,
        "seconds": round(result.seconds, 3),
    }
    if as_json:
        print(json.dumps(data))
    else:
        console.print(
            f"scanned {result.candidates} candidates: opened {result.opened}, closed {result.closed} "
            f"in {result.seconds:.2f}s"
        )


def age_cell(hours: float) -> str:
    """How old the problem is; an alert raised before its deadline (a pickup near its limit) has a negative
    age: shown as the time left, not as "-3.4"."""
    return f"还剩 {-hours:.1f} h left" if hours < 0 else f"{hours:.1f}"
