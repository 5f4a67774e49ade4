"""`lanshou shops list|set`: the shops and their timezones. 店铺"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from lanshou.cli.common import console, database, err_console
from lanshou.cli.render import compact_table, print_json

app = typer.Typer(help="Shops and their timezones. 店铺", no_args_is_help=True)


@app.command("list")
def list_cmd(as_json: Annotated[bool, typer.Option("--json", help="print only JSON")] = False) -> None:
    """Every shop with its platform and timezone. 店铺列表"""
    from lanshou.shops.service import list_shops

    found = list_shops(database())
    if as_json:
        print_json(found)
        return
    table = compact_table("shops 店铺", ["id", "platform 平台", "shop 店铺", "timezone 时区"])
    for shop in found:
        table.add_row(str(shop["id"]), shop["platform"], escape(shop["shop"]), shop["timezone"])
    console.print(table)


@app.command("set")
def set_cmd(
    shop: Annotated[str, typer.Argument(help="shop name, or platform:name / 店铺")],
    timezone: Annotated[str, typer.Option("--timezone", help="e.g. Asia/Shanghai / 时区")],
) -> None:
    """Change a shop's timezone; its rollups are derived again. 修改店铺时区"""
    from lanshou.shops.service import set_timezone

    try:
        changed = set_timezone(database(), shop, timezone)
    except (LookupError, ValueError) as exc:
        err_console.print(f"[red]{escape(str(exc.args[0] if exc.args else exc))}[/]", soft_wrap=True)
        raise typer.Exit(2) from None
    for one in changed:
        console.print(f"{one['platform']}:{escape(one['shop'])} → {one['timezone']}")
