"""The data directory the first command makes (SQLite database with unmasked buyer data, session and buyer-key
secrets) is its owner's alone; a directory the user made and chose keeps its mode."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lanshou.cli.app import app as cli_app


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_dir_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "home" / "lanshou"
    monkeypatch.setenv("LANSHOU_DATA_DIR", str(data))
    monkeypatch.delenv("LANSHOU_DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli_app, ["shops", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert (data / "lanshou.db").is_file()
    assert _mode(data) == 0o700  # other users cannot open the database or the secrets inside


def test_a_chosen_existing_dir_keeps_its_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "shared"
    data.mkdir(mode=0o750)
    data.chmod(0o750)
    monkeypatch.setenv("LANSHOU_DATA_DIR", str(data))
    monkeypatch.delenv("LANSHOU_DATABASE_URL", raising=False)
    assert CliRunner().invoke(cli_app, ["shops", "list", "--json"]).exit_code == 0
    assert _mode(data) == 0o750
