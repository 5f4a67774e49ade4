"""Interleaved pairs: the same import with the code of another revision and with this tree's, one after the
other, several rounds, each into a fresh database. This host's speed swings by half within minutes, so one
run of each says little; pairs taken back to back, and the CPU seconds beside the wall clock, do.

    .venv/bin/python bench/import/pairs.py --before REV [--kind orders|tracking] [--rounds 3]
        [--database-url URL] [--lines 96540 --mean-lines 1.38 --seed 7] [--dir DIR]

REV: a git revision (checked out into a temporary worktree) or a directory holding another checkout. Each
run is `lanshou import orders FILE` (or, for --kind tracking, the orders file imported untimed, then
`lanshou import tracking FILE` timed) as the CLI wires it, in a process of its own whose `lanshou` is the
revision's. Printed per run: wall seconds; CPU seconds of the importing process, of its children (the forked
parser, a second refresh process, the catch-up child) and, on PostgreSQL, of the server; and the settle (the
rollup refresh the import ends with). The default file is shaped as issue 9's (70,154 orders in 96,540 lines).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: scratch
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/import: run

from run import _files
from scratch import _postgres_cpu, is_postgres, scratch_database

HERE = Path(__file__).resolve().parents[2]  # this checkout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", help="a git revision or another checkout's directory (required)")
    parser.add_argument("--kind", choices=("orders", "tracking"), default="orders")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="sqlite:///path.db or a PostgreSQL server URL")
    parser.add_argument("--lines", type=int, default=96_540)
    parser.add_argument("--mean-lines", type=float, default=1.38)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (the files are kept there)")
    parser.add_argument("--one", nargs=3, metavar=("KIND", "URL", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one_run(*args.one)
        return
    if not args.before:
        parser.error("--before REV is required")
    with tempfile.TemporaryDirectory(prefix="lanshou-pairs-") as tmp:
        work = args.dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        _files(work, args.lines, args.seed, args.mean_lines)
        with _checkout(args.before, Path(tmp)) as before:
            trees = (("before", before / "src"), ("after", HERE / "src"))
            url = args.database_url or f"sqlite:///{work / 'pairs.db'}"
            for round_no in range(1, args.rounds + 1):
                for name, src in trees:
                    with scratch_database(url) as db_url:
                        figures = _run_in(src, args.kind, db_url, work)
                    print(f"round {round_no} {name:6} {figures}", flush=True)


class _checkout:
    """The revision as a directory: a temporary git worktree, removed after; or the directory given."""

    def __init__(self, before: str, tmp: Path) -> None:
        self.before, self.path, self.added = before, tmp / "before", False

    def __enter__(self) -> Path:
        if Path(self.before).is_dir():
            return Path(self.before)
        git = ["git", "-C", str(HERE), "worktree", "add", "--detach", "--force", str(self.path), self.before]
        subprocess.run(git, check=True, capture_output=True)
        self.added = True
        return self.path

    def __exit__(self, *exc: object) -> None:
        if self.added:
            remove = ["git", "-C", str(HERE), "worktree", "remove", "--force", str(self.path)]
            subprocess.run(remove, check=False, capture_output=True)


def _run_in(src: Path, kind: str, db_url: str, work: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [sys.executable, __file__, "--one", kind, db_url, str(work)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        return f"FAILED: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
    return done.stdout.strip()


def _cpu() -> tuple[float, float]:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _one_run(kind: str, db_url: str, work: str) -> None:
    """One import, in this process (its `lanshou` comes from PYTHONPATH): the figures on one line."""
    from lanshou import bootstrap
    from lanshou.db.engine import open_database
    from lanshou.events import bus
    from lanshou.intake.orders import import_orders
    from lanshou.intake.tracking import import_tracking

    folder = Path(work)
    rejects = folder / "pairs-rejected.csv"
    engine = open_database(db_url)
    wired = bootstrap.start()
    # wired now, untimed (a revision before 3 Dec 2026 wired at start and has no `subscribed`)
    getattr(wired, "subscribed", lambda: None)()
    if kind == "tracking":  # the orders first, untimed
        import_orders(engine, folder / "orders.csv", "generic", rejects=rejects)
    settles: list[tuple[float, float]] = []
    settle = bus.settle

    def timed(engine_: object) -> None:
        started, cpu = time.perf_counter(), sum(_cpu())
        settle(engine_)  # type: ignore[arg-type]
        settles.append((time.perf_counter() - started, sum(_cpu()) - cpu))

    bus.settle = timed  # type: ignore[method-assign]
    postgres = is_postgres(db_url)
    server = _postgres_cpu() if postgres else 0.0
    started, (me, kids) = time.perf_counter(), _cpu()
    if kind == "orders":
        report = import_orders(engine, folder / "orders.csv", "generic", rejects=rejects)
    else:
        report = import_tracking(engine, folder / "tracking.csv", rejects=rejects)
    wall, (me_after, kids_after) = time.perf_counter() - started, _cpu()
    server = _postgres_cpu() - server if postgres else 0.0
    settle_wall, settle_cpu = sum(w for w, _ in settles), sum(c for _, c in settles)
    engine.dispose()
    print(
        f"{kind} {report.rows:,} rows: {wall:6.2f} s | CPU-s: importer {me_after - me:.2f}, its children "
        f"{kids_after - kids:.2f}, server {server:.2f} | settle {settle_wall:.2f} s, {settle_cpu:.2f} CPU-s"
    )


if __name__ == "__main__":
    main()
