"""`lanshou review run|list|auto|blacklist`: review (审单) paid orders by built-in checks and rules."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lanshou.cli.common import console, database, err_console, progress_bar

app = typer.Typer(help="Review orders: accept or hold, with reasons. 审单", no_args_is_help=True)
ShopOpt = Annotated[str | None, typer.Option("--shop", help="shop name, or platform:name / 店铺")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print only JSON")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="review")


def refuse(message: str) -> typer.Exit:
    err_console.print(f"[red]refused / 拒绝:[/] {escape(message)}", soft_wrap=True)  # one line
    return typer.Exit(2)


def shop_ids(engine: object, shop: str | None) -> list[int] | None:
    from lanshou.shops.model import select_shops
    from lanshou.shops.store import load_shops

    if shop is None:
        return None
    with engine.connect() as conn:  # type: ignore[attr-defined]
        try:
            return list(select_shops(load_shops(conn), shop))
        except LookupError as exc:
            raise refuse(str(exc.args[0])) from None


@app.command("run")
def run_cmd(shop: ShopOpt = None, as_json: JsonOpt = False) -> None:
    """Review every paid order not yet reviewed. 审核所有未审的已付款订单."""
    from lanshou.review.run import review_orders

    engine = database()
    wanted = shop_ids(engine, shop)
    with progress_bar("reviewing 审单", None) as progress:
        report = review_orders(engine, shop_ids=wanted, actor="system", progress=progress)
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
        return
    console.print(
        f"reviewed {len(report.results)}: {report.accepted} accepted, {report.held} held. "
        f"审核 {len(report.results)} 单：通过 {report.accepted}，暂停 {report.held}"
    )
    held = [r for r in report.results if r.state == "held"][:50]
    if held:
        table = Table(title="暂停 held")
        table.add_column("订单 order", no_wrap=True)
        for column in ("店铺 shop", "原因 reasons"):
            table.add_column(column)
        for r in held:
            table.add_row(escape(r.order_no), escape(r.shop), escape("; ".join(r.reasons)))
        console.print(table)


@app.command("list")
def list_cmd(
    state: Annotated[str | None, typer.Option("--state", help="accepted | held | cancelled")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 200,
    as_json: JsonOpt = False,
) -> None:
    """Reviewed orders, most urgent first. 审单结果."""
    from lanshou.review.queries import review_states

    with database().connect() as conn:
        rows = review_states(conn, state, limit)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"审单 review ({len(rows)})")
    table.add_column("订单 order", no_wrap=True)
    for column in ("状态 state", "优先 prio", "仓 wh", "原因 reasons", "标签 tags"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            escape(r["order_id"]),
            r["state"],
            str(r["priority"]),
            escape(r["warehouse"]),
            escape("; ".join(r["reasons"])),
            escape(",".join(r["tags"])),
        )
    console.print(table)


@app.command("auto")
def auto_cmd(
    shop: Annotated[str, typer.Option("--shop", help="shop name / 店铺")],
    on: Annotated[bool, typer.Option("--on/--off", help="review each import automatically (default off)")],
) -> None:
    """Turn a shop's auto-review after each import on or off. 自动审单开关."""
    from lanshou.review.settings import set_shop_setting

    engine = database()
    ids = shop_ids(engine, shop) or []
    with engine.begin() as conn:
        for shop_id in ids:
            set_shop_setting(conn, shop_id, "auto_review", on)
    console.print(f"auto-review {'on 开' if on else 'off 关'}: {escape(shop)}")


@app.command("blacklist")
def blacklist_cmd(
    kind: Annotated[str, typer.Argument(help="buyer | phone | address")],
    value: Annotated[str, typer.Argument(help="buyer id, phone, or full address (省市区+地址)")],
    note: Annotated[str, typer.Option("--note", help="why / 原因")] = "",
    remove: Annotated[bool, typer.Option("--remove", help="take it off the list")] = False,
) -> None:
    """Add to (or remove from) the review blacklist. 黑名单."""
    from lanshou.review.settings import BlacklistError, set_blacklisted

    now = datetime.now(UTC).replace(tzinfo=None)
    with database().begin() as conn:
        try:
            changed = set_blacklisted(conn, kind, value, not remove, note, now)
        except BlacklistError as exc:
            raise refuse(str(exc)) from None
    console.print(f"{'removed 已移除' if remove else 'listed 已加入'}: {kind} ({changed})")


def user() -> str:
    return getpass.getuser()
