"""Shared CLI plumbing: the console, opening the database, progress bars."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import Engine

from lanshou.db.engine import open_database

console = Console()
err_console = Console(stderr=True)


def database(url: str | None = None) -> Engine:
    return open_database(url, say=lambda text: err_console.print(f"[yellow]{text}[/]"))


def count_lines(path: Path) -> int | None:
    """A cheap total for the progress bar of a CSV file (None for XLSX)."""
    if path.suffix.lower() not in {".csv", ".txt", ".tsv"} or not path.is_file():
        return None  # a missing file is the import's to refuse
    with path.open("rb") as f:
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")) - 1, 0)


_active: list[Progress] = []  # the live display: a job inside a job adds a line to it, not a second one


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A Rich progress line on stderr (also lanshou.progress's reporter for use cases' own jobs)."""
    if _active:
        bar = _active[-1]
        task = bar.add_task(description, total=total)
        try:
            yield lambda done: bar.update(task, completed=done)
        finally:
            bar.remove_task(task)
        return
    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err_console, transient=True) as bar:
        _active.append(bar)
        try:
            task = bar.add_task(description, total=total)
            yield lambda done: bar.update(task, completed=done)
        finally:
            _active.pop()
