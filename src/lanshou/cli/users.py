"""`lanshou users …`: accounts for the pages and the API — add, passwd, role, grant/revoke shops,
disable/enable, API tokens, and the record of every change. The use cases are in `lanshou.accounts`."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, NoReturn, Protocol, TypeVar

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from lanshou.accounts.errors import AccountError
from lanshou.accounts.roles import ROLE_LABELS, Role, parse_role
from lanshou.cli.common import console, database, err_console
from lanshou.cli.render import JsonOpt, print_json

if TYPE_CHECKING:  # the use cases themselves are imported when a command runs (a fast `--help`)
    from sqlalchemy import Engine

    from lanshou.accounts.admin import UserUpdate

    ShopsChange = Callable[[Engine, str, list[str] | None, str], UserUpdate]

app = typer.Typer(
    help="Users, roles, shop grants and API tokens. 用户、角色、店铺授权与 API 令牌", no_args_is_help=True
)

ROLE_HELP = ", ".join(f"{role.value} ({ROLE_LABELS[role][0]})" for role in Role)
NameArg = Annotated[str, typer.Argument(help="login name / 用户名")]
ByOpt = Annotated[str | None, typer.Option("--by", help="who makes the change (default: the login name)")]
PasswordStdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input")
]
ShopsArg = Annotated[
    list[str] | None, typer.Argument(help="shop names (or platform/name) / 店铺", show_default=False)
]
AllShopsOpt = Annotated[bool, typer.Option("--all-shops", help="every shop, present and future / 全部店铺")]

DONE = {
    "password": "已修改密码 password changed",
    "role": "已修改角色 role changed",
    "grant": "已授权店铺 shops granted",
    "revoke": "已收回店铺 shops withdrawn",
    "disable": "已停用 disabled",
    "enable": "已启用 enabled",
    "revoke_token": "已吊销令牌 token revoked",
}


@app.command("add")
def add_cmd(
    name: NameArg,
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
    shops: Annotated[
        str | None,
        typer.Option("--shops", help="comma-separated shop names (or platform/name); owners default to all"),
    ] = None,
    password_stdin: PasswordStdinOpt = False,
    by: ByOpt = None,
) -> None:
    """Add a user. 添加用户（密码从提示或标准输入读取）."""
    from lanshou.accounts.service import add_user

    try:
        parsed_role = parse_role(role)
    except AccountError as exc:
        raise typer.BadParameter(str(exc), param_hint="--role") from None
    password = _read_password(password_stdin)
    shop_list = None if shops is None else _split(shops)
    try:
        user = add_user(database(), name, password, parsed_role, shop_list, actor=_actor(by))
    except AccountError as exc:
        _fail(str(exc))
    scope = "all shops 全部店铺" if user.all_shops else ", ".join(shop_list or [])
    console.print(
        f"Added {user.role.value} {escape(user.name)} ({escape(scope)}). 已添加用户 {escape(user.name)}"
    )


@app.command("passwd")
def passwd_cmd(name: NameArg, password_stdin: PasswordStdinOpt = False, by: ByOpt = None) -> None:
    """Set a new password; the user's browser sessions end. 修改密码（该用户的网页会话随即失效）."""
    from lanshou.accounts.admin import change_password

    password = _read_password(password_stdin)
    _report(lambda: change_password(database(), name, password, _actor(by)))


@app.command("role")
def role_cmd(name: NameArg, role: Annotated[str, typer.Argument(help=ROLE_HELP)], by: ByOpt = None) -> None:
    """Change a user's role (the last active owner stays one). 修改角色."""
    from lanshou.accounts.admin import set_role

    _report(lambda: set_role(database(), name, parse_role(role), _actor(by)))


@app.command("grant")
def grant_cmd(
    name: NameArg, shops: ShopsArg = None, all_shops: AllShopsOpt = False, by: ByOpt = None
) -> None:
    """Grant shops, or every shop with --all-shops. 授权店铺."""
    from lanshou.accounts.admin import grant_shops

    _change_shops(grant_shops, name, shops, all_shops, by)


@app.command("revoke")
def revoke_cmd(
    name: NameArg, shops: ShopsArg = None, all_shops: AllShopsOpt = False, by: ByOpt = None
) -> None:
    """Withdraw shops, or every shop with --all-shops. 收回店铺."""
    from lanshou.accounts.admin import revoke_shops

    _change_shops(revoke_shops, name, shops, all_shops, by)


@app.command("disable")
def disable_cmd(name: NameArg, by: ByOpt = None) -> None:
    """Disable a user: their sessions and API tokens stop working at once. 停用（会话与令牌立即失效）."""
    from lanshou.accounts.admin import set_active

    _report(lambda: set_active(database(), name, False, _actor(by)))


@app.command("enable")
def enable_cmd(name: NameArg, by: ByOpt = None) -> None:
    """Enable a disabled user again (they sign in anew; their tokens work again). 启用."""
    from lanshou.accounts.admin import set_active

    _report(lambda: set_active(database(), name, True, _actor(by)))


@app.command("token")
def token_cmd(
    name: NameArg,
    label: Annotated[str, typer.Option("--label", help="what the token is for")] = "",
    by: ByOpt = None,
) -> None:
    """Issue an API token and print it (shown only this once). 生成 API 令牌（仅显示一次）."""
    from lanshou.accounts.service import issue_token

    try:
        token = issue_token(database(), name, label, actor=_actor(by))
    except AccountError as exc:
        _fail(str(exc))
    err_console.print("[yellow]Store it now: it is shown only once. 请立即保存，仅显示一次。[/]")
    print(token)  # plain stdout, so `TOKEN=$(lanshou users token NAME)` works


