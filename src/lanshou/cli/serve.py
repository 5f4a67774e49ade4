"""`lanshou serve`: the API and the pages under uvicorn."""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated

import typer
from sqlalchemy import Engine

from lanshou.cli.common import console, database, err_console
from lanshou.events import bus


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="worker processes")] = 1,
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="send cookies over HTTPS only (default: on, except when listening on a loopback address)",
        ),
    ] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="the load balancers' addresses (comma-separated) whose X-Forwarded-For names the client; "
            "the login limit counts per client (default: FORWARDED_ALLOW_IPS, else this machine only)",
        ),
    ] = None,
) -> None:
    """Serve the web pages and the REST API. 启动网页与 API 服务."""
    import uvicorn

    from lanshou.api.settings import settings_from_environment

    database()  # create or upgrade the schema once, before any worker starts
    try:  # likewise the session key kept in the data dir (unless LANSHOU_SECRET_KEY is set)
        settings_from_environment()  # and a wrong setting is said once, here, not by every worker
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if secure_cookies is None:
        secure_cookies = not _is_loopback(host)
    os.environ["LANSHOU_SECURE_COOKIES"] = "1" if secure_cookies else "0"  # read by each worker
    if not secure_cookies:
        err_console.print(
            "[yellow]Cookies are sent over plain HTTP: use this only on this machine. "
            "Cookie 未加 Secure 标记，仅限本机使用。[/]"
        )
    err_console.print(f"Lanshou 揽收: http://{host}:{port}/  API docs: http://{host}:{port}/api/docs")
    err_console.print(
        "Background jobs (rollups after batch ingest, carrier pushes, notifications) run in "
        "`lanshou worker`: start at least one. 后台任务需另行运行 lanshou worker。"
    )
    uvicorn.run(
        "lanshou.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # behind a load balancer every request comes from its address: trusted, its X-Forwarded-For gives
        # the client, so one guesser cannot use up the login limit of everyone behind it
        forwarded_allow_ips=forwarded_allow_ips,
        # a worker spends seconds importing before it can answer the supervisor's ping; on a busy 2-core
        # machine the 5 s default had workers killed and restarted at start-up
        timeout_worker_healthcheck=30,
    )


def serve_with_worker(engine: Engine, host: str, port: int) -> None:
    """`lanshou run`'s server: one process serving the pages and the API, a job consumer in threads beside
    it, and a demo login printed (a new password each run). Blocks until Ctrl-C."""
    import uvicorn

    from lanshou.accounts.service import demo_login
    from lanshou.api.app import create_app
    from lanshou.api.settings import AppSettings, secret_key
    from lanshou.jobs import QueueConfigError, open_queue, run_in_process

    try:
        queue = open_queue()
    except QueueConfigError as exc:
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    bus.subscribed()  # jobs publish: the areas' handlers imported now, not inside the first job's transaction
    settings = AppSettings(secret_key=secret_key(), secure_cookies=not _is_loopback(host))
    name, password = demo_login(engine)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    console.print(
        f"\n[bold]Lanshou 揽收[/] is running at [bold]{url}[/]  (API docs: {url}api/docs)\n"
        f"演示账号 demo login: [bold]{name}[/] / [bold]{password}[/]   (Ctrl-C stops 按 Ctrl-C 停止)"
    )
    with run_in_process(queue, workers=1):
        err_console.print(f"worker: 1 consumer in-process; jobs: {', '.join(sorted(queue.tasks)) or 'none'}")
        uvicorn.run(create_app(engine, settings), host=host, port=port, log_level="warning")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
