"""What the form of a carrier event's time costs the tracking import's two processes (issue 9, item 3).

    .venv/bin/python bench/import/event_times.py [--batches 6] [--rounds 4] [--lines 96540 --mean-lines 1.38]
        [--dir DIR]

A tracking file's events are parsed in a forked child and travel to the writer pickled, a batch at a time.
Each event's time can travel as a datetime or as the text SQLite stores (time_text's). This takes the first
`--batches` batches of issue 9's tracking file as the parse makes them (text), makes the same rows with
datetimes, and for each form, alternating which goes first, into a fresh copy of a database holding the
orders file (imported once, untimed): the child's pickling, the writer's unpickling, and `record_events`
(events, parcel states, everything the wired subscribers do in the batch's transaction, the commit), in CPU
seconds of this process, the cyclic collector off as in the import. Printed: each round, then the medians
and the writer's difference per event. SQLite only: PostgreSQL parses the text on the server either way.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/import: run

from run import _files

from lanshou import bootstrap
from lanshou.db.engine import make_engine, open_database
from lanshou.events import EventBus
from lanshou.intake.orders import import_orders
from lanshou.intake.pipeline import Batch
from lanshou.intake.tracking import parse_batches
from lanshou.tracking.record import record_events

Rows = list[list[dict[str, Any]]]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--lines", type=int, default=96_540)
    parser.add_argument("--mean-lines", type=float, default=1.38)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (the files are kept there)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lanshou-event-times-") as tmp:
        work = args.dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        orders_csv, tracking_csv, _, _ = _files(work, args.lines, args.seed, args.mean_lines)
        # the orders of these very files (a --dir keeps the files of other --lines, --seed, --mean-lines too)
        template = work / f"event-times-orders-{args.lines}-{args.seed}-{args.mean_lines}.db"
        if not template.exists():
            engine = open_database(f"sqlite:///{template}")
            bootstrap.start().subscribed()
            import_orders(engine, orders_csv, rejects=work / "rejected.csv")
            engine.dispose()
        as_text = _batches(tracking_csv, args.batches)
        as_datetime = [
            [{**row, "event_time": datetime.fromisoformat(row["event_time"])} for row in b] for b in as_text
        ]
        events = sum(map(len, as_text))
        print(f"{events:,} events in {len(as_text)} batches")
        forms = {"datetime": as_datetime, "text": as_text}
        figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in forms}
        for round_no in range(args.rounds):
            order = list(forms) if round_no % 2 == 0 else list(reversed(forms))
            for name in order:
                figures[name].append(_one(forms[name], template, work / "event-times.db"))
                dumps, loads, record = figures[name][-1]
                print(f"round {round_no + 1} {name:<8}  child pickles {dumps:5.2f} s | writer unpickles "
                      f"{loads:5.2f} s, records {record:5.2f} s")  # fmt: skip
        _report(figures, events)


def _batches(tracking_csv: Path, wanted: int) -> Rows:
    found: Rows = []
    for message in parse_batches(tracking_csv, "Asia/Shanghai"):
        if isinstance(message, Batch):
            found.append(message.items)
            if len(found) == wanted:
                break
    return found


def _one(batches: Rows, template: Path, path: Path) -> tuple[float, float, float]:
    shutil.copy(template, path)
    engine = make_engine(f"sqlite:///{path}")
    bus = bootstrap.start(EventBus()).subscribed()
    gc.collect()
    gc.disable()
    try:
        started = time.process_time()
        blobs = [pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL) for rows in batches]
        pickled = time.process_time()
        loaded = [pickle.loads(blob) for blob in blobs]
        unpickled = time.process_time()
        for rows in loaded:
            with engine.begin() as conn:
                record_events(conn, rows, bus)
        recorded = time.process_time()
    finally:
        gc.enable()
        engine.dispose()
    return pickled - started, unpickled - pickled, recorded - unpickled


def _report(figures: dict[str, list[tuple[float, float, float]]], events: int) -> None:
    medians = {name: [median(part) for part in zip(*runs, strict=True)] for name, runs in figures.items()}
    print()
    for name, (dumps, loads, record) in medians.items():
        print(f"median {name:<8}  child pickles {dumps:5.2f} s | writer unpickles {loads:5.2f} s, "
              f"records {record:5.2f} s, writer {loads + record:5.2f} s")  # fmt: skip
    old, new = medians["datetime"], medians["text"]
    saved = (old[1] + old[2]) - (new[1] + new[2])
    print(f"the writer with text times: {saved:.2f} s less, {saved / events * 1e6:.1f} µs an event "
          f"({saved / (old[1] + old[2]):.0%}); the child pickles {old[0] - new[0]:.2f} s less, and formats "
          "each time once instead")  # fmt: skip


if __name__ == "__main__":
    main()
