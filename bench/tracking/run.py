"""Tracking benchmarks: events from a file into SQLite, and the Kuaidi100 push endpoint on loopback.

    .venv/bin/python bench/tracking/run.py file [--events 1000000]
    .venv/bin/python bench/tracking/run.py push [--pushes 20000] [--connections 32] [--db-url URL]
    .venv/bin/python bench/tracking/run.py            # both

file: a generic tracking CSV (10 events per parcel, codes, names and texts mixed) imported end to end
through lanshou.intake.tracking.import_tracking (events, parcel states, status changes published, ETAs)
into a fresh SQLite file, beside a bare csv.reader + sqlite3.executemany of the same rows into a plain table.
push: uvicorn (uvloop + httptools) serving push_router in another process over a fresh database; a small
asyncio client keeps --connections keep-alive connections busy with signed pushes of 10 events each and
measures each request's latency.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select

from lanshou import bootstrap
from lanshou.carriers.kuaidi100.signing import push_sign
from lanshou.carriers.wire import compact_json
from lanshou.db.engine import open_database
from lanshou.intake.tracking import import_tracking
from lanshou.tracking.inbox import drain_inbox
from lanshou.tracking.tables import tracking_events, tracking_inbox

HEADER = ("carrier", "tracking_no", "event_time", "status", "location", "description")
CARRIERS = ("zto", "yto", "圆通速递", "sf", "韵达快递")
SALT = "bench-salt"
START = datetime(2026, 10, 1, 8, 0)


def journey(rng: random.Random, number: str) -> Iterator[tuple[str, str, datetime, str, str, str]]:
    """Ten events: pre-pickup, pickup, six transit scans, out for delivery, signed (codes, names, texts)."""
    carrier = rng.choice(CARRIERS)
    t = START + timedelta(minutes=rng.randrange(60 * 24 * 20))
    steps = [("102", "杭州", "商家已下单，等待揽件"), ("103", "杭州", "【杭州萧山】已揽收")]
    steps += [(rng.choice(["在途", "1002", "in_transit", ""]), f"中转{i}", f"快件已到达【第{i}转运中心】")
              for i in range(6)]  # fmt: skip
    steps += [
        ("派件", "深圳", "【深圳南山】派件员正在为您派件"),
        ("签收", "深圳", "您的快件已签收，签收人：本人"),
    ]
    for status, place, text in steps:
        t += timedelta(minutes=rng.randrange(30, 600))
        yield carrier, number, t, status or text, place, text


def write_events(path: Path, events: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        parcel = 0
        while written < events:
            for carrier, number, t, status, place, text in journey(rng, f"BT{parcel:09d}"):
                out.writerow((carrier, number, t.strftime("%Y-%m-%d %H:%M:%S"), status, place, text))
                written += 1
            parcel += 1
    return written


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (the forked parser): on a shared machine the wall
    clock says how busy the neighbours are; CPU time says what the work costs."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds of a running process and its children (uvicorn workers), from /proc."""
    total = 0.0
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        pids += [int(p) for p in task.read_text().split()]
    for each in pids:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def bare_baseline(csv_path: Path, db_path: Path) -> tuple[float, float]:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, carrier TEXT, tracking_no TEXT, event_time TEXT, "
        "status TEXT, location TEXT, description TEXT, UNIQUE (tracking_no, event_time, status))"
    )
    started, cpu = time.perf_counter(), cpu_seconds()
    with csv_path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        rows = 0
        while chunk := [row for _, row in zip(range(5000), reader, strict=False)]:
            conn.executemany("INSERT INTO events (carrier, tracking_no, event_time, status, location, "
                             "description) VALUES (?, ?, ?, ?, ?, ?)", chunk)  # fmt: skip
            conn.commit()
            rows += len(chunk)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    conn.close()
    return rows / seconds, rows / cpu


