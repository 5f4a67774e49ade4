"""The root `lanshou` command knows every top-level command by name and builds only the one that runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from lanshou.cli.app import REGISTERS, _commands_of, app


def test_the_table_names_exactly_the_commands_the_areas_register() -> None:
    registered: set[str] = set()
    for name in REGISTERS:
        built = _commands_of(name)
        assert name in built, name  # what the table says registers it does
        registered |= set(built)
    assert registered == set(REGISTERS)  # and no area adds a command the table leaves out


def test_help_lists_every_command_and_a_typo_gets_a_suggestion() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["--help"], terminal_width=200)
    assert listed.exit_code == 0
    for name in REGISTERS:
        assert f" {name} " in listed.output, name
    wrong = runner.invoke(app, ["improt", "orders"])
    assert wrong.exit_code == 2 and "Did you mean 'import'?" in wrong.output


def test_an_area_adding_several_commands_registers_once() -> None:
    from lanshou.cli import metrics

    assert CliRunner().invoke(app, ["--help"]).exit_code == 0  # builds `queue` and `metrics`, one module
    assert CliRunner().invoke(app, ["metrics", "misses", "--help"]).exit_code == 0
    added = [command.name for command in metrics.metrics_app.registered_commands]
    assert added.count("misses") == 1, added


def test_a_command_builds_only_its_own_area() -> None:
    probe = (
        "import sys; from typer.testing import CliRunner; from lanshou.cli.app import app; "
        "done = CliRunner().invoke(app, ['shops', '--help']); assert done.exit_code == 0, done.output; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('lanshou.cli.'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert "lanshou.cli.shops" in loaded
    assert not loaded & {"lanshou.cli.aftersales", "lanshou.cli.demo", "lanshou.cli.imports"}, loaded


def test_a_command_on_sqlite_never_loads_the_postgresql_driver(tmp_path: Path) -> None:
    """psycopg costs a tenth of a second of a start: a SQLite database does without it, even for an import
    (whose store has PostgreSQL-only paths) and a database created on the way. (What opens the job queue
    loads it anyway: huey's storage module imports it when it is installed.)"""
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "platform,shop,order_id,status,created_at,paid_at,sku,quantity\n"
        "taobao,店,O1,paid,2026-11-01 10:00:00,2026-11-01 10:00:00,S1,1\n",
        encoding="utf-8",
    )
    probe = (
        "import sys; from typer.testing import CliRunner; from lanshou.cli.app import app; "
        f"done = CliRunner().invoke(app, ['import', 'orders', {str(orders)!r}]); "
        "assert done.exit_code == 0, done.output; print('psycopg' in sys.modules)"
    )
    env = {**os.environ, "LANSHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'lanshou.db'}"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and done.stdout.split() == ["False"], done.stdout + done.stderr
