"""The `lanshou` command: each sub-area registers its own commands."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lanshou import bootstrap, progress
from lanshou.cli import (
    aftersales,
    alerts,
    buyers,
    demo,
    followups,
    imports,
    metrics,
    notify,
    order_actions,
    orders,
    review,
    rules,
    serve,
    shipping,
    shops,
    stats,
    stock,
    tracking,
    users,
    waybills,
    worker,
)
from lanshou.cli.common import progress_bar
from lanshou.cli.errors import run_reporting_errors, take_debug_flag

app = typer.Typer(
    help="Lanshou 揽收 — orders, fulfilment and logistics metrics for marketplace merchants.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(imports.app, name="import")
app.add_typer(orders.app, name="orders")
app.add_typer(users.app, name="users")
app.add_typer(shops.app, name="shops")
demo.register(app)  # `lanshou demo`, `lanshou run`
metrics.register(app)  # `lanshou metrics`, `lanshou metrics misses`, `lanshou queue`
serve.register(app)  # `lanshou serve`
tracking.register(app)  # `lanshou tracking show|eta-accuracy`
alerts.register(app)  # `lanshou alerts list|ack|resolve|scan`
worker.register(app)  # `lanshou worker`
stock.register(app)  # `lanshou stock import|adjust|list|map`
rules.register(app)  # `lanshou rules add|list|remove|enable|disable|test`
review.register(app)  # `lanshou review run|list|auto|blacklist`
order_actions.register(orders.app)  # `lanshou orders accept|hold|cancel|merge|split`
waybills.register(app)  # `lanshou waybills import|list|cancel|reprint`
shipping.register(app)  # `lanshou ship`, `lanshou carriers load|scorecard`
notify.register(app)  # `lanshou notify log|send-due|optout|settings|templates|rules`
aftersales.register(app)  # `lanshou aftersales list|show|agree|refuse|receive`
followups.register(app)  # `lanshou followups list|assign|close`
buyers.register(app)  # `lanshou buyers list|show|segment|blacklist|refresh`
stats.register(app)  # `lanshou stats`


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="show the traceback of an error / 显示错误详情")
    ] = False,
) -> None:
    """(--debug is taken off the command line by main(), in any position.)"""


def main() -> None:
    debug = take_debug_flag(sys.argv)

    def command() -> None:
        bootstrap.start()
        with progress.shown_by(progress_bar):
            app()

    sys.exit(run_reporting_errors(command, debug))
