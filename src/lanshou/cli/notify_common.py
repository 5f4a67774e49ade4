"""What the `lanshou notify` command modules share: options, shop lookup, refusing bad input."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from lanshou.cli.common import database, err_console
from lanshou.cli.render import unknown_shop

JsonOpt = Annotated[bool, typer.Option("--json", help="print only JSON")]
ShopOpt = Annotated[str | None, typer.Option("--shop", help="shop name (or platform:name)")]
ShopReq = Annotated[str, typer.Option("--shop", help="shop name (or platform:name)")]
LangOpt = Annotated[str, typer.Option("--language", help="zh-CN or en")]


def refuse(exc: Exception) -> typer.Exit:
    err_console.print(f"[red]{escape(str(exc))}[/]")
    return typer.Exit(2)


def shop_ids(wanted: str | None) -> list[int] | None:
    from lanshou.shops.model import select_shops
    from lanshou.shops.store import load_shops

    if wanted is None:
        return None
    with database().connect() as conn:
        known = load_shops(conn)
    try:
        return sorted(select_shops(known, wanted))
    except LookupError as exc:
        raise unknown_shop(exc) from None


def one_shop(wanted: str) -> int:
    ids = shop_ids(wanted) or []
    if len(ids) != 1:
        raise refuse(ValueError(f"店铺不唯一 {wanted!r} names {len(ids)} shops: use platform:name"))
    return ids[0]
