"""`lanshou demo` (seeded demo data) and `lanshou run` (the main job: data if empty, a summary, then the
dashboard and API with a worker in-process, until Ctrl-C; `--once` stops after the summary)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import Annotated

import typer
from rich import box
from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table as RichTable
from sqlalchemy import Engine

from lanshou.cli.common import console, database, err_console, progress_bar
from lanshou.cli.metrics_summary import metrics_table
from lanshou.demo.generator import DemoConfig, default_end
from lanshou.demo.summary import CarrierCounts, FulfilmentCounts, ShopCounts, counts, fulfilment_counts
from lanshou.demo.writer import DemoDataPresent, WriteStats, order_count, reset_database, write_demo
from lanshou.events import bus

RUN_ORDERS_ENV = "LANSHOU_DEMO_ORDERS"
RUN_DEFAULT_ORDERS = 20_000

# Extra sections of the `lanshou run` summary, each a function of the engine returning a Rich renderable
# (or None to show nothing).
SUMMARY_HOOKS: list[Callable[[Engine], RenderableType | None]] = []


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
    app.command("run")(run_cmd)


OrdersOpt = Annotated[int, typer.Option("--orders", min=0, help="number of orders to generate")]


def demo_cmd(
    orders: OrdersOpt = RUN_DEFAULT_ORDERS,
    days: Annotated[int, typer.Option("--days", min=1, help="days of orders, ending at --end")] = 90,
    seed: Annotated[int, typer.Option("--seed", help="same seed, same data")] = 7,
    end: Annotated[
        str | None, typer.Option("--end", help="last day, YYYY-MM-DD (default: yesterday)")
    ] = None,
    reset: Annotated[bool, typer.Option("--reset", help="empty ALL tables of the database first")] = False,
    tracking_state: Annotated[
        bool,
        typer.Option(
            "--tracking-state/--no-tracking-state",
            help="rebuild the parcels' states (ETAs, alerts) from the demo's events, then open the "
            "after-sales cases and follow-ups of its history; --no-tracking-state leaves the states to "
            "`lanshou tracking rebuild-state` and opens none (big benchmark demos)",
        ),
    ] = True,
) -> None:
    """Fill the database with seeded demo data: 7 shops, 90 days. 生成演示数据."""
    config = DemoConfig(orders=orders, days=days, seed=seed, end=_parse_day(end) if end else default_end())
    engine = database()
    if reset:
        reset_database(engine)
        err_console.print("[yellow]emptied every table of the database[/]")
    _generate(engine, config, tracking_state)


def run_cmd(
    orders: Annotated[
        int | None,
        typer.Option(
            "--orders", min=0, help=f"demo orders when the database is empty (env {RUN_ORDERS_ENV})"
        ),
    ] = None,
    work: Annotated[
        bool,
        typer.Option(
            "--work",
            help="run background jobs in this process until Ctrl-C, serving no pages (an embedded worker)",
        ),
    ] = False,
    once: Annotated[bool, typer.Option("--once", help="print the summary and exit, serve nothing")] = False,
    host: Annotated[str, typer.Option("--host", help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
) -> None:
    """The main job: demo data on first run, a summary of every shop, then the dashboard. 运行概览与网页."""
    engine = database()
    if order_count(engine) == 0:
        count = orders if orders is not None else int(os.environ.get(RUN_ORDERS_ENV) or RUN_DEFAULT_ORDERS)
        err_console.print(f"The database is empty: generating {count:,} demo orders first (lanshou demo).")
        _generate(engine, DemoConfig(orders=count))
    for section in summary_sections(engine):
        console.print(section)
    if once:
        return
    if work:
        run_jobs_here()
        return
    from lanshou.cli.serve import serve_with_worker

    serve_with_worker(engine, host, port)


def run_jobs_here(workers: int = 2) -> None:
    """Consumer threads in this process, periodic jobs included, until Ctrl-C or SIGTERM."""
    import signal
    import threading

    from lanshou.jobs import QueueConfigError, open_queue, run_in_process

    try:
        queue = open_queue()
    except QueueConfigError as exc:
        err_console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(2) from None
    bus.subscribed()  # jobs publish: the areas' handlers imported now, not inside the first job's transaction
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    err_console.print(f"running jobs in this process: {', '.join(sorted(queue.tasks))} (Ctrl-C stops)")
    with run_in_process(queue, workers):
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date like 2026-11-21", param_hint="--end") from None


def _generate(engine: Engine, config: DemoConfig, tracking_state: bool = True) -> WriteStats:
    try:
        with progress_bar("generating demo orders", config.orders) as progress:
            stats = write_demo(engine, config, progress)
    except DemoDataPresent:
        err_console.print(
            "[red]The database already holds demo data.[/] Run `lanshou demo --reset` to empty the database "
            "and generate it again (this deletes ALL data in it)."
        )
        raise typer.Exit(1) from None
    console.print(
        f"demo data: {stats.orders:,} orders, {stats.rows:,} rows in {stats.seconds:.1f} s "
        f"({stats.rows_per_second:,.0f} rows/s), {config.first_day} … {config.end}, seed {config.seed}"
    )
    if tracking_state:
        _settle(engine)
        # After-sales reads deliveries from the parcel states: without them (a big benchmark demo) it could
        # not check a return's window, so the areas are caught up only when the states are there.
        _catch_up(engine, config)
    _seed(engine, config)  # after the catch-up: an exchange's replacement order is reviewed with the rest
    return stats


def _settle(engine: Engine) -> None:
    """The demo parcels' states, ETAs and alerts (lanshou.demo.settle): what the tracking pages show."""
    from lanshou.demo.settle import settle_tracking

    with err_console.status("parcel states, ETAs and alerts from the demo's carrier events …"):
        settled = settle_tracking(engine)
    states, alerts = settled.states, settled.alerts
    console.print(
        f"parcel states: {states.parcels:,} parcels from {states.events:,} events (+{states.bare:,} not "
        f"scanned yet), {states.lanes:,} lanes; {alerts.opened:,} alerts opened; "
        f"{states.seconds + alerts.seconds:.1f} s"
    )