def bench_file(events: int, workdir: Path) -> None:
    csv_path = workdir / "events.csv"
    count = write_events(csv_path, events)
    print(f"file: {count:,} events, {count // 10:,} parcels ({csv_path.stat().st_size / 1e6:.0f} MB)")
    baseline, baseline_cpu = bare_baseline(csv_path, workdir / "bare.db")
    bootstrap.start().subscribed()
    engine = open_database(f"sqlite:///{workdir / 'lanshou.db'}")
    started, cpu = time.perf_counter(), cpu_seconds()
    report = import_tracking(engine, csv_path, rejects=workdir / "rejects.csv")
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    rate = report.inserted / seconds
    done = f"{report.inserted:,} events in {seconds:.1f} s"
    print(f"  import_tracking end to end: {done} = {rate:,.0f} events/s (rejected {report.rejected_count})")
    print(f"  bare csv + executemany:     {baseline:,.0f} rows/s   ratio {rate / baseline:.2f}")
    print(
        f"  per CPU-second: import {report.inserted / cpu:,.0f} events, bare {baseline_cpu:,.0f} rows "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(f"  target >= 50,000 events/s: {'met' if rate >= 50_000 else 'NOT met'}")
    started, cpu = time.perf_counter(), cpu_seconds()
    again = import_tracking(engine, csv_path, rejects=workdir / "rejects.csv")
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    print(
        f"  the same file again (nothing new): {again.unchanged:,} events in {seconds:.1f} s "
        f"= {again.unchanged / seconds:,.0f} events/s, {again.unchanged / cpu:,.0f} per CPU-s"
    )


# ── push endpoint ────────────────────────────────────────────────────────────────────────────────────────


def push_bodies(count: int) -> list[bytes]:
    rng = random.Random(11)
    bodies = []
    for i in range(count):
        number = f"PB{i:09d}"
        data = [
            {"context": text, "time": (at := t.strftime("%Y-%m-%d %H:%M:%S")), "ftime": at, "status": "",
             "location": place}
            for _, _, t, _, place, text in journey(rng, number)
        ][::-1]  # fmt: skip
        last = {"message": "ok", "state": "3", "status": "200", "condition": "F00", "ischeck": "1",
                "com": "zhongtong", "nu": number, "data": data}  # fmt: skip
        param = compact_json({"status": "polling", "billstatus": "check", "message": "", "lastResult": last})
        form = urlencode({"param": param, "sign": push_sign(param, SALT)}).encode()
        bodies.append(
            b"POST /api/v1/tracking/push/kuaidi100 HTTP/1.1\r\nHost: bench\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(form)}\r\n\r\n".encode()
            + form
        )
    return bodies


async def _connection(port: int, bodies: list[bytes], latencies: list[float], failures: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for request in bodies:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))  # fmt: skip
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if b'"result":true' not in body:
                failures.append(body.decode(errors="replace")[:200])
    finally:
        writer.close()


async def _client(port: int, bodies: list[bytes], connections: int) -> tuple[float, list[float], list[str]]:
    latencies: list[float] = []
    failures: list[str] = []
    shares = [bodies[i::connections] for i in range(connections)]
    started = time.perf_counter()
    await asyncio.gather(*(_connection(port, share, latencies, failures) for share in shares))
    return time.perf_counter() - started, latencies, failures


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


