"""The `lanshou` command."""

from __future__ import annotations

import typer

from lanshou.cli import imports

app = typer.Typer(help="Lanshou 揽收 — orders, fulfilment and logistics metrics for marketplace merchants.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(imports.app, name="import")


def main() -> None:
    app()
