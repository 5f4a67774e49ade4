"""`lanshou users …` (add, passwd, role, grant/revoke, disable/enable, tokens, changes) against a private
SQLite database, and `lanshou serve`'s options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from lanshou.accounts.service import authenticate, shops_for, user_for_token
from lanshou.cli.app import app
from lanshou.cli.common import console, database
from lanshou.cli.serve import _is_loopback
from tests.accounts_data import PASSWORD, SHOP_A, SHOP_B, orders_csv

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


NEW_PASSWORD = "battery staple 77"


def users_cli(*args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, ["users", *args], input=stdin)


@pytest.fixture
def staffed(shops_imported: Path) -> Path:
    for args in (["boss", "--role", "owner"], ["alice", "--role", "operator", "--shops", SHOP_A]):
        result = users_cli("add", *args, "--password-stdin", stdin=PASSWORD + "\n")
        assert result.exit_code == 0, result.output
    return shops_imported


def test_passwd_reads_the_password_as_add_does(staffed: Path) -> None:
    result = users_cli("passwd", "Alice", "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "password changed alice: 会话已结束 sessions ended" in result.output
    assert authenticate(database(), "alice", NEW_PASSWORD, "127.0.0.1").name == "alice"
    prompted = users_cli("passwd", "alice", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0 and PASSWORD not in prompted.output
    weak = users_cli("passwd", "alice", "--password-stdin", stdin="short\n")
    assert weak.exit_code == 1 and "password too short" in weak.output


def test_role_grant_and_revoke_say_what_changed(staffed: Path) -> None:
    assert "operator → warehouse" in users_cli("role", "alice", "仓库").output
    granted = users_cli("grant", "alice", f"{SHOP_B},{SHOP_A}")
    assert granted.exit_code == 0 and f"shops granted alice: +{SHOP_B}" in granted.output
    revoked = users_cli("revoke", "alice", SHOP_A)
    assert f"shops withdrawn alice: -{SHOP_A}" in revoked.output
    user = authenticate(database(), "alice", PASSWORD, "127.0.0.1")
    assert [shop.label for shop in shops_for(database(), user)] == [SHOP_B]
    assert "全部店铺 all shops" in users_cli("grant", "alice", "--all-shops").output
    again = users_cli("grant", "alice", SHOP_A)
    assert (
        again.exit_code == 0
        and "unchanged: alice (warehouse, 全部店铺 all shops, active 启用)" in again.output
    )
    assert users_cli("revoke", "alice", "--all-shops").exit_code == 0
    assert shops_for(database(), user) == []


def test_disable_and_enable_and_the_last_owner_stays(staffed: Path) -> None:
    token = users_cli("token", "alice").stdout.strip().splitlines()[-1]
    disabled = users_cli("disable", "alice")
    assert disabled.exit_code == 0 and "disabled alice" in disabled.output
    assert user_for_token(database(), token) is None
    assert "unchanged" in users_cli("disable", "alice").output
    assert "enabled alice" in users_cli("enable", "alice").output
    assert user_for_token(database(), token) is not None
    for args in (["disable", "boss"], ["role", "boss", "operator"]):
        result = users_cli(*args)
        assert result.exit_code == 1, args
        assert "不能停用或降级最后一位启用的店主 'boss' is the last active owner" in result.output
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_tokens_are_listed_and_revoked_by_hint(staffed: Path) -> None:
    token = users_cli("token", "alice", "--label", "ERP").stdout.strip().splitlines()[-1]
    listed = users_cli("tokens", "alice")
    assert listed.exit_code == 0 and token[:10] in listed.output and "ERP" in listed.output
    assert token not in listed.output
    as_json = json.loads(users_cli("tokens", "alice", "--json").stdout)
    assert [(t["hint"], t["label"]) for t in as_json] == [(token[:10], "ERP")]
    revoked = users_cli("revoke-token", "alice", token[:10])
    assert (
        revoked.exit_code == 0
        and f"token revoked alice: #{as_json[0]['id']} {token[:10]} ERP" in revoked.output
    )
    assert user_for_token(database(), token) is None
    assert "No tokens" in users_cli("tokens", "alice").output
    missing = users_cli("revoke-token", "alice", token[:10])
    assert missing.exit_code == 1 and "has no token" in missing.output


def test_changes_record_who_did_what(staffed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "shopkeeper")
    users_cli("disable", "alice", "--by", "manager")
    users_cli("grant", "alice", SHOP_B)
    changes = json.loads(users_cli("changes", "alice", "--json").stdout)
    kinds = [(c["kind"], c["actor"]) for c in changes]
    assert kinds[:2] == [("grant", "shopkeeper"), ("disable", "manager")] and kinds[2][0] == "add"
    table = users_cli("changes")
    assert table.exit_code == 0 and "manager" in table.output and "boss" in table.output
    listed = json.loads(users_cli("list", "--json").stdout)
    assert [(u["user"], u["active"], u["shops"]) for u in listed] == [
        ("alice", False, [SHOP_B, SHOP_A]),
        ("boss", True, []),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["passwd", "ghost", "--password-stdin"], "no user 'ghost'"),
        (["role", "ghost", "owner"], "no user 'ghost'"),
        (["role", "alice", "admin"], "unknown role 'admin'"),
        (["grant", "ghost", SHOP_A], "no user 'ghost'"),
        (["grant", "alice", "没有的店"], "no shop named '没有的店'"),
        (["grant", "alice"], "name shops, or --all-shops"),
        (["revoke", "alice", SHOP_A, "--all-shops"], "name shops, or --all-shops"),
        (["revoke", "boss", SHOP_A], "sees every shop"),
        (["disable", "ghost"], "no user 'ghost'"),
        (["enable", "ghost"], "no user 'ghost'"),
        (["tokens", "ghost"], "no user 'ghost'"),
        (["revoke-token", "ghost", "1"], "no user 'ghost'"),
        (["changes", "ghost"], "no user 'ghost'"),
    ],
)
def test_every_refusal_is_one_clear_line(staffed: Path, args: list[str], message: str) -> None:
    result = users_cli(*args, stdin=NEW_PASSWORD + "\n")
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
