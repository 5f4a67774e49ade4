"""`lanshou users add|token|list` against a private SQLite database, and `lanshou serve`'s options."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lanshou.accounts.service import authenticate, shops_for, user_for_token
from lanshou.cli.app import app
from lanshou.cli.common import console, database
from lanshou.cli.serve import _is_loopback
from tests.accounts_data import PASSWORD, SHOP_A, orders_csv

runner = CliRunner()


@pytest.fixture
def shops_imported(cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(console, "_width", 200)
    result = runner.invoke(app, ["import", "orders", str(orders_csv(tmp_path / "orders.csv"))])
    assert result.exit_code == 0, result.output
    return cli_env


def test_add_with_password_on_stdin_then_log_in(shops_imported: Path) -> None:
    result = runner.invoke(
        app,
        ["users", "add", "Alice", "--role", "operator", "--shops", SHOP_A, "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Added operator alice" in result.output
    user = authenticate(database(), "alice", PASSWORD, "127.0.0.1")
    assert [shop.label for shop in shops_for(database(), user)] == [SHOP_A]


def test_add_with_a_hidden_prompt_asks_twice(shops_imported: Path) -> None:
    result = runner.invoke(app, ["users", "add", "boss", "--role", "店主"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden while typed
    assert "all shops" in result.output
    mismatch = runner.invoke(
        app, ["users", "add", "boss2", "--role", "owner"], input=f"{PASSWORD}\nother one\n" * 3
    )
    assert mismatch.exit_code != 0


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "admin"], PASSWORD, "unknown role 'admin'"),
        (["--role", "warehouse"], PASSWORD, "give the warehouse's shops with --shops"),
        (["--role", "warehouse", "--shops", "旗舰店"], PASSWORD, "used on several platforms"),
        (["--role", "owner"], "short", "password too short"),
        (["--role", "owner"], "", "no password on standard input"),
    ],
)
def test_add_refuses_with_one_clear_message(
    shops_imported: Path, args: list[str], stdin: str, message: str
) -> None:
    result = runner.invoke(app, ["users", "add", "x", *args, "--password-stdin"], input=stdin + "\n")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_token_is_printed_once_and_works(shops_imported: Path) -> None:
    runner.invoke(app, ["users", "add", "boss", "--role", "owner", "--password-stdin"], input=PASSWORD + "\n")
    result = runner.invoke(app, ["users", "token", "boss", "--label", "ERP"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    user = user_for_token(database(), token)
    assert user is not None and user.name == "boss"
    listed = runner.invoke(app, ["users", "list"])
    assert listed.exit_code == 0
    assert token not in listed.output
    row = next(line for line in listed.output.splitlines() if "boss" in line)
    assert "店主 Owner" in row and "全部 all" in row and " 1 " in row


def test_token_for_unknown_user_is_refused(shops_imported: Path) -> None:
    result = runner.invoke(app, ["users", "token", "ghost"])
    assert result.exit_code == 1
    assert "no active user 'ghost'" in result.output


def test_list_with_no_users(shops_imported: Path) -> None:
    result = runner.invoke(app, ["users", "list"])
    assert result.exit_code == 0 and "No users yet" in result.output


def test_serve_defaults_to_insecure_cookies_only_on_loopback() -> None:
    assert _is_loopback("127.0.0.1") and _is_loopback("localhost") and _is_loopback("::1")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("192.0.2.10") and not _is_loopback("shop.example")