@dataclass
class Run:
    seconds: float
    latencies: list[float]
    failures: list[str]
    cpu: float  # server CPU seconds (all its processes)

    def line(self, pushes: int) -> str:
        self.latencies.sort()
        p50 = self.latencies[len(self.latencies) // 2]
        p99 = self.latencies[int(len(self.latencies) * 0.99)]
        cpu = self.cpu * 1000 / pushes
        return (f"{pushes / self.seconds:,.0f} pushes/s, p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
                f"failures {len(self.failures)}, server CPU {cpu:.2f} ms/push")  # fmt: skip


def _serve_and_push(command: list[str], env: dict[str, str], bodies: list[bytes], warm: list[bytes],
                    connections: int) -> Run:  # fmt: skip
    port = _free_port()
    server = subprocess.Popen([*command, str(port)] if "{port}" not in command else
                              [c.replace("{port}", str(port)) for c in command],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _wait_for(port, server)
        asyncio.run(_client(port, warm, connections))  # warm-up: other parcels, every worker started
        cpu = process_cpu(server.pid)
        seconds, latencies, failures = asyncio.run(_client(port, bodies, connections))
        cpu = process_cpu(server.pid) - cpu
    finally:
        server.send_signal(signal.SIGINT)  # uvicorn's graceful stop: the app's shutdown closes the inbox
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return Run(seconds, latencies, failures, cpu)


def bench_push(pushes: int, connections: int, workdir: Path, db_url: str | None, workers: int = 1) -> None:
    """`lanshou serve --workers N`, the bare route in uvicorn with the same settings, then the drain."""
    url = db_url or f"sqlite:///{workdir / 'push.db'}"
    bootstrap.start().subscribed()
    engine = open_database(url)  # migrated before the server starts
    queue = f"sqlite:///{workdir / 'queue.db'}"  # the drain jobs the endpoint queues: nobody runs them here
    env = {**os.environ, "LANSHOU_KUAIDI100_SALT": SALT, "LANSHOU_DATABASE_URL": url,
           "LANSHOU_DATA_DIR": str(workdir / "data"), "LANSHOU_QUEUE_URL": queue}  # fmt: skip
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    every = push_bodies(pushes + 1000)
    bodies, warm = every[:pushes], every[pushes:]
    lanshou = str(Path(sys.executable).with_name("lanshou"))
    serve = [lanshou, "serve", "--host", "127.0.0.1", "--workers", str(workers), "--port", "{port}"]
    bare = [sys.executable, str(Path(__file__).with_name("push_server.py")), "{port}", str(workers)]
    load = os.getloadavg()[0]
    raw = _serve_and_push(bare, env, bodies, warm, connections)
    real = _serve_and_push(serve, env, bodies, warm, connections)
    load = max(load, os.getloadavg()[0])
    where = f"{connections} connections, {workers} uvicorn worker(s), {url.split(':')[0]}"
    print(f"push: {pushes:,} Kuaidi100 pushes x 10 events, {where}")
    print(f"  lanshou serve (verify + inbox): {real.line(pushes)}")
    print(f"  bare route (answers only):      {raw.line(pushes)}")
    rate, raw_rate = pushes / real.seconds, pushes / raw.seconds
    cores = os.cpu_count()
    print(f"  ratio {rate / raw_rate:.2f} of the bare route (load average up to {load:.1f} on {cores} cores)")
    p99 = real.latencies[int(len(real.latencies) * 0.99)]
    ok = rate >= 2000 and p99 <= 0.050 and not real.failures
    print(f"  target >= 2,000 pushes/s with p99 <= 50 ms: {'met' if ok else 'NOT met'}")
    if real.failures:
        print("  first failure:", real.failures[0])
    started, cpu = time.perf_counter(), cpu_seconds()
    drained = drain_inbox(engine)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(tracking_events)).scalar_one()
        left = conn.execute(select(func.count()).select_from(tracking_inbox)).scalar_one()
    print(f"  drain: {drained.pushes:,} pushes ({drained.events:,} new events) in {seconds:.1f} s = "
          f"{drained.pushes / seconds:,.0f} pushes/s, {drained.events / cpu:,.0f} events per CPU-second; "
          f"stored events {stored:,} (expected {(pushes + 1000) * 10:,}), inbox left {left}")  # fmt: skip
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", nargs="?", choices=["file", "push", "all"], default="all")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pushes", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="push: uvicorn worker processes")
    parser.add_argument("--db-url", default=None, help="push: database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lanshou-bench-tracking-") as tmp:
        if args.what in ("file", "all"):
            bench_file(args.events, Path(tmp))
        if args.what in ("push", "all"):
            bench_push(args.pushes, args.connections, Path(tmp), args.db_url, args.workers)


if __name__ == "__main__":
    main()
