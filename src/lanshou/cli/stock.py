"""`lanshou stock import|adjust|list|map`: stock counts, adjustments, the stock list, SKU mappings (库存)."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lanshou.cli.common import console, database, err_console

app = typer.Typer(help="Stock: counts, adjustments, low-stock alerts. 库存", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="stock")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _refuse(message: str, problems: list[tuple[int, str]] | None = None) -> typer.Exit:
    err_console.print(f"[red]refused / 拒绝:[/] {escape(message)}", soft_wrap=True)  # one line
    for line, reason in problems or []:
        err_console.print(f"  line {line}: {escape(reason)}", soft_wrap=True)
    return typer.Exit(2)


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV/XLSX with sku,warehouse,on_hand[,safety_stock]")],
) -> None:
    """Import a stock count: each row SETS on-hand (idempotent). 导入盘点数量."""
    from lanshou.files.tabular import FileRefused
    from lanshou.inventory.counts import StockError, import_counts

    try:
        report = import_counts(database(), file, _now(), getpass.getuser())
    except StockError as exc:
        raise _refuse(str(exc), exc.problems) from None
    except FileRefused as exc:
        raise _refuse(str(exc)) from None
    console.print(
        f"{report.rows} rows: {report.changed} changed, {report.created} new. "
        f"共 {report.rows} 行，{report.changed} 行有变化，新增 {report.created}"
    )


@app.command("adjust")
def adjust_cmd(
    sku: Annotated[str, typer.Argument(help="stock SKU")],
    delta: Annotated[int, typer.Argument(help="+N adds, -N takes away (use -- before a negative number)")],
    warehouse: Annotated[
        str | None,
        typer.Option("--warehouse", "-w", help="an existing warehouse / 仓库 (default: the SKU's only one)"),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="why / 原因")] = "",
) -> None:
    """Add to or take from on-hand in an existing warehouse (a count creates warehouses). 调整库存."""
    from lanshou.inventory.counts import StockError, adjust

    try:
        done = adjust(database(), sku, warehouse, delta, _now(), getpass.getuser(), reason)
    except StockError as exc:
        raise _refuse(str(exc)) from None
    console.print(f"{escape(done.sku)}@{escape(done.warehouse)}: on hand {done.on_hand} 现有 {done.on_hand}")


@app.command("list")
def list_cmd(
    low: Annotated[bool, typer.Option("--low", help="only at or below the safety level / 仅低库存")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print only JSON")] = False,
) -> None:
    """Stock per SKU and warehouse. 库存列表."""
    from lanshou.inventory.queries import list_stock

    with database().connect() as conn:
        rows = list_stock(conn, low=low)
    if as_json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False))
        return
    table = Table(title=f"库存 stock ({len(rows)})")
    for column in ("SKU", "仓库 warehouse", "在库 on hand", "占用 reserved", "可用 available", "安全 safety"):
        table.add_column(column)
    for row in rows:
        flag = "[red]" if row.low else ""
        table.add_row(
            escape(row.sku),
            escape(row.warehouse),
            str(row.on_hand),
            str(row.reserved),
            f"{flag}{row.available}",
            str(row.safety_stock),
        )
    console.print(table)


@app.command("map")
def map_cmd(
    platform_sku: Annotated[str, typer.Argument(help="the SKU orders carry / 平台商品编码")],
    parts: Annotated[list[str], typer.Argument(help="STOCK_SKU or STOCK_SKU*QTY (several: a bundle 套装)")],
    shop: Annotated[str | None, typer.Option("--shop", help="only this shop (default: every shop)")] = None,
) -> None:
    """Map a platform SKU to stock SKUs. 商品编码对应."""
    from lanshou.inventory.mapping import ALL_SHOPS, save_mappings
    from lanshou.shops.model import select_shops
    from lanshou.shops.store import load_shops

    components: list[tuple[str, int]] = []
    for part in parts:
        sku, _, quantity = part.partition("*")
        if not sku.strip() or (quantity and (not quantity.isdigit() or int(quantity) <= 0)):
            raise _refuse(f"{part!r}: write STOCK_SKU or STOCK_SKU*QTY with QTY a whole number ≥ 1")
        components.append((sku.strip(), int(quantity or 1)))
    engine = database()
    with engine.begin() as conn:
        shop_id = ALL_SHOPS
        if shop is not None:
            try:
                shop_id = next(iter(select_shops(load_shops(conn), shop)))
            except LookupError as exc:
                raise _refuse(str(exc)) from None
        save_mappings(conn, shop_id, platform_sku.strip(), components)
    console.print(f"{platform_sku} → " + " + ".join(f"{s}×{q}" for s, q in components))


@app.command("listable")
def listable_cmd(
    shop: Annotated[str, typer.Option("--shop", help="shop name, or platform:name / 店铺")],
    as_json: Annotated[bool, typer.Option("--json", help="print only JSON")] = False,
) -> None:
    """What a shop may list per stock SKU: available minus its `stock_buffer` setting. 可售数量."""
    from lanshou.inventory.queries import listable_quantities
    from lanshou.shops.model import select_shops
    from lanshou.shops.store import load_shops

    with database().connect() as conn:
        try:
            chosen = select_shops(load_shops(conn), shop)
        except LookupError as exc:
            raise _refuse(str(exc.args[0])) from None
        info = next(iter(chosen.values()))
        quantities = listable_quantities(conn, info.settings)
    if as_json:
        print(
            json.dumps([{"sku": k, "listable": v} for k, v in sorted(quantities.items())], ensure_ascii=False)
        )
        return
    table = Table(title=f"可售 listable: {escape(info.platform)}:{escape(info.shop)}")
    table.add_column("SKU")
    table.add_column("可售 listable")
    for sku, quantity in sorted(quantities.items()):
        table.add_row(escape(sku), str(quantity))
    console.print(table)
