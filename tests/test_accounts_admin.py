"""Managing users on SQLite and PostgreSQL: password, role, shop grants, disable/enable, tokens, the record
of every change, and the last active owner who cannot be taken away."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from lanshou.accounts.admin import (
    change_password,
    grant_shops,
    list_tokens,
    revoke_shops,
    revoke_token,
    set_active,
    set_role,
    user_changes,
)
from lanshou.accounts.errors import AccountError, LastOwner, LoginRefused, UnknownUser
from lanshou.accounts.limits import LoginLimits
from lanshou.accounts.passwords import WeakPassword
from lanshou.accounts.roles import Role
from lanshou.accounts.service import (
    add_user,
    authenticate,
    issue_token,
    shops_for,
    token_holder_and_shops,
    user_by_id,
    user_for_session,
    user_for_token,
)
from lanshou.accounts.tables import api_tokens
from tests.accounts_data import PASSWORD, SHOP_A, SHOP_B, SHOP_C, seed

NOW = datetime(2026, 12, 3, 9, 0)
NEW_PASSWORD = "battery staple 77"
LIMITS = LoginLimits(per_name=100, per_client=100, window=timedelta(minutes=15))


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Engine:
    return seed(engine, tmp_path).engine


def login(engine: Engine, name: str, password: str = PASSWORD) -> object:
    return authenticate(engine, name, password, "10.0.0.1", LIMITS, NOW)


def shop_labels(engine: Engine, name: str) -> list[str]:
    user = authenticate(engine, name, PASSWORD, "10.0.0.1", LIMITS, NOW)
    return [shop.label for shop in shops_for(engine, user)]


def test_a_new_password_works_the_old_one_not_and_sessions_made_before_end(seeded: Engine) -> None:
    alice = authenticate(seeded, "alice", PASSWORD, "10.0.0.1", LIMITS, NOW)
    assert user_for_session(seeded, alice.id, alice.session_epoch) == alice
    done = change_password(seeded, "Alice", NEW_PASSWORD, "boss", NOW)
    assert done.changed and done.kind == "password"
    with pytest.raises(LoginRefused):
        login(seeded, "alice")
    again = authenticate(seeded, "alice", NEW_PASSWORD, "10.0.0.1", LIMITS, NOW)
    assert user_for_session(seeded, alice.id, alice.session_epoch) is None
    assert user_for_session(seeded, again.id, again.session_epoch) == again


@pytest.mark.parametrize("password", ["short", " padded password ", "x" * 1025])
def test_a_new_password_follows_the_rules_of_add(seeded: Engine, password: str) -> None:
    with pytest.raises(WeakPassword):
        change_password(seeded, "alice", password, "boss", NOW)
    login(seeded, "alice")  # unchanged


def test_a_disabled_user_is_refused_everywhere_at_once(seeded: Engine) -> None:
    token = issue_token(seeded, "alice")
    alice = authenticate(seeded, "alice", PASSWORD, "10.0.0.1", LIMITS, NOW)
    done = set_active(seeded, "alice", False, "boss", NOW)
    assert done.changed and not done.user.active
    with pytest.raises(LoginRefused):
        login(seeded, "alice")
    assert user_for_token(seeded, token) is None
    assert token_holder_and_shops(seeded, token) is None
    assert user_by_id(seeded, alice.id) is None
    assert user_for_session(seeded, alice.id, alice.session_epoch) is None


def test_enabling_again_revives_tokens_but_not_old_sessions(seeded: Engine) -> None:
    token = issue_token(seeded, "alice")
    before = authenticate(seeded, "alice", PASSWORD, "10.0.0.1", LIMITS, NOW)
    set_active(seeded, "alice", False, "boss", NOW)
    done = set_active(seeded, "alice", True, "boss", NOW)
    assert done.changed and done.user.active
    assert user_for_token(seeded, token) is not None  # tokens are revoked one by one: revoke_token
    assert user_for_session(seeded, before.id, before.session_epoch) is None
    fresh = authenticate(seeded, "alice", PASSWORD, "10.0.0.1", LIMITS, NOW)
    assert user_for_session(seeded, fresh.id, fresh.session_epoch) == fresh


def test_a_change_that_changes_nothing_is_not_recorded(seeded: Engine) -> None:
    assert not set_active(seeded, "alice", True, "boss", NOW).changed
    assert not set_role(seeded, "alice", Role.OPERATOR, "boss", NOW).changed
    assert not grant_shops(seeded, "alice", [SHOP_A], "boss", NOW).changed
    assert not revoke_shops(seeded, "alice", [SHOP_B], "boss", NOW).changed
    assert [c.kind for c in user_changes(seeded, "alice")] == ["token", "add"]


def test_roles_change_and_the_new_role_counts_from_the_next_request(seeded: Engine) -> None:
    token = issue_token(seeded, "alice")
    done = set_role(seeded, "alice", Role.WAREHOUSE, "boss", NOW)
    assert done.changed and done.detail == "operator → warehouse"
    held = token_holder_and_shops(seeded, token)
    assert held is not None and held[0].role is Role.WAREHOUSE


def test_the_last_active_owner_can_be_neither_disabled_nor_demoted(seeded: Engine) -> None:
    with pytest.raises(LastOwner, match="'boss' is the last active owner"):
        set_active(seeded, "boss", False, "boss", NOW)
    with pytest.raises(LastOwner):
        set_role(seeded, "boss", Role.OPERATOR, "boss", NOW)
    add_user(seeded, "boss2", PASSWORD, Role.OWNER)
    set_active(seeded, "boss2", False, "boss", NOW)  # a disabled owner does not count
    with pytest.raises(LastOwner):
        set_role(seeded, "boss", Role.OPERATOR, "boss", NOW)
    set_active(seeded, "boss2", True, "boss", NOW)
    assert set_role(seeded, "boss", Role.OPERATOR, "boss2", NOW).changed
    with pytest.raises(LastOwner):
        set_active(seeded, "boss2", False, "boss2", NOW)
    assert [c.kind for c in user_changes(seeded, "boss")] == ["role", "token", "add"]


def test_two_owners_demoting_each_other_at_once_leave_one_owner(seeded: Engine) -> None:
    add_user(seeded, "boss2", PASSWORD, Role.OWNER)

    def demote(pair: tuple[str, str]) -> bool:
        try:
            set_role(seeded, pair[0], Role.OPERATOR, pair[1], NOW)
        except LastOwner:
            return False
        return True

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(demote, [("boss", "boss2"), ("boss2", "boss")]))
    assert sorted(results) == [False, True]


def test_shops_are_granted_and_withdrawn(seeded: Engine) -> None:
    done = grant_shops(seeded, "alice", [SHOP_B, SHOP_A], "boss", NOW)
    assert done.changed and done.detail == f"+{SHOP_B}"
    assert shop_labels(seeded, "alice") == [SHOP_B, SHOP_A]
    done = revoke_shops(seeded, "alice", [SHOP_A], "boss", NOW)
    assert done.detail == f"-{SHOP_A}" and shop_labels(seeded, "alice") == [SHOP_B]
    assert grant_shops(seeded, "alice", None, "boss", NOW).user.all_shops
    assert shop_labels(seeded, "alice") == sorted([SHOP_A, SHOP_B, SHOP_C])
    revoked = revoke_shops(seeded, "alice", None, "boss", NOW)
    assert not revoked.user.all_shops and shop_labels(seeded, "alice") == []  # grants do not come back


def test_a_shop_cannot_be_withdrawn_one_by_one_from_a_user_who_sees_every_shop(seeded: Engine) -> None:
    with pytest.raises(AccountError, match="sees every shop"):
        revoke_shops(seeded, "boss", [SHOP_A], "boss", NOW)


@pytest.mark.parametrize(
    ("shops", "message"),
    [(["没有的店"], "no shop named '没有的店'"), (["旗舰店"], "used on several platforms"), ([" "], "empty")],
)
def test_unknown_and_ambiguous_shops_are_refused(seeded: Engine, shops: list[str], message: str) -> None:
    for use_case in (grant_shops, revoke_shops):
        with pytest.raises(AccountError, match=message):
            use_case(seeded, "alice", shops, "boss", NOW)


def test_unknown_users_are_refused_by_every_change(seeded: Engine) -> None:
    attempts = [
        lambda: change_password(seeded, "ghost", NEW_PASSWORD, "boss", NOW),
        lambda: set_role(seeded, "ghost", Role.OWNER, "boss", NOW),
        lambda: set_active(seeded, "ghost", False, "boss", NOW),
        lambda: grant_shops(seeded, "ghost", None, "boss", NOW),
        lambda: revoke_shops(seeded, "ghost", None, "boss", NOW),
        lambda: revoke_token(seeded, "ghost", "1", "boss", NOW),
        lambda: list_tokens(seeded, "ghost"),
        lambda: user_changes(seeded, "ghost"),
    ]
    for attempt in attempts:
        with pytest.raises(UnknownUser, match="no user 'ghost'"):
            attempt()


def test_tokens_are_listed_without_the_token_and_revoked_by_hint_or_id(seeded: Engine) -> None:
    erp, shop, other = (issue_token(seeded, "wang", label, NOW) for label in ("ERP", "打单", ""))
    listed = list_tokens(seeded, "wang")
    assert [(t.hint, t.label, t.created_at) for t in listed][-3:] == [
        (erp[:10], "ERP", NOW),
        (shop[:10], "打单", NOW),
        (other[:10], "", NOW),
    ]
    done = revoke_token(seeded, "wang", erp[:10], "boss", NOW)
    assert done.changed and done.detail == f"#{listed[-3].id} {erp[:10]} ERP"
    assert user_for_token(seeded, erp) is None and token_holder_and_shops(seeded, erp) is None
    revoke_token(seeded, "wang", str(listed[-2].id), "boss", NOW)
    assert user_for_token(seeded, shop) is None
    assert user_for_token(seeded, other) is not None


def test_a_token_of_another_user_or_an_ambiguous_hint_is_refused(seeded: Engine) -> None:
    alices = issue_token(seeded, "alice")
    with pytest.raises(AccountError, match="wang 没有此令牌 has no token"):
        revoke_token(seeded, "wang", alices[:10], "boss", NOW)
    twin = issue_token(seeded, "alice")
    with seeded.begin() as conn:  # a 36-bit hint can repeat: then only the id names one
        conn.execute(update(api_tokens).where(api_tokens.c.hint == twin[:10]).values(hint=alices[:10]))
    with pytest.raises(AccountError, match="name one by id"):
        revoke_token(seeded, "alice", alices[:10], "boss", NOW)
    assert user_for_token(seeded, alices) is not None


def test_every_change_is_recorded_with_who_and_when(seeded: Engine) -> None:
    later = NOW + timedelta(hours=1)
    change_password(seeded, "bob", NEW_PASSWORD, "boss", NOW)
    grant_shops(seeded, "bob", [SHOP_A], "boss", NOW)
    set_active(seeded, "bob", False, "manager", later)
    changes = user_changes(seeded, "bob")
    assert [(c.kind, c.actor, c.at) for c in changes[:3]] == [
        ("disable", "manager", later),
        ("grant", "boss", NOW),
        ("password", "boss", NOW),
    ]
    assert changes[1].detail == f"+{SHOP_A}" and changes[-1].kind == "add"
    assert NEW_PASSWORD not in " ".join(c.detail for c in user_changes(seeded))
    assert {c.user for c in user_changes(seeded)} == {"alice", "bob", "boss", "carol", "wang"}


def test_token_rows_are_deleted_not_kept(seeded: Engine) -> None:
    token = issue_token(seeded, "carol")
    revoke_token(seeded, "carol", token, "boss", NOW)  # a whole token pasted names itself by its hint
    with seeded.connect() as conn:
        holders = conn.execute(select(api_tokens.c.user_id)).scalars().all()
    assert len(holders) == 5  # the seed's one token each
