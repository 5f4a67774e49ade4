"""`lanshou rules add|list|remove|enable|disable|test`: the merchant's rules (CEL conditions, actions)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lanshou.cli.common import console, database, err_console

app = typer.Typer(help="Rules for review, priority, carriers, notifications. 规则", no_args_is_help=True)
ShopOpt = Annotated[str | None, typer.Option("--shop", help="shop name, or platform:name / 店铺")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="rules")


def refuse(message: str) -> typer.Exit:
    err_console.print(f"[red]refused / 拒绝:[/] {escape(message)}", soft_wrap=True)  # one line
    return typer.Exit(2)


def shop_id_of(conn: object, shop: str | None) -> int:
    from lanshou.shops.model import select_shops
    from lanshou.shops.store import load_shops

    if shop is None:
        return 0
    try:
        return next(iter(select_shops(load_shops(conn), shop)))  # type: ignore[arg-type]
    except LookupError as exc:
        raise refuse(str(exc.args[0])) from None


@app.command("add")
def add_cmd(
    name: Annotated[str, typer.Argument(help="rule name / 规则名")],
    condition: Annotated[str, typer.Argument(help='CEL condition, e.g. "amount > 2000.0"')],
    action: Annotated[
        str, typer.Argument(help="accept | hold:REASON | tag:NAME | priority:0-9 | carrier:CODE")
    ],
    scope: Annotated[str, typer.Option("--scope", help="review | priority | carrier | notify")] = "review",
    position: Annotated[
        int | None, typer.Option("--position", help="order among rules (default: last)")
    ] = None,
    shop: ShopOpt = None,
    replace: Annotated[bool, typer.Option("--replace", help="replace a rule of the same name")] = False,
    disabled: Annotated[bool, typer.Option("--disabled", help="save it switched off")] = False,
) -> None:
    """Save a rule: it is compiled and checked first; a bad one is refused with line, column and reason."""
    from lanshou.rules import ActionError, RuleError
    from lanshou.rules.store import add_rule

    engine = database()
    with engine.begin() as conn:
        shop_id = shop_id_of(conn, shop)
        try:
            saved = add_rule(
                conn,
                name,
                scope,
                condition,
                action,
                position=position,
                shop_id=shop_id,
                enabled=not disabled,
                replace=replace,
            )
        except (RuleError, ActionError) as exc:
            raise refuse(str(exc)) from None
    console.print(
        f"saved 已保存: {escape(saved.name)} [{saved.scope} #{saved.position}] {escape(saved.action)}"
    )


@app.command("list")
def list_cmd(
    scope: Annotated[str | None, typer.Option("--scope", help="only this scope")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print only JSON")] = False,
) -> None:
    """The saved rules, in the order they are checked. 规则列表."""
    from lanshou.rules.store import list_rules
    from lanshou.shops.store import load_shops

    with database().connect() as conn:
        rules = list_rules(conn, scope)
        names = {i: f"{s.platform}:{s.shop}" for i, s in load_shops(conn).items()}
    if as_json:
        print(json.dumps([rule.as_json(names) for rule in rules], ensure_ascii=False))
        return
    table = Table(title=f"规则 rules ({len(rules)})")
    for column in ("#", "name 名称", "scope 范围", "shop 店铺", "condition 条件", "action 动作", "on 启用"):
        table.add_column(column)
    for rule in rules:
        row = rule.as_json(names)
        table.add_row(
            str(rule.position),
            escape(rule.name),
            rule.scope,
            escape(row["shop"]),
            escape(rule.condition),
            escape(rule.action),
            "✓" if rule.enabled else "-",
        )
    console.print(table)


@app.command("remove")
def remove_cmd(name: Annotated[str, typer.Argument(help="rule name")], shop: ShopOpt = None) -> None:
    """Delete a rule (--shop when several shops have one of that name). 删除规则."""
    from lanshou.rules import RuleError
    from lanshou.rules.store import remove_rule

    with database().begin() as conn:
        try:
            if not remove_rule(conn, name, _shop_id(conn, shop)):
                raise refuse(f"no rule named {name!r} 没有这条规则")
        except RuleError as exc:
            raise refuse(str(exc)) from None
    console.print(f"removed 已删除: {escape(name)}")


@app.command("enable")
def enable_cmd(name: Annotated[str, typer.Argument(help="rule name")], shop: ShopOpt = None) -> None:
    """Switch a rule on. 启用."""
    _switch(name, True, shop)


@app.command("disable")
def disable_cmd(name: Annotated[str, typer.Argument(help="rule name")], shop: ShopOpt = None) -> None:
    """Switch a rule off. 停用."""
    _switch(name, False, shop)


def _shop_id(conn: object, shop: str | None) -> int | None:
    return shop_id_of(conn, shop) if shop else None  # no --shop: whichever shop has the name


def _switch(name: str, on: bool, shop: str | None) -> None:
    from lanshou.rules import RuleError
    from lanshou.rules.store import set_enabled

    with database().begin() as conn:
        try:
            if not set_enabled(conn, name, on, _shop_id(conn, shop)):
                raise refuse(f"no rule named {name!r} 没有这条规则")
        except RuleError as exc:
            raise refuse(str(exc)) from None
    console.print(f"{'enabled 已启用' if on else 'disabled 已停用'}: {escape(name)}")


@app.command("test")
def test_cmd(
    rule: Annotated[str, typer.Argument(help="a saved rule's name, or a condition to try")],
    order: Annotated[str, typer.Option("--order", help="order number / 订单号")],
    shop: ShopOpt = None,
    action: Annotated[str, typer.Option("--action", help="action for a condition tried inline")] = "tag:test",
) -> None:
    """What one rule decides for one order (nothing is saved or changed). 测试规则."""
    from lanshou.review.explain import RuleTestError, try_rule

    with database().connect() as conn:
        try:
            print(try_rule(conn, rule, order, shop, action))
        except RuleTestError as exc:
            raise refuse(str(exc)) from None
