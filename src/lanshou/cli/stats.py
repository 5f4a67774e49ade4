"""`lanshou stats`: business statistics (经营统计) for a period, with the change against the one before."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from lanshou.cli.common import console, database, err_console


def register(root: typer.Typer) -> None:
    root.command("stats")(stats_cmd)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f}%"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def stats_cmd(
    first: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="first local day (default: 30 days ago)"),
    ] = None,
    last: Annotated[
        datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help="last local day, inclusive (default: today)"),
    ] = None,
    shop: Annotated[str | None, typer.Option("--shop", help="shop name, or platform:name / 店铺")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print only the JSON object")] = False,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="also write the report to this XLSX file")
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="recompute every statistic from the orders first")
    ] = False,
) -> None:
    """Orders, sales, categories, provinces, returns, repeat purchases, after-sales cost. 经营统计."""
    from lanshou.cli.metrics_summary import today
    from lanshou.shops.model import select_shops
    from lanshou.shops.store import load_shops
    from lanshou.stats.refresh import catch_up_stats
    from lanshou.stats.refresh import rebuild as rebuild_stats
    from lanshou.stats.report import stats_report

    end = last.date() if last else today()
    start = first.date() if first else end - timedelta(days=29)
    if end < start:
        err_console.print(f"[red]--to {end} is before --from {start} / 结束日期早于开始日期[/]")
        raise typer.Exit(2)
    engine = database()
    if rebuild:
        rebuild_stats(engine)
    catch_up_stats(engine)  # what the imports marked and the stats.catch_up job has not derived yet
    with engine.connect() as conn:
        shops = load_shops(conn)
        try:
            ids = None if shop is None else tuple(select_shops(shops, shop))
        except LookupError as exc:
            err_console.print(f"[red]unknown shop / 没有这个店铺:[/] {escape(str(exc.args[0]))}")
            raise typer.Exit(2) from None
        report = stats_report(conn, start, end, ids)
    if xlsx is not None:
        from lanshou.stats.workbook import write_report

        write_report(xlsx, report)
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
        return
    _print(report, start, end)
    if xlsx is not None:
        console.print(f"Written to {xlsx}. 已导出")


def _print(report: dict[str, Any], start: date, end: date) -> None:
    t, c = report["totals"], report["change"]
    summary = Table(
        title=f"经营统计 {start} – {end} (vs {report['previous']['from']} – {report['previous']['to']})"
    )
    for column in ("figure 指标", "value 数值", "previous 上期", "change 环比"):
        summary.add_column(column)
    names = {
        "orders": "订单数 orders",
        "sales": "销售额 sales",
        "avg_order": "客单价 avg order",
        "repeat_rate": "复购率 repeat rate",
        "returns": "退货 returns",
        "return_rate": "退货率 return rate",
        "refunded": "退款 refunded",
        "resent": "补发/换货 resent",
        "aftersales_cost": "售后成本 after-sales cost",
    }
    for key, title in names.items():
        value, before = t[key], report["previous_totals"][key]
        if key.endswith("rate"):
            value, before = _share(value), _share(before)
        summary.add_row(title, str(value), str(before), _pct(c.get(key)))
    console.print(summary)
    for key, title in (
        ("categories", "类目占比 categories"),
        ("provinces", "省份 provinces"),
        ("products", "商品 products"),
    ):
        table = Table(title=title)
        rows = report[key][:10]
        if not rows:
            continue
        for column in rows[0]:
            table.add_column(column)
        for row in rows:
            table.add_row(*(escape(str(row[col])) if col != "share" else _share(row[col]) for col in row))
        console.print(table)
    if report["returns_by_sku"]:
        table = Table(title="退货率 return rate by SKU")
        for column in ("sku", "orders", "returns", "rate"):
            table.add_column(column)
        for row in report["returns_by_sku"][:10]:
            table.add_row(
                escape(row["sku"]), str(row["orders"]), str(row["returns"]), _share(row["return_rate"])
            )
        console.print(table)
    if report["damage_by_carrier"]:
        table = Table(title="破损/少件 damage and loss by carrier")
        for column in ("carrier", "reason", "cases", "refunded"):
            table.add_column(column)
        for row in report["damage_by_carrier"]:
            table.add_row(escape(row["carrier"]), row["reason_code"], str(row["cases"]), row["refunded"])
        console.print(table)
    if report["feedback_themes"]:
        table = Table(title="差评问题 feedback themes")
        table.add_column("theme")
        table.add_column("count")
        for row in report["feedback_themes"][:10]:
            table.add_row(escape(row["theme"]), str(row["count"]))
        console.print(table)
    if report["returns_by_reason"]:
        table = Table(title="售后原因 reasons")
        for column in ("reason", "returns", "cases", "refunded"):
            table.add_column(column)
        for row in report["returns_by_reason"]:
            table.add_row(escape(row["reason_code"]), str(row["returns"]), str(row["cases"]), row["refunded"])
        console.print(table)
