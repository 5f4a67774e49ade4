"""The REST API under a light load client on loopback, against PostgreSQL (a fresh database of the local
server, dropped afterwards):

    .venv/bin/python bench/api/run.py [--orders 60000] [--batch 500] [--reads 20000] [--job-nice 0]

ingest: POST /api/v1/orders/batch (orders of two lines each, the generic file's fields), `--batch` orders a
request over 2 connections; each answer comes after the batch is committed (durable). A `lanshou worker`
beside the servers derives the metric rollups (the servers queue its job once the batches pause); the run
waits for them and says how long after the last answer they were current. Baseline in the same run: the
same orders' rows COPYed by psycopg into two plain tables (no checks, no indexes but the keys).
reads: GET /api/v1/orders?shop=…&order_id=… for random stored orders over 8 keep-alive connections (enough
to keep 2 server processes busy; more only queue, adding to p99 and not to the rate), each
answer checked; baseline in the same run: GET /api/v1/health (the framework, no token, one SELECT 1);
rates also per server-CPU-second (the server processes' user + system time), which other load inflates less.
Prints rates and p50/p99 of each request's latency, and the targets (ingest ≥ 12k orders/s with p99 ≤ 150
ms; reads ≥ 2k requests/s with p99 ≤ 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, text

from lanshou.accounts.roles import Role
from lanshou.accounts.service import add_user, issue_token
from lanshou.db.engine import open_database

PG_ADMIN = os.environ.get("LANSHOU_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SHOP = "基准店"


def orders(count: int, start: int = 0) -> list[dict[str, object]]:
    rng = random.Random(start)
    made = []
    for i in range(start, start + count):
        day, minute = 1 + i % 28, i % 1440
        made.append(
            {
                "platform": "tmall",
                "shop": SHOP,
                "order_id": f"BA{i:010d}",
                "status": "paid",
                "created_at": f"2026-10-{day:02d} {minute // 60:02d}:{minute % 60:02d}:00",
                "paid_at": f"2026-10-{day:02d} {minute // 60:02d}:{minute % 60:02d}:30",
                "buyer_id": f"buyer{rng.randrange(50_000)}",
                "buyer_name": "张三",
                "buyer_phone": f"138{rng.randrange(10**8):08d}",
                "province": rng.choice(("浙江省", "广东省", "北京市", "四川省")),
                "city": "杭州市",
                "district": "西湖区",
                "address": f"文三路{rng.randrange(999)}号",
                "order_amount": "59.80",
                "lines": [
                    {
                        "sku": f"SKU-{rng.randrange(500)}",
                        "quantity": 1,
                        "unit_price": "29.90",
                        "title": "商品",
                    },
                    {
                        "sku": f"SKU-{rng.randrange(500)}",
                        "quantity": 1,
                        "unit_price": "29.90",
                        "title": "赠品",
                    },
                ],
            }
        )
    return made


def request(method: str, path: str, token: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


async def _connection(port: int, requests: list[bytes], latencies: list[float], failures: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for raw in requests:
            started = time.perf_counter()
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))  # fmt: skip
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                failures.append((head + body).decode(errors="replace")[:300])
    finally:
        writer.close()


def load(ports: list[int], requests: list[bytes], connections: int) -> tuple[float, list[float], list[str]]:
    """Send the requests over `connections` keep-alive connections, the i-th to the server on
    ports[i % len(ports)] (as a round-robin balancer spreads them)."""
    latencies: list[float] = []
    failures: list[str] = []
    shares = [requests[i::connections] for i in range(connections)]

    async def run() -> float:
        started = time.perf_counter()
        spread = [(ports[i % len(ports)], share) for i, share in enumerate(shares)]
        await asyncio.gather(*(_connection(port, share, latencies, failures) for port, share in spread))
        return time.perf_counter() - started

    seconds = asyncio.run(run())
    latencies.sort()
    return seconds, latencies, failures


def read_phase(
    client: str, ports: list[int], paths: list[str], token: str, args: argparse.Namespace,
    servers: list[int], seconds: float,
) -> tuple[float, float, float, int, float, int]:  # fmt: skip
    """GETs of these paths (at random with wrk, for `seconds`; each once with the Python client):
    (requests/s, p50 ms, p99 ms, answers not 200, server CPU seconds, requests)."""
    if client == "python":
        cpu = processes_cpu(servers)
        gets = [request("GET", p, token) for p in paths]
        seconds, latencies, failures = load(ports, gets, args.connections)
        cpu = processes_cpu(servers) - cpu
        p50, p99 = pct(latencies, 0.5), pct(latencies, 0.99)
        return len(paths) / seconds, p50, p99, len(failures), cpu, len(paths)
    listed = Path(tempfile.mkstemp(prefix="bench-api-", suffix=".txt")[1])
    try:
        listed.write_text("\n".join(paths) + "\n")
        # one wrk thread per server (reads.lua points each at its port), the connections split among them
        command = ["wrk", "-t", str(len(ports)), "-c", str(max(args.connections, len(ports))), "-d",
                   f"{seconds:g}s", "--latency", "-s", str(Path(__file__).with_name("reads.lua")),
                   f"http://127.0.0.1:{ports[0]}", "--", str(listed), token]  # fmt: skip
        env = {**os.environ, "BENCH_PORTS": ",".join(map(str, ports))}
        cpu = processes_cpu(servers)
        out = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
        cpu = processes_cpu(servers) - cpu
    finally:
        listed.unlink()
    result = next(line for line in out.splitlines() if line.startswith("RESULT "))
    count, micros, not_ok, errors, p50, p99 = (int(field) for field in result.split()[1:])
    return count / (micros / 1e6), p50 / 1000, p99 / 1000, not_ok + errors, cpu, count


def processes_cpu(roots: list[int]) -> float:
    """CPU seconds (user + system) used so far by the processes `roots` and their children (the uvicorn
    servers, the job worker): what a rate per server-CPU-second is computed from, which the other sessions'
    load inflates far less than wall-clock time. Linux /proc only; 0.0 elsewhere."""
    return _cpu_of(lambda pid, parent, name: pid in roots or parent in roots)


def postgres_cpu() -> float:
    """CPU seconds used so far by every process named postgres (the local server's backends)."""
    return _cpu_of(lambda pid, parent, name: name == "postgres")


def _cpu_of(chosen: Callable[[int, int, str], bool]) -> float:
    """User + system CPU seconds of the processes `chosen(pid, parent pid, name)` picks, from /proc."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            line = stat.read_text()
        except OSError:
            continue
        name, fields = line[line.find("(") + 1 : line.rfind(")")], line.rsplit(")", 1)[1].split()
        if chosen(int(stat.parent.name), int(fields[1]), name):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def pct(latencies: list[float], q: float) -> float:
    return latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000


def copy_baseline(url: str, made: list[dict[str, object]]) -> float:
    """Orders per second COPYed into two plain tables by psycopg: the floor of what storing them costs."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(
            "CREATE TABLE bare_orders (shop text, order_no text, status text, created_at timestamp, "
            "paid_at timestamp, buyer text, phone text, province text, address text, amount numeric, "
            "PRIMARY KEY (shop, order_no))"
        )
        conn.execute("CREATE TABLE bare_lines (shop text, order_no text, line int, sku text, quantity int, "
                     "price numeric, PRIMARY KEY (shop, order_no, line))")  # fmt: skip
        started = time.perf_counter()
        with conn.cursor() as cur:
            with cur.copy("COPY bare_orders FROM STDIN") as copy:
                for o in made:
                    copy.write_row((o["shop"], o["order_id"], o["status"], o["created_at"], o["paid_at"],
                                    o["buyer_id"], o["buyer_phone"], o["province"], o["address"],
                                    o["order_amount"]))  # fmt: skip
            with cur.copy("COPY bare_lines FROM STDIN") as copy:
                for o in made:
                    for n, line in enumerate(o["lines"]):  # type: ignore[arg-type]
                        copy.write_row((o["shop"], o["order_id"], n, line["sku"], line["quantity"],
                                        line["unit_price"]))  # fmt: skip
        conn.commit()
        return len(made) / (time.perf_counter() - started)


