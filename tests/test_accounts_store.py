"""Account use cases on SQLite and PostgreSQL: users, grants, tokens, login and its rate limit."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.exc import IntegrityError

from lanshou.accounts.errors import AccountError, LoginRefused, LoginThrottled
from lanshou.accounts.limits import LoginLimits
from lanshou.accounts.roles import Role
from lanshou.accounts.service import (
    add_user,
    authenticate,
    issue_token,
    list_users,
    shops_for,
    token_holder_and_shops,
    user_by_id,
    user_for_token,
)
from lanshou.accounts.tables import api_tokens, login_failures, user_shop_grants, users
from lanshou.accounts.tokens import token_digest
from lanshou.schema import metadata
from tests.accounts_data import PASSWORD, SHOP_A, SHOP_B, SHOP_C, seed

NOW = datetime(2026, 11, 30, 12, 0)
LIMITS = LoginLimits(per_name=5, per_client=20, window=timedelta(minutes=15))


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Engine:
    return seed(engine, tmp_path).engine


def labels(engine: Engine, name: str) -> list[str]:
    user = authenticate(engine, name, PASSWORD, "10.0.0.1", LIMITS, NOW)
    return [shop.label for shop in shops_for(engine, user)]


def test_account_tables_match_the_migration(engine: Engine) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_users_see_their_granted_shops_and_owners_without_grants_see_all(seeded: Engine) -> None:
    assert labels(seeded, "alice") == [SHOP_A]
    assert labels(seeded, "bob") == [SHOP_B]
    assert labels(seeded, "wang") == [SHOP_B, SHOP_A]  # by platform, then name
    assert labels(seeded, "boss") == sorted([SHOP_A, SHOP_B, SHOP_C])


def test_owner_can_be_limited_to_some_shops(seeded: Engine) -> None:
    user = add_user(seeded, "partner", PASSWORD, Role.OWNER, [SHOP_C])
    assert not user.all_shops
    assert [shop.label for shop in shops_for(seeded, user)] == [SHOP_C]


def test_shop_names_must_exist_and_be_unambiguous(seeded: Engine) -> None:
    with pytest.raises(AccountError, match="used on several platforms: tmall/旗舰店, douyin/旗舰店"):
        add_user(seeded, "x1", PASSWORD, Role.OPERATOR, ["旗舰店"])
    with pytest.raises(AccountError, match="no shop named '天猫店'"):
        add_user(seeded, "x2", PASSWORD, Role.OPERATOR, ["天猫店"])
    with pytest.raises(AccountError, match="give the operator's shops with --shops"):
        add_user(seeded, "x3", PASSWORD, Role.OPERATOR)
    with seeded.connect() as conn:  # nothing half-made
        assert conn.scalar(select(func.count()).where(users.c.name.like("x%"))) == 0


def test_names_are_unique_whatever_their_case(seeded: Engine) -> None:
    with pytest.raises(AccountError, match="user 'alice' already exists"):
        add_user(seeded, "ALICE", PASSWORD, Role.OWNER)
    with pytest.raises(AccountError, match="too short"):
        add_user(seeded, "newbie", "short", Role.OWNER)


def test_login_with_any_case_of_the_name(seeded: Engine) -> None:
    assert authenticate(seeded, " Alice", PASSWORD, "10.0.0.1", LIMITS, NOW).name == "alice"


def test_wrong_password_unknown_name_and_disabled_user_are_refused_alike(seeded: Engine) -> None:
    with seeded.begin() as conn:
        conn.execute(update(users).where(users.c.name == "carol").values(active=False))
    messages = set()
    attempts = (
        ("alice", "wrong password"),
        ("nobody", PASSWORD),
        ("carol", PASSWORD),
        ("al\x00ice", PASSWORD),
    )
    for name, password in attempts:
        with pytest.raises(LoginRefused) as refused:
            authenticate(seeded, name, password, "10.0.0.1", LIMITS, NOW)
        messages.add(str(refused.value))
    assert messages == {"用户名或密码错误 wrong user name or password"}


def test_five_failures_lock_the_name_for_the_window_even_with_the_right_password(seeded: Engine) -> None:
    for minute in range(5):
        with pytest.raises(LoginRefused):
            authenticate(
                seeded, "alice", "guess", f"10.0.0.{minute}", LIMITS, NOW + timedelta(minutes=minute)
            )
    later = NOW + timedelta(minutes=5)
    with pytest.raises(LoginThrottled) as throttled:
        authenticate(seeded, "alice", PASSWORD, "10.0.9.9", LIMITS, later)
    assert throttled.value.retry_after == 10 * 60  # the first failure (at NOW) leaves the window at +15
    assert authenticate(seeded, "bob", PASSWORD, "10.0.9.9", LIMITS, later).name == "bob"  # others unaffected
    assert (
        authenticate(seeded, "alice", PASSWORD, "10.0.9.9", LIMITS, NOW + timedelta(minutes=15)).name
        == "alice"
    )


def test_guesses_sent_at_once_get_no_more_password_checks_than_the_cap(seeded: Engine) -> None:
    """Twenty guesses in parallel threads (argon2 takes long enough for all to pass a count made before any
    failure is stored): at most `per_name` of them reach the password check, the rest are throttled."""
    guesses = 20
    start = threading.Barrier(guesses)

    def guess(index: int) -> str:
        start.wait()
        try:
            authenticate(seeded, "alice", f"guess {index}", f"10.1.0.{index}", LIMITS, NOW)
        except LoginRefused:
            return "checked"
        except LoginThrottled:
            return "throttled"
        return "signed in"

    with ThreadPoolExecutor(max_workers=guesses) as pool:
        outcomes = list(pool.map(guess, range(guesses)))
    assert 1 <= outcomes.count("checked") <= LIMITS.per_name, outcomes
    assert outcomes.count("throttled") == guesses - outcomes.count("checked")
    with seeded.connect() as conn:  # a throttled try leaves no failure behind: the window ends on time
        stored = conn.execute(select(func.count()).where(login_failures.c.name == "alice")).scalar_one()
    assert stored == outcomes.count("checked")
    for _ in range(LIMITS.per_name - stored):  # some throttled ones may have counted others not yet gone
        with pytest.raises(LoginRefused):
            authenticate(seeded, "alice", "one more", "10.0.9.8", LIMITS, NOW)
    with pytest.raises(LoginThrottled):
        authenticate(seeded, "alice", PASSWORD, "10.0.9.9", LIMITS, NOW + timedelta(minutes=1))


def test_a_good_login_clears_the_names_failures(seeded: Engine) -> None:
    for _ in range(4):
        with pytest.raises(LoginRefused):
            authenticate(seeded, "alice", "guess", "10.0.0.1", LIMITS, NOW)
    authenticate(seeded, "alice", PASSWORD, "10.0.0.1", LIMITS, NOW)
    with pytest.raises(LoginRefused):  # a fresh count: one more failure does not lock
        authenticate(seeded, "alice", "guess", "10.0.0.1", LIMITS, NOW)
    assert authenticate(seeded, "alice", PASSWORD, "10.0.0.1", LIMITS, NOW).name == "alice"


def test_one_address_guessing_many_names_is_locked(seeded: Engine) -> None:
    limits = LoginLimits(per_name=5, per_client=3, window=timedelta(minutes=15))
    for name in ("alice", "bob", "nobody"):
        with pytest.raises(LoginRefused):
            authenticate(seeded, name, "guess", "203.0.113.7", limits, NOW)
    with pytest.raises(LoginThrottled):
        authenticate(seeded, "carol", PASSWORD, "203.0.113.7", limits, NOW)
    assert authenticate(seeded, "carol", PASSWORD, "198.51.100.1", limits, NOW).name == "carol"


def test_old_failures_are_pruned(seeded: Engine) -> None:
    with pytest.raises(LoginRefused):
        authenticate(seeded, "alice", "guess", "10.0.0.1", LIMITS, NOW)
    with pytest.raises(LoginRefused):
        authenticate(seeded, "bob", "guess", "10.0.0.2", LIMITS, NOW + timedelta(hours=1))
    with seeded.connect() as conn:
        assert conn.execute(select(login_failures.c.name)).scalars().all() == ["bob"]


def test_tokens_are_kept_only_as_digests_and_find_their_user(seeded: Engine) -> None:
    token = issue_token(seeded, "Alice", label="ERP sync")
    user = user_for_token(seeded, token)
    assert user is not None and user.name == "alice"
    with seeded.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(select(api_tokens)) for v in row)
    assert token not in stored and token[12:] not in stored
    assert user_for_token(seeded, token + "x") is None
    assert user_for_token(seeded, "not a token") is None
    with pytest.raises(AccountError, match="no active user 'nobody'"):
        issue_token(seeded, "nobody")


def test_disabled_users_lose_tokens_and_sessions(seeded: Engine) -> None:
    token = issue_token(seeded, "bob")
    bob = user_for_token(seeded, token)
    assert bob is not None and user_by_id(seeded, bob.id) == bob
    held = token_holder_and_shops(seeded, token)
    assert held is not None and held[0] == bob and [shop.label for shop in held[1]] == [SHOP_B]
    with seeded.begin() as conn:
        conn.execute(update(users).where(users.c.id == bob.id).values(active=False))
    assert user_for_token(seeded, token) is None
    assert token_holder_and_shops(seeded, token) is None
    assert user_by_id(seeded, bob.id) is None


def test_a_token_finds_the_same_shops_as_shops_for_in_one_statement(seeded: Engine) -> None:
    for name in ("alice", "bob", "wang", "boss"):
        held = token_holder_and_shops(seeded, issue_token(seeded, name))
        assert held is not None and held[0].name == name
        assert [shop.label for shop in held[1]] == labels(seeded, name)
    granted_none = add_user(seeded, "new-owner", PASSWORD, Role.OWNER)
    with seeded.begin() as conn:  # the user is found even without a shop to see
        conn.execute(update(users).where(users.c.id == granted_none.id).values(all_shops=False))
    found = token_holder_and_shops(seeded, issue_token(seeded, "new-owner"))
    assert found == (replace(granted_none, all_shops=False), [])


def test_deleted_tokens_and_withdrawn_grants_count_from_the_next_request(seeded: Engine) -> None:
    """Nothing about a token is cached: revoking it (deleting its row) or a grant takes effect at once."""
    token, other = issue_token(seeded, "wang"), issue_token(seeded, "wang")
    held = token_holder_and_shops(seeded, token)
    assert held is not None and [shop.label for shop in held[1]] == [SHOP_B, SHOP_A]
    with seeded.begin() as conn:
        conn.execute(delete(user_shop_grants).where(user_shop_grants.c.user_id == held[0].id,
                                                    user_shop_grants.c.shop_id == held[1][0].id))  # fmt: skip
    held = token_holder_and_shops(seeded, token)
    assert held is not None and [shop.label for shop in held[1]] == [SHOP_A]
    with seeded.begin() as conn:
        conn.execute(delete(api_tokens).where(api_tokens.c.token_hash == token_digest(token)))
    assert token_holder_and_shops(seeded, token) is None
    assert token_holder_and_shops(seeded, other) is not None


def test_list_users_shows_roles_grants_and_token_counts(seeded: Engine) -> None:
    issue_token(seeded, "alice")
    listed = {item.user.name: item for item in list_users(seeded)}
    assert list(listed) == ["alice", "bob", "boss", "carol", "wang"]
    assert (listed["alice"].user.role, listed["alice"].shops, listed["alice"].tokens) == (
        Role.OPERATOR,
        (SHOP_A,),
        2,
    )
    assert listed["boss"].user.all_shops and listed["boss"].shops == ()
    assert listed["wang"].shops == (SHOP_B, SHOP_A)


def test_roles_outside_the_list_are_refused_by_the_database(engine: Engine) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)check"), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (name, password_hash, role, all_shops, active, created_at) "
                "VALUES ('x', 'h', 'admin', false, true, '2026-11-30 12:00:00')"
            )
        )