@app.command("tokens")
def tokens_cmd(name: NameArg, as_json: JsonOpt = False) -> None:
    """List a user's API tokens: id, hint, label, created (never the token). 列出令牌."""
    from lanshou.accounts.admin import list_tokens

    tokens = _listed(lambda: list_tokens(database(), name), as_json)
    if tokens is None:
        return
    table = _table(
        f"Tokens 令牌: {name.strip().casefold()}", "id", "提示 Hint", "用途 Label", "创建 Created (UTC)"
    )
    for token in tokens:
        table.add_row(str(token.id), token.hint, escape(token.label), f"{token.created_at:%Y-%m-%d %H:%M}")
    console.print(table if tokens else "No tokens. 没有令牌")


@app.command("revoke-token")
def revoke_token_cmd(
    name: NameArg,
    token: Annotated[
        str, typer.Argument(help="the token's id or hint (see `users tokens`) / 令牌编号或提示")
    ],
    by: ByOpt = None,
) -> None:
    """Revoke an API token: refused from the next request. 吊销令牌."""
    from lanshou.accounts.admin import revoke_token

    _report(lambda: revoke_token(database(), name, token, _actor(by)))


@app.command("changes")
def changes_cmd(
    name: Annotated[str | None, typer.Argument(help="one user (default: all) / 用户")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every change made to users, newest first: who and when. 用户变更记录."""
    from lanshou.accounts.admin import user_changes

    changes = _listed(lambda: user_changes(database(), name), as_json)
    if changes is None:
        return
    table = _table(
        "User changes 用户变更", "时间 At (UTC)", "用户 User", "变更 Change", "说明 Detail", "操作人 By"
    )
    for c in changes:
        table.add_row(f"{c.at:%Y-%m-%d %H:%M}", escape(c.user), c.kind, escape(c.detail), escape(c.actor))
    console.print(table if changes else "No changes recorded. 没有变更记录")


@app.command("list")
def list_cmd(as_json: JsonOpt = False) -> None:
    """List users with their roles and shops. 列出用户."""
    from lanshou.accounts.service import list_users

    listings = list_users(database())
    if as_json:
        print_json([item.as_json() for item in listings])
        return
    if not listings:
        console.print("No users yet: `lanshou users add NAME --role owner`. 还没有用户")
        return
    table = _table("Users 用户", "用户 User", "角色 Role", "店铺 Shops", "令牌 Tokens", "状态 Active")
    for item in listings:
        user = item.user
        shops = "全部 all" if user.all_shops else ", ".join(item.shops) or "-"
        zh, en = ROLE_LABELS[user.role]
        active = "yes 启用" if user.active else "no 停用"
        table.add_row(escape(user.name), f"{zh} {en}", escape(shops), str(item.tokens), active)
    console.print(table)


class _Listed(Protocol):
    def as_json(self) -> dict[str, object]: ...


Listed = TypeVar("Listed", bound=_Listed)


def _listed(read: Callable[[], list[Listed]], as_json: bool) -> list[Listed] | None:
    """What `read` returns for a table, or None once it is printed as JSON; a refusal in one line."""
    try:
        items = read()
    except AccountError as exc:
        _fail(str(exc))
    if as_json:
        print_json([item.as_json() for item in items])
        return None
    return items


def _report(update: Callable[[], UserUpdate]) -> None:
    """Run a change and say in one line what it did (or that it was so already); refusals in one line."""
    try:
        done = update()
    except AccountError as exc:
        _fail(str(exc))
    user = done.user
    if not done.changed:
        scope = "全部店铺 all shops" if user.all_shops else "granted shops 授权店铺"
        state = "active 启用" if user.active else "disabled 停用"
        console.print(
            f"无变化 unchanged: {escape(user.name)} ({user.role.value}, {scope}, {state})", soft_wrap=True
        )
        return
    detail = f": {done.detail}" if done.detail else ""
    console.print(f"{DONE[done.kind]} {escape(user.name)}{escape(detail)}", soft_wrap=True)


def _change_shops(
    use_case: ShopsChange, name: str, shops: list[str] | None, all_shops: bool, by: str | None
) -> None:
    """Grant or withdraw the shops named (commas split too), or every shop (--all-shops): one of the two."""
    named = [part for text in shops or [] for part in _split(text)]
    if all_shops == bool(named):
        _fail("请给出店铺或 --all-shops name shops, or --all-shops (not both)")
    wanted = None if all_shops else named
    _report(lambda: use_case(database(), name, wanted, _actor(by)))


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _actor(by: str | None) -> str:
    return by or getpass.getuser()


def _table(title: str, *headers: str) -> RichTable:
    table = RichTable(title=title)
    for header in headers:
        table.add_column(header)
    return table


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            _fail("标准输入没有密码 no password on standard input")
        return line
    prompted: str = typer.prompt("Password 密码", hide_input=True, confirmation_prompt=True)
    return prompted


def _fail(message: str) -> NoReturn:
    err_console.print(f"[red]拒绝 refused: {escape(message)}[/]", soft_wrap=True)
    raise typer.Exit(code=1)
