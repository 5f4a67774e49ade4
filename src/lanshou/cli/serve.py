"""`lanshou serve`: the API and the pages under uvicorn."""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated

import typer

from lanshou.cli.common import database, err_console


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
) -> None:
    """Serve the web pages and the REST API. 启动网页与 API 服务."""
    import uvicorn

    from lanshou.api.settings import secret_key

    database()  # create or upgrade the schema once, before any worker starts
    secret_key()  # likewise the session key kept in the data dir (unless LANSHOU_SECRET_KEY is set)
    if secure_cookies is None:
        secure_cookies = not _is_loopback(host)
    os.environ["LANSHOU_SECURE_COOKIES"] = "1" if secure_cookies else "0"  # read by each worker
    if not secure_cookies:
        err_console.print(
            "[yellow]Cookies are sent over plain HTTP: use this only on this machine. "
            "Cookie 未加 Secure 标记，仅限本机使用。[/]"
        )
    err_console.print(f"Lanshou 揽收: http://{host}:{port}/  API docs: http://{host}:{port}/api/docs")
    uvicorn.run(
        "lanshou.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # a worker spends seconds importing before it can answer the supervisor's ping; on a busy 2-core
        # machine the 5 s default had workers killed and restarted at start-up
        timeout_worker_healthcheck=30,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
