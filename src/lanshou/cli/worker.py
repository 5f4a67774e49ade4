"""`lanshou worker`: consume background jobs (tracking polls, alert scans, notifications …) until stopped."""

from __future__ import annotations

from typing import Annotated

import typer

from lanshou.cli.common import err_console
from lanshou.events import bus


def register(root: typer.Typer) -> None:
    root.command("worker")(worker_cmd)


def worker_cmd(
    workers: Annotated[int, typer.Option("--workers", min=1, help="jobs run at once / 并发数")] = 2,
    no_periodic: Annotated[
        bool, typer.Option("--no-periodic", help="leave scheduled jobs to another worker")
    ] = False,
) -> None:
    """Run job consumers (Ctrl-C stops after the running jobs finish). 后台任务进程.

    The queue is LANSHOU_QUEUE_URL (default: an SQLite file in the data dir; redis://, postgresql://)."""
    from lanshou.jobs import QueueConfigError, open_queue, run_worker

    try:
        queue = open_queue()
    except QueueConfigError as exc:
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    bus.subscribed()  # jobs publish: the areas' handlers imported now, not inside the first job's transaction
    names = ", ".join(sorted(queue.tasks)) or "none"
    err_console.print(f"worker: {workers} consumer(s); jobs: {names}")
    run_worker(workers, queue=queue, periodic=not no_periodic)
