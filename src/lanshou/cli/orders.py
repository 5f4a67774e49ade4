"""`lanshou orders list`: find orders, show them masked, export them to CSV/XLSX."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table as RichTable
from rich.text import Text

from lanshou.cli.common import console, database, err_console
from lanshou.orders.queries import OrderFilter, OrderRow, email_of, receiver, to_local
from lanshou.orders.status import OrderStatus

app = typer.Typer(help="Query and export orders. 查询、导出订单")

DEFAULT_LIMIT = 50


@app.command("list")
def list_cmd(
    shop: Annotated[str | None, typer.Option("--shop", help="shop name / 店铺名")] = None,
    platform: Annotated[str | None, typer.Option("--platform", help="taobao, tmall, douyin, ...")] = None,
    status: Annotated[list[str] | None, typer.Option("--status", help="repeat for several / 可多次")] = None,
    paid_from: Annotated[
        datetime | None,
        typer.Option("--paid-from", formats=["%Y-%m-%d"], help="first local day (YYYY-MM-DD)"),
    ] = None,
    paid_to: Annotated[
        datetime | None, typer.Option("--paid-to", formats=["%Y-%m-%d"], help="last local day, inclusive")
    ] = None,
    order: Annotated[str | None, typer.Option("--order", help="order number / 订单号")] = None,
    buyer: Annotated[str | None, typer.Option("--buyer", help="part of the receiver's name or phone")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help=f"rows to show (table default {DEFAULT_LIMIT})")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="timezone for dates and times (default: each shop's)")
    ] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="export all matches to CSV")] = None,
    xlsx_path: Annotated[Path | None, typer.Option("--xlsx", help="export all matches to XLSX")] = None,
    unmask: Annotated[bool, typer.Option("--unmask", help="show receivers' personal data in full")] = False,
) -> None:
    """List orders (masked), or export them. 查询订单（默认脱敏），或导出."""
    flt = OrderFilter(
        shop=shop,
        platform=platform,
        statuses=_statuses(status or []),
        paid_from=_day(paid_from),
        paid_to=_day(paid_to),
        order_no=order,
        buyer=buyer,
        timezone=_timezone(timezone),
    )
    if unmask:
        err_console.print(
            "[yellow]Warning: personal data is shown unmasked. 注意：显示完整的个人信息，请妥善保管。[/]"
        )
    if csv_path or xlsx_path:
        for path, kind in ((csv_path, "csv"), (xlsx_path, "xlsx")):
            if path is not None:
                _export(flt, path, kind, limit, unmask)
        return
    _show(flt, limit or DEFAULT_LIMIT, unmask)


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _statuses(values: list[str]) -> tuple[str, ...]:
    known = {s.value for s in OrderStatus}
    wanted = tuple(v.strip().lower() for v in values)
    unknown = [v for v in wanted if v not in known]
    if unknown:
        raise typer.BadParameter(f"unknown status {', '.join(unknown)}; one of {', '.join(sorted(known))}")
    return wanted


def _timezone(name: str | None) -> str | None:
    if name is None:
        return None
    from lanshou.platforms.values import zone

    try:
        zone(name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return name


def _export(flt: OrderFilter, path: Path, kind: str, limit: int | None, unmask: bool) -> None:
    from lanshou.files.export import write_csv, write_xlsx
    from lanshou.orders.queries import EXPORT_HEADERS, export_rows

    write = write_csv if kind == "csv" else write_xlsx
    with database().connect() as conn:
        count = write(path, EXPORT_HEADERS, export_rows(conn, flt, unmask, limit))
    masked = "" if unmask else " (masked 已脱敏)"
    console.print(f"Exported {count} orders to {path}{masked}. 已导出 {count} 个订单")


def _show(flt: OrderFilter, limit: int, unmask: bool) -> None:
    from lanshou.orders.queries import query_orders

    with database().connect() as conn:
        rows = list(query_orders(conn, flt, limit + 1))
    if not rows:
        console.print("No orders match these filters. 没有符合条件的订单。")
        return
    console.print(_table(rows[:limit], flt.timezone, unmask))
    if len(rows) > limit:
        console.print(
            f"Showing the first {limit}; use --limit N or --csv/--xlsx for all. 仅显示前 {limit} 条"
        )


def _table(rows: list[OrderRow], timezone: str | None, unmask: bool) -> RichTable:
    table = RichTable(title="Orders 订单", show_lines=False)
    table.add_column("订单号 Order", no_wrap=True)
    table.add_column("店铺 Shop")
    table.add_column("状态 Status")
    table.add_column("付款 Paid (local)", min_width=10)
    table.add_column("收件人 Receiver", min_width=11)
    table.add_column("地址 Address")
    table.add_column("商品 Items")
    table.add_column("金额 Amount", justify="right")
    table.add_column("物流 Parcel")
    for row in rows:
        table.add_row(*(Text(cell) for cell in _table_cells(row, timezone, unmask)))
    return table


def _table_cells(row: OrderRow, timezone: str | None, unmask: bool) -> list[str]:
    tz = timezone or row.shop_timezone
    paid = to_local(row.paid_at, tz)
    name, phone, address = receiver(row, unmask)
    place = " ".join(part for part in (row.province, row.city, row.district, address) if part)
    parcel = " ".join(part for part in (row.carrier, row.tracking_no) if part)
    return [
        row.order_no,
        f"{row.platform}/{row.shop}",
        row.status,
        paid.strftime("%Y-%m-%d %H:%M") if paid else "-",
        "\n".join(part for part in (name, phone, email_of(row, unmask)) if part),
        place,
        row.skus,
        "" if row.order_amount is None else f"{row.order_amount:.2f}",
        parcel or "-",
    ]


@app.command("show")
def show_cmd(
    order_id: Annotated[str, typer.Argument(help="order number / 订单号")],
    shop: Annotated[str | None, typer.Option("--shop", help="shop name, or platform:name / 店铺")] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="zone of the times shown (default: the shop's)")
    ] = None,
    unmask: Annotated[bool, typer.Option("--unmask", help="show the receiver's personal data")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print only the JSON object")] = False,
) -> None:
    """One order: lines, parcels with their tracks, and the timeline. 订单详情与时间线."""
    from lanshou.cli.render import print_json, unknown_shop
    from lanshou.inventory.order_detail import with_reservations
    from lanshou.orders.detail import AmbiguousOrder, OrderNotFound, find_order_detail
    from lanshou.shops.model import select_shops
    from lanshou.shops.store import load_shops

    zone = _timezone(timezone)
    with database().connect() as conn:
        try:
            shop_ids = list(select_shops(load_shops(conn), shop))
        except LookupError as exc:
            raise unknown_shop(exc) from None
        try:
            detail = find_order_detail(conn, order_id, shop_ids, unmask, zone)
        except AmbiguousOrder as exc:
            err_console.print(f"[red]{escape(str(exc))}[/]")
            raise typer.Exit(2) from None
        except OrderNotFound as exc:
            err_console.print(f"[red]{escape(str(exc))}[/]")
            raise typer.Exit(1) from None
        with_reservations(conn, detail, order_id, shop_ids)
    if as_json:
        print_json(detail)
        return
    _show_detail(detail)


def _show_detail(d: dict[str, Any]) -> None:
    r = d["receiver"]
    console.print(
        f"[bold]{escape(d['order_id'])}[/] {escape(d['platform'])}/{escape(d['shop'])} · {d['status']}"
        f" · {d['amount'] or '-'} · {d['timezone']}"
    )
    console.print(f"  下单 created {d['created_at']} · 付款 paid {d['paid_at'] or '-'}")
    place = " ".join(p for p in (r["province"], r["city"], r["district"], r["address"]) if p)
    country = f" [{escape(d['country'])}]" if d["country"] else ""
    console.print(f"  收件人 receiver: {escape(r['name'])} {escape(r['phone'])} {escape(place)}{country}")
    if d["buyer_message"]:
        console.print(f"  买家留言 message: {escape(d['buyer_message'])}")
    if d["seller_remark"]:
        console.print(f"  卖家备注 seller remark: {escape(d['seller_remark'])}")
    lines = RichTable(title="商品 lines", title_justify="left")
    for column in ("#", "SKU", "商品 title", "数量 qty", "单价 price"):
        lines.add_column(column)
    for line in d["lines"]:
        price = line["unit_price"] or "-"
        lines.add_row(str(line["no"]), Text(line["sku"]), Text(line["title"]), str(line["quantity"]), price)
    console.print(lines)
    if d["reservations"]:
        held = RichTable(title="库存预占 reservations", title_justify="left")
        for column in (
            "SKU",
            "仓库 warehouse",
            "数量 qty",
            "状态 state",
            "包裹 part",
            "时间 at",
            "结束 closed",
        ):
            held.add_column(column)
        for x in d["reservations"]:
            part = str(x["part"]) if x["part"] else "-"
            at, closed = x["created_at"] or "-", x["closed_at"] or "-"
            held.add_row(
                Text(x["sku"]), Text(x["warehouse"]), str(x["quantity"]), x["state"], part, at, closed
            )
        console.print(held)
    for p in d["parcels"]:
        console.print(
            f"包裹 parcel [bold]{escape(p['tracking_no'])}[/] {escape(p['carrier'])} · {p['status'] or '-'}"
            f" · 发货 {p['shipped_at'] or '-'} · 揽收 {p['pickup_at'] or '-'}"
            f" · 签收 {p['delivered_at'] or '-'}"
        )
        for e in p["events"]:
            console.print(f"    {e['time']} {e['status'] or e['raw_status']} {escape(e['location'])} "
                          f"{escape(e['text'])}")  # fmt: skip
    events = RichTable(title="时间线 timeline", title_justify="left")
    for column in ("时间 at", "事件 kind", "操作人 actor", "原因 detail"):
        events.add_column(column)
    for entry in d["timeline"]:
        events.add_row(entry["at"], entry["kind"], Text(entry["actor"]), Text(entry["detail"]))
    console.print(events)
