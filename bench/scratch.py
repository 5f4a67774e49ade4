"""Bench helpers shared by bench/import and bench/metrics: a scratch database behind --database-url, and the
ceiling of that same database (bare `executemany` on SQLite, bare `COPY` on PostgreSQL) to print beside it.

--database-url is a SQLite URL (`sqlite:///path.db`: the file is deleted first) or a PostgreSQL server URL
(`postgresql://postgres@127.0.0.1:5432/test`): a fresh database `lanshou_bench_<random>` is created on that
server for the run and dropped afterwards (--keep keeps it and prints its URL).
"""

from __future__ import annotations

import csv
import os
import resource
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, text

CHUNK = 5_000


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres"))


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def scratch_database(url: str, keep: bool = False) -> Iterator[str]:
    """The URL of an empty database for one run (see the module's docstring)."""
    if not is_postgres(url):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for end in ("", "-wal", "-shm"):
            Path(f"{path}{end}").unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    admin_url = url if "+psycopg" in url else url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"lanshou_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    scratch = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield scratch
    finally:
        if keep:
            print(f"kept the database: {scratch}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _csv_chunks(path: Path) -> Iterator[list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        while chunk := [row for _, row in zip(range(CHUNK), reader, strict=False)]:
            yield chunk


def _backend_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def ceiling(
    url: str, path: Path, header: tuple[str, ...], unique: tuple[str, ...] = ()
) -> tuple[float, float]:
    """Seconds for a bare csv.reader + executemany (SQLite) or COPY (PostgreSQL) of every row of the CSV
    into a plain text table (with one unique index on `unique`, if given), a commit per 5,000 rows.
    Returns (wall seconds, CPU seconds: this process and, on PostgreSQL, the server's backend)."""
    columns = ", ".join(f"{name} TEXT" for name in header)
    index = f"CREATE UNIQUE INDEX plain_key ON plain ({', '.join(unique)})" if unique else None
    if not is_postgres(url):
        db = Path(url.removeprefix("sqlite:///") + ".plain")
        for end in ("", "-wal", "-shm"):
            Path(f"{db}{end}").unlink(missing_ok=True)
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"CREATE TABLE plain (id INTEGER PRIMARY KEY, {columns})")
        if index:
            conn.execute(index)
        sql = f"INSERT INTO plain ({', '.join(header)}) VALUES ({', '.join('?' * len(header))})"
        started, cpu = time.perf_counter(), _own_cpu()
        for chunk in _csv_chunks(path):
            conn.executemany(sql, chunk)
            conn.commit()
        seconds, cpu = time.perf_counter() - started, _own_cpu() - cpu
        conn.close()
        for end in ("", "-wal", "-shm"):
            Path(f"{db}{end}").unlink(missing_ok=True)
        return seconds, cpu
    with psycopg.connect(_psycopg_url(url)) as conn:
        conn.execute("DROP TABLE IF EXISTS plain")
        conn.execute(f"CREATE TABLE plain (id BIGSERIAL PRIMARY KEY, {columns})")
        if index:
            conn.execute(index)
        conn.commit()
        pid = conn.info.backend_pid
        started, cpu = time.perf_counter(), _own_cpu() + _backend_cpu(pid)
        with conn.cursor() as cursor:
            for chunk in _csv_chunks(path):
                with cursor.copy(f"COPY plain ({', '.join(header)}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
                conn.commit()
        seconds, cpu = time.perf_counter() - started, _own_cpu() + _backend_cpu(pid) - cpu
        conn.execute("DROP TABLE plain")
        conn.commit()
        return seconds, cpu


class CpuMeter:
    """CPU seconds spent on the work: this process and its reaped children (the forked parser, the second
    refresh process), plus on PostgreSQL the server's: every postgres process's CPU, with that of exited
    backends as the postmaster's reaped children (a second process's connections come and go). Differences
    between two readings count; on PostgreSQL they include whatever other sessions ran on the same server
    meanwhile (none on a quiet machine), so they err high, never low."""

    def __init__(self, engine: Any) -> None:
        self.postgres = engine.dialect.name == "postgresql"

    def seconds(self) -> tuple[float, float]:
        """(client CPU seconds, server CPU seconds) so far."""
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        client = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
        return client, _postgres_cpu() if self.postgres else 0.0


def _postgres_cpu() -> float:
    """CPU seconds of every postgres process on this machine, their reaped children's included."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # exited meanwhile: its time is its parent's now
        name, fields = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1].split()
        if name == "postgres":
            total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")
