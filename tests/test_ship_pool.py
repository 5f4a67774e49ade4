"""The waybill pool in the database: import (idempotent, bad rows by line), claims that never hand one number
out twice (real processes on SQLite and PostgreSQL), cancel, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from lanshou.cli.app import app
from lanshou.db.engine import write_transaction
from lanshou.shipping.pool_import import (
    UnknownCarrier,
    WaybillActionRefused,
    cancel_number,
    import_pool,
)
from lanshou.shipping.pool_store import DbNumberPool, pool_counts
from lanshou.shipping.tables import waybill_numbers
from lanshou.shipping.waybills import PoolWaybillProvider
from tests.waybill_data import request

ROOT = Path(__file__).parent.parent


def pool_csv(tmp_path: Path, numbers: list[str], name: str = "pool.csv") -> Path:
    path = tmp_path / name
    path.write_text("tracking_no\n" + "".join(f"{n}\n" for n in numbers), encoding="utf-8")
    return path


def numbers(count: int, prefix: str = "7800") -> list[str]:
    return [f"{prefix}{i:010d}" for i in range(count)]


def test_import_is_idempotent_and_reports_bad_rows_by_line(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "pool.csv"
    path.write_text("tracking_no\n780000000001\nbad-1\n780000000002\n780000000001\n", encoding="utf-8")
    first = import_pool(engine, path, "中通")
    assert (first.carrier, first.added, first.already) == ("zto", 2, 0)
    assert [(p.line, p.number) for p in first.problems] == [(3, "bad-1"), (5, "780000000001")]
    again = import_pool(engine, path, "zto")
    assert (again.added, again.already) == (0, 2)
    with engine.connect() as conn:
        assert [c.as_json() for c in pool_counts(conn)] == [
            {"carrier": "zto", "available": 2, "used": 0, "cancelled": 0}
        ]


def test_unknown_carrier_is_refused_before_anything_is_read(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(UnknownCarrier, match="unknown carrier 'nope'"):
        import_pool(engine, pool_csv(tmp_path, numbers(3)), "nope")


def test_claim_reuses_a_holders_number_and_runs_dry_cleanly(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        pool = DbNumberPool(conn)
        pool.add("zto", numbers(3))
        first = pool.claim("zto", ["1:A", "1:B"])
        assert first == {"1:A": "78000000000000", "1:B": "78000000000001"}
        again = pool.claim("zto", ["1:B", "1:C", "1:D"])
        # B keeps its number, C takes the last one, D gets none: the pool ran dry
        assert again == {"1:B": "78000000000001", "1:C": "78000000000002"}
    with write_transaction(engine) as conn:
        provider = PoolWaybillProvider("zto", DbNumberPool(conn))
        results = provider.issue([request("1:E", carrier="zto")])
    assert not results[0].ok and "number pool of zto is empty" in results[0].error


def test_a_rolled_back_claim_gives_its_numbers_back(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        DbNumberPool(conn).add("yto", numbers(2, "YT"))
    with pytest.raises(RuntimeError), write_transaction(engine) as conn:
        assert len(DbNumberPool(conn).claim("yto", ["1:A", "1:B"])) == 2
        raise RuntimeError("the shipment failed after the claim")
    with engine.connect() as conn:
        assert pool_counts(conn)[0].available == 2


def test_cancel_retires_for_good(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        pool = DbNumberPool(conn)
        pool.add("zto", numbers(3))
        pool.claim("zto", ["1:A"])
    assert cancel_number(engine, "zto", "78000000000000").was == "used"
    assert cancel_number(engine, "zto", "78000000000001").was == "available"
    with pytest.raises(WaybillActionRefused, match="already cancelled"):
        cancel_number(engine, "zto", "78000000000001")
    with pytest.raises(WaybillActionRefused, match="not in the zto pool"):
        cancel_number(engine, "zto", "99999999999")
    with write_transaction(engine) as conn:
        # A's number is void: A takes a fresh one, and a cancelled number is never handed out again
        assert DbNumberPool(conn).claim("zto", ["1:A", "1:B"]) == {"1:A": "78000000000002"}


def test_processes_claiming_at_once_never_share_a_number(engine: Engine, tmp_path: Path) -> None:
    total, workers, batches, per_batch = 300, 3, 12, 10  # 360 wanted of 300: the pool runs dry meanwhile
    with write_transaction(engine) as conn:
        DbNumberPool(conn).add("zto", numbers(total))
    url = engine.url.render_as_string(hide_password=False)
    script = str(ROOT / "tests" / "ship_claim.py")
    procs = [
        subprocess.Popen(
            [sys.executable, script, url, "zto", f"w{w}", str(batches), str(per_batch)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for w in range(workers)
    ]
    pairs: list[tuple[str, str]] = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        pairs += [tuple(json.loads(line)) for line in out.splitlines()]
    handed = Counter(number for _, number in pairs)
    assert len(pairs) == total  # every number went out, none twice, and nothing was invented
    assert max(handed.values()) == 1
    assert {w for holder, _ in pairs for w in [holder.split("-")[0]]} == {"w0", "w1", "w2"}
    with engine.connect() as conn:
        used = dict(conn.execute(select(waybill_numbers.c.tracking_no, waybill_numbers.c.holder)).all())
        assert conn.execute(select(func.count()).where(waybill_numbers.c.status == "available")).scalar() == 0
    assert used == {number: holder for holder, number in pairs}


def test_cli_import_list_cancel(cli_env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "pool.csv"
    path.write_text("运单号\n780000000001\n780000000002\nxx\n", encoding="utf-8")
    result = runner.invoke(app, ["waybills", "import", str(path), "--carrier", "zto", "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["added"] == 2 and report["rejected"][0]["line"] == 4
    result = runner.invoke(app, ["waybills", "import", str(path), "--carrier", "nope"])
    assert result.exit_code == 2 and "unknown carrier" in result.output
    missing = tmp_path / "none.csv"
    missing.write_text("number\n1\n", encoding="utf-8")
    result = runner.invoke(app, ["waybills", "import", str(missing), "--carrier", "zto"])
    assert result.exit_code == 2 and "no tracking_no column" in result.output
    assert runner.invoke(app, ["waybills", "cancel", "780000000001", "--carrier", "zto"]).exit_code == 0
    result = runner.invoke(app, ["waybills", "list", "--json"])
    assert json.loads(result.stdout) == [{"carrier": "zto", "available": 1, "used": 0, "cancelled": 1}]
    result = runner.invoke(app, ["waybills", "list", "--status", "cancelled", "--json"])
    assert [n["tracking_no"] for n in json.loads(result.stdout)] == ["780000000001"]
