"""Page speed of the daily flow on a demo database: every page, logged in, median of several requests.

    LANSHOU_DATA_DIR=/tmp/demo lanshou demo --orders 200000 --reset     # a few minutes, once
    LANSHOU_DATA_DIR=/tmp/demo .venv/bin/python bench/web/run.py [--repeat 7] [--only queue,misses]

Opens the database of the environment (LANSHOU_DATABASE_URL, else LANSHOU_DATA_DIR's SQLite file), adds an
owner `bench-web` granted every shop if there is none, signs in through the login form and requests each
page of the daily flow in-process (the ASGI app, no network): one warm-up, then `--repeat` timed requests.
Prints each page's median and slowest milliseconds, the median CPU milliseconds this process spent on it
(the server work: SQLite runs in-process; on a busy machine the wall clock is inflated, CPU time much less),
its size and the load average; the issue's goal is ≤ 300 ms per page.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from lanshou.accounts.roles import Role
from lanshou.accounts.service import add_user
from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.config import database_url
from lanshou.db.engine import open_database
from lanshou.orders.tables import orders

USER, PASSWORD = "bench-web", "bench web password 42"
GOAL_MS = 300


def pages(order_path: str) -> dict[str, str]:
    return {
        "overview": "/",
        "queue": "/queue",
        "misses": "/misses",
        "misses_sku": "/misses?by=sku",
        "misses_carrier": "/misses?by=carrier",
        "review": "/review",
        "ship": "/ship",
        "orders": "/orders",
        "order": order_path,
        "alerts": "/alerts",
        "stock": "/stock",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="", help="comma-separated page names")
    args = parser.parse_args()
    engine = open_database(database_url(), say=print)
    with contextlib.suppress(Exception):  # already there from an earlier run
        add_user(engine, USER, PASSWORD, Role.OWNER)
    with engine.connect() as conn:
        shop_id, order_no = conn.execute(
            select(orders.c.shop_id, orders.c.order_no).order_by(orders.c.id.desc()).limit(1)
        ).one()
    chosen = pages(f"/orders/{shop_id}/{order_no}")
    if args.only:
        chosen = {name: chosen[name] for name in args.only.split(",")}
    with TestClient(create_app(engine, AppSettings.for_tests()), base_url="https://testserver") as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token, "no login form"
        signed = client.post(
            "/login",
            data={"name": USER, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
            follow_redirects=False,
        )
        assert signed.status_code == 303, f"login failed: {signed.status_code}"
        print(f"{'page':<10} {'median ms':>10} {'max ms':>8} {'CPU ms':>7} {'KiB':>6}  (goal ≤ {GOAL_MS} ms)")
        for name, path in chosen.items():
            answer = client.get(path)  # warm-up
            assert answer.status_code == 200, f"{path}: {answer.status_code}"
            times, cpu = [], []
            for _ in range(args.repeat):
                start, start_cpu = time.perf_counter(), time.process_time()
                client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            median, median_cpu = statistics.median(times), statistics.median(cpu)
            flag = "" if median <= GOAL_MS else "  SLOW"
            size = len(answer.content) / 1024
            print(f"{name:<10} {median:>10.0f} {max(times):>8.0f} {median_cpu:>7.0f} {size:>6.0f}{flag}")
        load = os.getloadavg()[0]
        print(f"load average {load:.1f} ({os.cpu_count()} CPUs): wall ms are inflated by other work")


if __name__ == "__main__":
    main()
