"""Jobs for the queue tests, and the worker process the exactly-once test starts twice:

python -m tests.jobs_sample <runs.db>    (LANSHOU_QUEUE_URL / LANSHOU_QUEUE_NAME pick the queue)
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time

from lanshou.jobs import JobRegistry, open_queue, run_worker

SAMPLE = JobRegistry()


def connect(db_path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, timeout=30)
    conn.execute("pragma journal_mode=wal")
    return conn


def create_runs_table(db_path: str) -> None:
    with connect(db_path) as conn:  # no unique constraint: a second run of a key must be visible
        conn.execute("create table if not exists runs (key text not null, pid integer not null)")


@SAMPLE.job("sample.record")
def record(key: str, db_path: str) -> None:
    """Write one row per run: the job's unique key and the process that ran it."""
    conn = connect(db_path)
    with conn:
        conn.execute("insert into runs (key, pid) values (?, ?)", (key, os.getpid()))
    conn.close()
    time.sleep(0.005)  # long enough that both workers get a share


def main(runs_db: str) -> None:
    queue = open_queue(registry=SAMPLE)

    @queue.huey.on_startup()
    def ready() -> None:  # each worker thread, as it starts consuming
        with connect(runs_db) as conn:
            conn.execute("insert into runs (key, pid) values (?, ?)", ("ready", os.getpid()))

    run_worker(2, queue=queue, periodic=False)


if __name__ == "__main__":
    main(sys.argv[1])
