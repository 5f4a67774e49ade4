"""`lanshou users add|token|list`: accounts for the pages and the API."""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer
from rich.table import Table as RichTable

from lanshou.accounts.errors import AccountError
from lanshou.accounts.roles import ROLE_LABELS, Role, parse_role
from lanshou.cli.common import console, database, err_console

app = typer.Typer(
    help="Users, roles, shop grants and API tokens. 用户、角色、店铺授权与 API 令牌", no_args_is_help=True
)

ROLE_HELP = ", ".join(f"{role.value} ({ROLE_LABELS[role][0]})" for role in Role)


@app.command("add")
def add_cmd(
    name: Annotated[str, typer.Argument(help="login name / 用户名")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
    shops: Annotated[
        str | None,
        typer.Option("--shops", help="comma-separated shop names (or platform/name); owners default to all"),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Add a user. 添加用户（密码从提示或标准输入读取）."""
    from lanshou.accounts.service import add_user

    try:
        parsed_role = parse_role(role)
    except AccountError as exc:
        raise typer.BadParameter(str(exc), param_hint="--role") from None
    password = _read_password(password_stdin)
    shop_list = None if shops is None else [part for part in shops.split(",") if part.strip()]
    try:
        user = add_user(database(), name, password, parsed_role, shop_list)
    except AccountError as exc:
        _fail(str(exc))
    scope = "all shops 全部店铺" if user.all_shops else ", ".join(shop_list or [])
    console.print(f"Added {user.role.value} {user.name} ({scope}). 已添加用户 {user.name}")


@app.command("token")
def token_cmd(
    name: Annotated[str, typer.Argument(help="login name / 用户名")],
    label: Annotated[str, typer.Option("--label", help="what the token is for")] = "",
) -> None:
    """Issue an API token and print it (shown only this once). 生成 API 令牌（仅显示一次）."""
    from lanshou.accounts.service import issue_token

    try:
        token = issue_token(database(), name, label)
    except AccountError as exc:
        _fail(str(exc))
    err_console.print("[yellow]Store it now: it is shown only once. 请立即保存，仅显示一次。[/]")
    print(token)  # plain stdout, so `TOKEN=$(lanshou users token NAME)` works


@app.command("list")
def list_cmd() -> None:
    """List users with their roles and shops. 列出用户."""
    from lanshou.accounts.service import list_users

    listings = list_users(database())
    if not listings:
        console.print("No users yet: `lanshou users add NAME --role owner`. 还没有用户")
        return
    table = RichTable(title="Users 用户")
    for header in ("用户 User", "角色 Role", "店铺 Shops", "令牌 Tokens", "状态 Active"):
        table.add_column(header)
    for item in listings:
        user = item.user
        shops = "全部 all" if user.all_shops else ", ".join(item.shops) or "-"
        zh, en = ROLE_LABELS[user.role]
        active = "yes 启用" if user.active else "no 停用"
        table.add_row(user.name, f"{zh} {en}", shops, str(item.tokens), active)
    console.print(table)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            _fail("标准输入没有密码 no password on standard input")
        return line
    prompted: str = typer.prompt("Password 密码", hide_input=True, confirmation_prompt=True)
    return prompted


def _fail(message: str) -> NoReturn:
    err_console.print(f"[red]拒绝 refused: {message}[/]")
    raise typer.Exit(code=1)
