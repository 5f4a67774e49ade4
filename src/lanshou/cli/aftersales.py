"""`lanshou aftersales list|show|agree|refuse|return|receive|reship`: after-sales cases (售后单). With --json
only JSON."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from lanshou.cli.common import console, database, err_console

app = typer.Typer(
    help="After-sales cases. 售后单: list, show, agree, refuse, return, receive, reship", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="print only JSON")]
CaseArg = Annotated[str, typer.Argument(help="the platform's case id / 售后单号")]
ShopOpt = Annotated[str | None, typer.Option("--shop", help="shop name, or platform:name / 店铺")]
UserOpt = Annotated[str | None, typer.Option("--by", help="who (default: the login name)")]
UnmaskOpt = Annotated[bool, typer.Option("--unmask", help="show the buyer's phone and address whole")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="aftersales")


def _refused(job: Callable[[], Any]) -> Any:
    from lanshou.aftersales.states import AfterSaleRefused

    try:
        return job()
    except (AfterSaleRefused, LookupError) as exc:
        err_console.print(f"[red]{escape(str(exc.args[0] if exc.args else exc))}[/]")
        raise typer.Exit(2) from None


@app.command("list")
def list_cmd(
    shop: ShopOpt = None,
    status: Annotated[list[str] | None, typer.Option("--status", help="repeat for several / 可多次")] = None,
    case_type: Annotated[
        list[str] | None, typer.Option("--type", help="refund_unshipped, return_refund, exchange … (repeat)")
    ] = None,
    order: Annotated[str | None, typer.Option("--order", help="order number / 订单号")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="unfinished cases only / 未完结")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 200,
    unmask: UnmaskOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """After-sales cases, newest first. 售后单列表."""
    from lanshou.aftersales.service import list_json
    from lanshou.aftersales.states import as_case_type, as_status

    statuses = _refused(lambda: [as_status(s.strip().lower()).value for s in status or []])
    types = _refused(lambda: [as_case_type(t.strip().lower()).value for t in case_type or []])
    rows = _refused(
        lambda: list_json(database(), shop, statuses, order, open_only, limit, types, unmask=unmask)
    )
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"售后单 after-sales cases ({len(rows)})")
    for column in (
        "case 售后单",
        "order 订单",
        "shop 店铺",
        "type 类型",
        "status 状态",
        "amount 金额",
        "reason 原因",
    ):
        table.add_column(column)
    for r in rows:
        table.add_row(
            escape(r["case_no"]),
            escape(r["order_no"]),
            escape(f"{r['platform']}/{r['shop']}"),
            r["type"],
            f"{r['status_title']} {r['status']}",
            r["amount"],
            escape(r["reason"] or r["reason_code"]),
        )
    console.print(table)


@app.command("show")
def show_cmd(
    case_no: CaseArg, shop: ShopOpt = None, unmask: UnmaskOpt = False, as_json: JsonOpt = False
) -> None:
    """One case: its steps and the order's timeline. 售后详情."""
    from lanshou.aftersales.service import show_json

    data = _refused(lambda: show_json(database(), case_no, shop, unmask=unmask))
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    console.print(
        f"[bold]售后单 {escape(data['case_no'])}[/] · 订单 {escape(data['order_no'])} · {data['type']} · "
        f"{data['status_title']} ({data['status']}, 平台 {escape(data['raw_status'])}) · ¥{data['amount']}"
    )
    console.print(f"原因 reason: {escape(data['reason_code'])} {escape(data['reason'])}")
    buyer = data["receiver"]
    console.print(f"买家 buyer: {escape(buyer['name'])} {escape(buyer['phone'])} {escape(buyer['address'])}")
    if data["return_tracking_no"]:
        parcel = data.get("return_parcel") or {}
        console.print(
            f"退货物流 return parcel: {escape(data['return_carrier'])} {escape(data['return_tracking_no'])} "
            f"· {parcel.get('status') or '无轨迹 no events'} · 运费 paid by {data['return_shipping_payer']}"
        )
    if data["outbound_order_no"]:
        console.print(f"换货/补发订单 outbound order: {escape(data['outbound_order_no'])}")
    console.print(f"下一步 next: {', '.join(data['next']) or '-'}")
    table = Table(title="时间线 timeline")
    for column in ("at (UTC)", "actor 操作人", "kind", "detail 说明"):
        table.add_column(column)
    for e in data["timeline"]:
        table.add_row(e["at"][:19], escape(e["actor"]), e["kind"], escape(e["detail"]))
    console.print(table)


