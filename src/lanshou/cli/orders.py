"""`lanshou orders …` (to be filled in)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Query and export orders. 查询、导出订单")
