"""The `lanshou` command: each sub-area registers its own commands."""

from __future__ import annotations

import typer

from lanshou import bootstrap, progress
from lanshou.cli import alerts, demo, imports, metrics, notify, orders, serve, tracking, users, worker
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
notify.register(app)  # `lanshou notify log|send-due|optout|settings|templates|rules`


def main() -> None:
    bootstrap.start()
    with progress.shown_by(progress_bar):
        app()
