"""`lanshou followups list|assign|close`: follow-ups of negative feedback (客户回访); --json: only JSON."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lanshou.cli.common import console, database, err_console

app = typer.Typer(help="Follow-ups of negative feedback. 差评回访: list, assign, close", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="print only JSON")]
IdArg = Annotated[int, typer.Argument(help="follow-up id (from `followups list`)")]
UserOpt = Annotated[str | None, typer.Option("--by", help="who (default: the login name)")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="followups")


@app.command("list")
def list_cmd(
    shop: Annotated[str | None, typer.Option("--shop", help="shop name, or platform:name / 店铺")] = None,
    include_closed: Annotated[bool, typer.Option("--all", help="closed ones too / 含已关闭")] = False,
    owner: Annotated[str | None, typer.Option("--owner", help="one owner's tasks / 负责人")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="past their due time only / 已超时")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 500,
    unmask: Annotated[
        bool, typer.Option("--unmask", help="the buyer's name and phone whole / 显示完整姓名电话")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Open follow-ups, soonest due first, with what the buyer wrote and whom to call (masked unless
    --unmask). 回访任务."""
    from lanshou.followups.service import list_json
    from lanshou.orders.facts import now_utc

    try:
        rows = list_json(database(), now_utc(), shop, include_closed, owner, overdue, limit, unmask=unmask)
    except LookupError as exc:
        err_console.print(f"[red]{escape(str(exc.args[0]))}[/]")
        raise typer.Exit(2) from None
    if unmask:
        err_console.print(
            "[yellow]Warning: personal data is shown unmasked. 注意：显示完整的个人信息，请妥善保管。[/]"
        )
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"回访任务 follow-ups ({len(rows)})")
    for column in (
        "id",
        "order 订单",
        "shop 店铺",
        "rating 评分",
        "themes 问题",
        "feedback 评价",
        "buyer 买家",
        "owner 负责人",
        "due 截止 (UTC)",
        "state",
    ):
        table.add_column(column)
    for r in rows:
        state = r["outcome"] or ("[red]overdue 超时[/]" if r["overdue"] else r["status"])
        table.add_row(
            str(r["id"]),
            escape(r["order_no"]),
            escape(r["shop"]),
            str(r["rating"] or "-"),
            escape(", ".join(r["themes"]) or "-"),
            escape(_short(r["feedback"]) or "-"),
            escape(" ".join(filter(None, (r["buyer"]["name"], r["buyer"]["phone"]))) or "-"),
            escape(r["owner"] or "未分配"),
            r["due_at"][:16],
            state,
        )
    console.print(table)


def _short(text: str, most: int = 40) -> str:
    """A feedback's first `most` characters, on one line: the table keeps a row a line."""
    line = " ".join(text.split())
    return line if len(line) <= most else line[: most - 1] + "…"


def _done(job: object, as_json: bool, words: str) -> None:
    if as_json:
        print(json.dumps(job, ensure_ascii=False))
    else:
        console.print(words)


@app.command("assign")
def assign_cmd(
    followup_id: IdArg,
    owner: Annotated[str, typer.Option("--owner", help="who follows up / 负责人")],
    by: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a follow-up to someone. 指派."""
    from lanshou.followups.service import FollowupRefused, assign
    from lanshou.orders.facts import now_utc

    try:
        data = assign(database(), followup_id, owner, by or getpass.getuser(), now_utc())
    except FollowupRefused as exc:
        err_console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(2) from None
    _done(data, as_json, f"回访 {followup_id} → {escape(owner)}")


@app.command("close")
def close_cmd(
    followup_id: IdArg,
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome", help="resolved|compensated|refunded|reshipped|revised|unreachable|no_action"
        ),
    ],
    note: Annotated[str, typer.Option("--note", help="what was done / 备注")] = "",
    by: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a follow-up with its outcome. 完成回访."""
    from lanshou.followups.service import FollowupRefused, close
    from lanshou.orders.facts import now_utc

    try:
        data = close(database(), followup_id, outcome, by or getpass.getuser(), now_utc(), note)
    except FollowupRefused as exc:
        err_console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(2) from None
    _done(data, as_json, f"回访 {followup_id} 已完成 closed: {outcome}")
