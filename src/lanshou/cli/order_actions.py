"""`lanshou orders accept|hold|cancel|merge|unmerge ID…` and `lanshou orders split ORDER --lines …`: staff
act on orders (审单操作)."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import Engine, select

from lanshou.cli.common import console, database, err_console
from lanshou.cli.render import print_json

IdsArg = Annotated[list[str], typer.Argument(help="order numbers / 订单号")]
ShopOpt = Annotated[str | None, typer.Option("--shop", help="shop name, or platform:name / 店铺")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="why / 原因")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print only JSON")]


def register(app: typer.Typer) -> None:
    app.command("accept")(accept_cmd)
    app.command("hold")(hold_cmd)
    app.command("cancel")(cancel_cmd)
    app.command("merge")(merge_cmd)
    app.command("unmerge")(unmerge_cmd)
    app.command("split")(split_cmd)


def _refuse(message: str) -> typer.Exit:
    err_console.print(f"[red]refused / 拒绝:[/] {escape(message)}", soft_wrap=True)  # one line
    return typer.Exit(2)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _keys(engine: Engine, ids: Sequence[str], shop: str | None) -> list[tuple[int, str]]:
    """Each id names exactly one order (in --shop when given), or nothing is done."""
    from lanshou.orders.tables import orders
    from lanshou.shops.model import select_shops
    from lanshou.shops.store import load_shops

    wanted = [i.strip() for i in ids if i.strip()]
    if not wanted:
        raise _refuse("no order numbers given 未指定订单号")
    with engine.connect() as conn:
        try:
            shop_ids = list(select_shops(load_shops(conn), shop))
        except LookupError as exc:
            raise _refuse(str(exc.args[0])) from None
        o = orders.c
        rows = conn.execute(
            select(o.shop_id, o.order_no).where(o.order_no.in_(wanted), o.shop_id.in_(shop_ids))
        ).all()
    found: dict[str, list[int]] = {}
    for row in rows:
        found.setdefault(row.order_no, []).append(row.shop_id)
    missing = [i for i in wanted if i not in found]
    if missing:
        raise _refuse(f"no such order 订单不存在: {', '.join(missing)}")
    twice = [i for i in wanted if len(found[i]) > 1]
    if twice:
        raise _refuse(f"in several shops, add --shop 多个店铺有此订单号: {', '.join(twice)}")
    return [(found[i][0], i) for i in wanted]


def _act(action: str, ids: list[str], shop: str | None, reason: str, as_json: bool) -> None:
    from lanshou.review.staff import ActionRefused, act

    engine = database()
    keys = _keys(engine, ids, shop)
    try:
        outcomes = act(engine, action, keys, _now(), getpass.getuser(), reason)
    except ActionRefused as exc:
        raise _refuse(str(exc)) from None
    if as_json:
        print_json([o.as_json() for o in outcomes])
    else:
        for o in outcomes:
            mark = "[green]✓[/]" if o.done else "[red]✗[/]"
            console.print(f"{mark} {escape(o.order_no)} {o.state} {escape(o.message)}")
    if not all(o.done for o in outcomes):
        raise typer.Exit(1)


def accept_cmd(ids: IdsArg, shop: ShopOpt = None, reason: ReasonOpt = "", as_json: JsonOpt = False) -> None:
    """Accept orders and reserve their stock (stock short: reported, left as it was). 审核通过."""
    _act("accept", ids, shop, reason, as_json)


def hold_cmd(ids: IdsArg, shop: ShopOpt = None, reason: ReasonOpt = "", as_json: JsonOpt = False) -> None:
    """Hold orders (their stock is released). 暂停."""
    _act("hold", ids, shop, reason, as_json)


def cancel_cmd(ids: IdsArg, shop: ShopOpt = None, reason: ReasonOpt = "", as_json: JsonOpt = False) -> None:
    """Cancel orders in review: they will not ship; their stock is released. 取消."""
    _act("cancel", ids, shop, reason, as_json)


def merge_cmd(ids: IdsArg, shop: ShopOpt = None) -> None:
    """Ship orders of one buyer and address together (合单)."""
    from lanshou.review.staff import ActionRefused, merge

    engine = database()
    keys = _keys(engine, ids, shop)
    try:
        group = merge(engine, keys, _now(), getpass.getuser())
    except ActionRefused as exc:
        raise _refuse(str(exc)) from None
    console.print(f"merged 已合单 ({len(keys)}): {escape(group)}")


def unmerge_cmd(ids: IdsArg, shop: ShopOpt = None) -> None:
    """Undo a merge (合单): each order ships on its own again. 拆开合单."""
    from lanshou.review.staff import ActionRefused, unmerge

    engine = database()
    keys = _keys(engine, ids, shop)
    try:
        changed = unmerge(engine, keys, _now(), getpass.getuser())
    except ActionRefused as exc:
        raise _refuse(str(exc)) from None
    console.print(f"unmerged 已拆开合单: {changed}")


def split_cmd(
    order_id: Annotated[str, typer.Argument(help="order number / 订单号")],
    lines: Annotated[
        list[str] | None,
        typer.Option(
            "--lines",
            help="line numbers of one shipment, e.g. 1,2; N:Q for Q units of line N, e.g. 1:3 (repeat for "
            "more shipments; the rest ship together) / 行号, 行号:件数",
        ),
    ] = None,
    shop: ShopOpt = None,
    reason: ReasonOpt = "",
    undo: Annotated[bool, typer.Option("--undo", help="ship the order whole again / 取消拆单")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Split an order into several shipments (拆单): each gets its own carrier, waybill, label and parcel.
    Lines are numbered as `lanshou orders show` lists them."""
    from lanshou.review.splitting import describe, parse_groups, split_order, unsplit_order
    from lanshou.review.staff import ActionRefused

    if undo and lines:
        raise _refuse("--undo takes no --lines 取消拆单不需要行号")
    if not undo and not lines:
        raise _refuse(
            "name the lines of each shipment with --lines 1,2 请用 --lines 指定行号 "
            "(to undo a merge 拆开合单: `lanshou orders unmerge ID…`)"
        )
    engine = database()
    ((key),) = _keys(engine, [order_id], shop)
    try:
        if undo:
            count = unsplit_order(engine, key, _now(), getpass.getuser(), reason)
            if as_json:
                print_json({"order_id": key[1], "unsplit": True, "was_shipments": count})
            else:
                console.print(f"{escape(key[1])}: 已取消拆单 ships whole again (was {count} shipments)")
            return
        done = split_order(engine, key, parse_groups(lines or []), _now(), getpass.getuser(), reason)
    except ActionRefused as exc:
        raise _refuse(str(exc)) from None
    if as_json:
        print_json(done.as_json())
        return
    console.print(f"{escape(key[1])}: 已拆单 split into {len(done.parts)} shipments")
    for n, part in enumerate(done.parts, start=1):
        console.print(f"  {n}) {escape(describe(part))}")