def _catch_up(engine: Engine, config: DemoConfig) -> None:
    """The after-sales and follow-up areas told of the demo's history (lanshou.demo.casework)."""
    from lanshou.demo.casework import WINDOW_DAYS, catch_up

    with err_console.status("after-sales cases and follow-ups of the demo's history …"):
        done = catch_up(engine, config)
    refused = f", [red]{len(done.refused)} refused[/]" if done.refused else ""
    for why in done.refused[:3]:  # the area's own reasons: a demo that does not fit its rules is a bug
        err_console.print(f"[red]{escape(why)}[/]")
    console.print(
        f"售后与回访 after-sales & follow-ups: {done.followups:,} 差评回访 follow-ups (last {WINDOW_DAYS} "
        f"days), {done.cases:,} 售后单 cases ({done.open_cases:,} open 未完结){refused}; {done.seconds:.1f} s"
    )


def _seed(engine: Engine, config: DemoConfig) -> None:
    """Stock, carriers, waybill pools and the review of the open orders (lanshou.demo.fulfilment): what the
    review, stock and ship pages and commands work on. Big benchmark demos get it too: its cost follows the
    open paid orders (about 1 % of a demo's orders), 0.3 s at 50,000 orders."""
    from lanshou.demo.fulfilment import seed_fulfilment

    with err_console.status("stock, carriers, waybill pools, review of the open orders …"):
        seeded = seed_fulfilment(engine, config)
    shipping = (
        f"快递 carriers {', '.join(seeded.carriers)}, {seeded.numbers:,} waybill numbers each"
        if seeded.carriers
        else "快递 the database's own carrier configuration kept, no waybill numbers added"
    )
    console.print(
        # the summary's 低库存 counts every SKU at or below its safety level once review reserved: these
        # and the short ones
        f"发货准备 fulfilment: 库存 stock for {seeded.skus} SKUs ({len(seeded.low)} set at their safety "
        f"level, 缺货 short of the open orders: {', '.join(seeded.short)}); {shipping}; "
        f"审单 review: {seeded.accepted:,} accepted, "
        f"{seeded.held:,} held; {seeded.seconds:.1f} s"
    )


def summary_sections(engine: Engine) -> list[RenderableType]:
    """The `lanshou run` summary, section by section: shops, carriers, metrics, fulfilment (what is ready to
    ship, held, stocked), then SUMMARY_HOOKS."""
    shops, carriers = counts(engine)
    sections: list[RenderableType] = [_shops_table(shops), _carriers_table(carriers), metrics_table(engine)]
    fulfilment = fulfilment_counts(engine)
    if fulfilment.anything:
        sections.append(_fulfilment_table(fulfilment))
    for hook in SUMMARY_HOOKS:
        section = hook(engine)
        if section is not None:
            sections.append(section)
    return sections


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def _shops_table(shops: list[ShopCounts]) -> RichTable:
    table = RichTable(
        title="Shops 店铺",
        caption="% of paid orders; waiting = paid, open, no carrier scan yet (待揽收)",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("shop 店铺", no_wrap=True)
    for name in ("orders", "paid", "shipped", "pickup", "delivered", "waiting"):
        table.add_column(name, justify="right", no_wrap=True)
    for s in shops:
        table.add_row(
            f"{escape(s.shop)}\n[dim]{s.platform}[/]",
            f"{s.orders:,}",
            f"{s.paid:,}",
            _pct(s.shipped, s.paid),
            _pct(s.picked_up, s.paid),
            _pct(s.delivered, s.paid),
            f"[bold yellow]{s.awaiting_pickup:,}[/]" if s.awaiting_pickup else "0",
        )
    return table


def _carriers_table(carriers: list[CarrierCounts]) -> RichTable:
    table = RichTable(
        title="Carriers 快递公司",
        caption="no scan: tracking number without a carrier scan (虚假发货 risk)",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("carrier", no_wrap=True)
    for name in ("parcels", "picked up", "delivered", "no scan", "returned/lost"):
        table.add_column(name, justify="right", no_wrap=True)
    for c in carriers:
        table.add_row(
            escape(c.carrier or "-"),
            f"{c.parcels:,}",
            _pct(c.picked_up, c.parcels),
            _pct(c.delivered, c.parcels),
            f"{c.no_scan:,}",
            f"{c.failed:,}",
        )
    return table


def _fulfilment_table(c: FulfilmentCounts) -> RichTable:
    table = RichTable(
        title="Fulfilment 发货准备",
        caption="ship 发货: waybill numbers taken, labels printed (PDF), orders shipped",
        box=box.SIMPLE_HEAD,
        show_header=False,
    )
    table.add_column(no_wrap=True)
    table.add_column()
    table.add_column(no_wrap=True)
    table.add_row("待发货 ready to ship", f"{c.ready:,}", "lanshou ship --limit 10")
    held = f"{c.held:,}, {c.held_for_stock:,} 缺货 stock short"
    table.add_row("暂停 held", held, "lanshou review list")
    table.add_row("库存 stock", f"{c.skus:,} SKUs, {c.low:,} 低库存 low", "lanshou stock list --low")
    pools = ", ".join(f"{carrier} {available:,}" for carrier, available in c.pools) or "-"
    table.add_row("单号 waybills", pools, "lanshou waybills list")
    return table
