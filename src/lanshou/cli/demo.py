"""`lanshou demo` and `lanshou run` (to be filled in)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