def _step(
    case_no: str,
    step: str,
    by: str | None,
    reason: str,
    shop: str | None,
    as_json: bool,
    disposition: str = "",
) -> None:
    from lanshou.aftersales.service import act

    who = by or getpass.getuser()
    data = _refused(lambda: act(database(), case_no, step, who, reason, shop, disposition))
    extra = f" · 换货/补发订单 {escape(data['outbound_order_no'])}" if data["outbound_order_no"] else ""
    _done(case_no, data, who, as_json, extra)


def _done(case_no: str, data: dict[str, Any], who: str, as_json: bool, extra: str = "") -> None:
    """The case after a step: its JSON, or one line saying where it stands now."""
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        console.print(
            f"售后单 {escape(case_no)}: {data['status_title']} ({data['status']}) by {escape(who)}{extra}"
        )


ReasonOpt = Annotated[str, typer.Option("--reason", help="why / 原因")]


@app.command("agree")
def agree_cmd(
    case_no: CaseArg,
    reason: ReasonOpt = "",
    shop: ShopOpt = None,
    by: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Agree: refund, or ask the goods back first, or reship. 同意."""
    _step(case_no, "agree", by, reason, shop, as_json)


@app.command("refuse")
def refuse_cmd(
    case_no: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="why (required) / 拒绝原因（必填）")],
    shop: ShopOpt = None,
    by: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Refuse, with a reason. 拒绝."""
    _step(case_no, "refuse", by, reason, shop, as_json)


@app.command("receive")
def receive_cmd(
    case_no: CaseArg,
    restock: Annotated[bool, typer.Option("--restock", help="goods fine: back to stock / 入库")] = False,
    write_off: Annotated[bool, typer.Option("--write-off", help="damaged: write off / 报损")] = False,
    reason: ReasonOpt = "",
    shop: ShopOpt = None,
    by: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Receive the return and record the inspection. 确认收到退货并验收."""
    if restock == write_off:
        err_console.print("[red]give exactly one of --restock or --write-off / 请选择入库或报损[/]")
        raise typer.Exit(2)
    _step(case_no, "receive", by, reason, shop, as_json, disposition="restock" if restock else "write_off")


@app.command("reship")
def reship_cmd(
    case_no: CaseArg,
    reason: ReasonOpt = "",
    shop: ShopOpt = None,
    by: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The replacement or reshipment was sent (an exchange: once inspected). 发出换货/补发.

    Shipping the case's outbound order records this by itself; this is for goods sent some other way (the
    outbound order, if still waiting to ship, is cancelled: the goods do not go out twice)."""
    _step(case_no, "reship", by, reason, shop, as_json)


@app.command("return")
def return_cmd(
    case_no: CaseArg,
    carrier: Annotated[str, typer.Option("--carrier", help="快递公司: a carrier code or name (zto, 中通)")],
    tracking_no: Annotated[str, typer.Option("--tracking-no", help="退货运单号 the return tracking number")],
    reason: Annotated[str, typer.Option("--reason", help="note for the timeline / 备注")] = "",
    shop: ShopOpt = None,
    by: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The buyer's return parcel, as told by phone. 登记买家退货运单 (待买家退货 → 买家已退货).

    The case page's and POST /api/v1/aftersales/CASE/return's step: the carrier is read as its code, and
    the parcel is then followed as the case's return."""
    from lanshou.aftersales.service import record_return

    who = by or getpass.getuser()
    data = _refused(lambda: record_return(database(), case_no, carrier, tracking_no, who, reason, shop))
    parcel = f" · 退货运单 {escape(data['return_carrier'])} {escape(data['return_tracking_no'])}"
    _done(case_no, data, who, as_json, parcel)