def wait_for_rollups(engine: Engine, seconds: float = 600) -> float:
    """Seconds until no order or tracking number is marked for the rollups any more (the worker's job)."""
    started = time.perf_counter()
    query = text(
        "SELECT (SELECT count(*) FROM metric_dirty_orders) + (SELECT count(*) FROM metric_dirty_tracking)"
    )
    while time.perf_counter() - started < seconds:
        with engine.connect() as conn:
            if conn.execute(query).scalar_one() == 0:
                return time.perf_counter() - started
        time.sleep(0.05)
    raise RuntimeError("the rollups did not catch up: is the job worker running?")


def wait_until_up(port: int, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=60_000)
    parser.add_argument("--batch", type=int, default=500, help="orders per POST")
    parser.add_argument("--ingest-connections", type=int, default=2)
    parser.add_argument("--reads", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=8, help="read connections")
    parser.add_argument("--workers", type=int, default=2, help="server processes (one port each)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="read load client; auto: wrk (C: little CPU) when installed")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each wrk read phase")
    parser.add_argument("--job-nice", type=int, default=0,
                        help="niceness of the job worker deriving the rollups")  # fmt: skip
    args = parser.parse_args()

    name = f"lanshou_bench_api_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    servers: list[subprocess.Popen[bytes]] = []
    worker = None
    try:
        engine = open_database(url)
        add_user(engine, "bench", "bench-password-1", Role.OWNER)
        token = issue_token(engine, "bench")
        ports = [free_port() for _ in range(args.workers)]
        env = {**os.environ, "LANSHOU_DATABASE_URL": url, "LANSHOU_SECRET_KEY": "bench" * 10,
               "LANSHOU_QUEUE_URL": url}  # fmt: skip
        # one server process per port, as API processes behind a round-robin balancer: one `lanshou serve
        # --workers 2` hands every connection a client opens at once to whichever process accepts first (all
        # of them to one process, measured), which would leave a core to PostgreSQL alone
        script = str(Path(__file__).with_name("server.py"))
        servers = [subprocess.Popen([sys.executable, script, str(port), "1"], env=env) for port in ports]
        pids = [server.pid for server in servers]
        # the rollups' catch-up job, as `lanshou worker` runs it beside the servers (two job threads)
        lanshou = str(Path(sys.executable).with_name("lanshou"))
        with open(os.environ.get("BENCH_WORKER_LOG", os.devnull), "w") as log:  # the worker keeps its copy
            worker = subprocess.Popen(["nice", "-n", str(args.job_nice), lanshou, "worker", "--workers", "2"],
                                      env=env, stderr=log)  # fmt: skip
        for port in ports:
            wait_until_up(port)
        post = "/api/v1/orders/batch"
        for n, port in enumerate(ports):  # each server's first batch (its first statements); not counted
            warm = orders(args.batch, start=10**9 + n * args.batch)  # the first creates the shop
            load([port], [request("POST", post, token, json.dumps({"orders": warm}).encode())], 1)

        made = orders(args.orders)
        bodies = [
            request("POST", post, token, json.dumps({"orders": made[i : i + args.batch]}).encode())
            for i in range(0, len(made), args.batch)
        ]
        wait_for_rollups(engine)  # the warm-up's
        cpu, worker_cpu, pg_cpu = processes_cpu(pids), processes_cpu([worker.pid]), postgres_cpu()
        client_cpu = time.process_time()
        seconds, latencies, failures = load(ports, bodies, args.ingest_connections)
        cpu, pg_cpu = processes_cpu(pids) - cpu, postgres_cpu() - pg_cpu
        client_cpu = time.process_time() - client_cpu
        during = processes_cpu([worker.pid]) - worker_cpu
        rate = args.orders / seconds
        caught_up = wait_for_rollups(engine)
        worker_cpu = processes_cpu([worker.pid]) - worker_cpu
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM orders WHERE order_no LIKE 'BA0%'")).scalar_one()
        baseline = copy_baseline(url, made)
        where = f"{args.ingest_connections} connections, {args.workers} server processes, PostgreSQL"
        print(f"ingest: {args.orders:,} orders (2 lines each) in POSTs of {args.batch}, {where}")
        p50, p99 = pct(latencies, 0.5), pct(latencies, 0.99)
        print(f"  {rate:,.0f} orders/s, per request p50 {p50:.0f} ms, p99 {p99:.0f} ms, ", end="")
        print(f"stored {stored:,}, failures {len(failures)}")
        print(f"  server processes' CPU {cpu:.1f} s: {args.orders / cpu:,.0f} orders per server-CPU-second")
        print(
            f"  meanwhile CPU of PostgreSQL {pg_cpu:.1f} s (local server), the job worker {during:.1f} s, "
            f"this client {client_cpu:.1f} s; {os.cpu_count()} cores x {seconds:.1f} s"
        )
        print(f"  metric rollups current {caught_up:.1f} s after the last answer (derived by the job worker, "
              f"nice {args.job_nice}, {worker_cpu:.1f} CPU-s): ingest and rollups together "
              f"{args.orders / (seconds + caught_up):,.0f} orders/s")  # fmt: skip
        print(f"  bare psycopg COPY of the same rows: {baseline:,.0f} orders/s   ratio {rate / baseline:.2f}")
        ok = rate >= 12_000 and pct(latencies, 0.99) <= 150 and not failures and stored == args.orders
        print(f"  target >= 12,000 orders/s with p99 <= 150 ms: {'met' if ok else 'NOT met'}")
        if failures:
            print("  first failure:", failures[0])

        rng = random.Random(5)
        shop = quote(f"tmall/{SHOP}")
        paths = [
            f"/api/v1/orders?shop={shop}&order_id=BA{rng.randrange(args.orders):010d}"
            for _ in range(args.reads)
        ]
        client = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python")
        read_phase(client, ports, paths[:1000], token, args, pids, 2)  # warm-up
        rate, p50, p99, bad, cpu, count = read_phase(client, ports, paths, token, args, pids, args.seconds)
        health = ["/api/v1/health"] * (len(paths) if client == "python" else 1)
        base_rate, _, base_p99, _, base_cpu, base_count = read_phase(
            client, ports, health, token, args, pids, args.seconds
        )
        print(
            f"reads: GET /api/v1/orders?shop=&order_id= over {args.connections} connections, client {client}"
            + (f" ({args.seconds:g} s)" if client == "wrk" else "")
        )
        print(f"  {rate:,.0f} requests/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, not 200: {bad}")
        print(f"  server processes' CPU {cpu:.1f} s: {count / cpu:,.0f} requests per server-CPU-second")
        print(f"  GET /api/v1/health (no token, SELECT 1): {base_rate:,.0f} requests/s, p99 "
              f"{base_p99:.1f} ms, {base_count / base_cpu:,.0f} per server-CPU-second   "
              f"ratio {rate / base_rate:.2f}")  # fmt: skip
        ok = rate >= 2000 and p99 <= 50 and not bad and count > 0
        print(f"  target >= 2,000 requests/s with p99 <= 50 ms: {'met' if ok else 'NOT met'}")
        print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        engine.dispose()
    finally:
        for process in [*servers, worker]:
            if process is not None:
                process.terminate()
                process.wait(60)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
