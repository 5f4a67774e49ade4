"""The `lanshou` command: each sub-area registers its own commands."""

from __future__ import annotations

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
    orders,
    serve,
    stats,
    tracking,
    users,
    worker,
)
from lanshou.cli.common import progress_bar

app = typer.Typer(
    help="Lanshou 揽收 — orders, fulfilment and logistics metrics for marketplace merchants.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(imports.app, name="import")
app.add_typer(orders.app, name="orders")
app.add_typer(users.app, name="users")
demo.register(app)  # `lanshou demo`, `lanshou run`
metrics.register(app)  # `lanshou metrics`, `lanshou metrics misses`, `lanshou queue`
serve.register(app)  # `lanshou serve`
tracking.register(app)  # `lanshou tracking show|eta-accuracy`
alerts.register(app)  # `lanshou alerts list|ack|resolve|scan`
worker.register(app)  # `lanshou worker`
aftersales.register(app)  # `lanshou aftersales list|show|agree|refuse|receive`
followups.register(app)  # `lanshou followups list|assign|close`
buyers.register(app)  # `lanshou buyers list|show|segment|blacklist|refresh`
stats.register(app)  # `lanshou stats`


def main() -> None:
    bootstrap.start()
    with progress.shown_by(progress_bar):
        app()
