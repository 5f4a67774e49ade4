"""The pure account rules: roles and permissions, passwords, tokens, the login limit, names, shop picking."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lanshou.accounts.errors import AccountError, LoginThrottled
from lanshou.accounts.limits import LoginLimits, retry_after
from lanshou.accounts.model import ShopRef, normalize_name, pick_shops
from lanshou.accounts.passwords import (
    WeakPassword,
    check_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from lanshou.accounts.roles import (
    PERMISSION_LABELS,
    Permission,
    Role,
    UnknownRole,
    may,
    not_allowed,
    parse_role,
)
from lanshou.accounts.tokens import looks_like_token, new_token, token_digest, token_hint
from lanshou.bilingual import half

P = Permission


def test_owner_may_do_everything_and_only_the_owner_manages_users() -> None:
    assert all(may(Role.OWNER, permission) for permission in Permission)
    assert [role for role in Role if may(role, P.USERS_MANAGE)] == [Role.OWNER]


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            Role.OPERATOR,
            {P.ORDERS_REVIEW, P.ORDERS_SHIP},
            {P.STOCK_MANAGE, P.BUYER_DATA_VIEW, P.AFTERSALES_MANAGE, P.AFTERSALES_RECEIVE},
        ),
        (
            Role.WAREHOUSE,
            {P.ORDERS_SHIP, P.STOCK_MANAGE, P.LABELS_PRINT, P.AFTERSALES_RECEIVE},
            {P.ORDERS_REVIEW, P.BUYER_DATA_VIEW, P.EXPORTS_RUN, P.AFTERSALES_MANAGE},
        ),
        (
            Role.CUSTOMER_SERVICE,
            {P.AFTERSALES_MANAGE, P.AFTERSALES_RECEIVE, P.NOTIFICATIONS_MANAGE, P.BUYER_DATA_VIEW},
            {P.ORDERS_SHIP, P.STOCK_MANAGE, P.USERS_MANAGE},
        ),
    ],
)
def test_each_role_does_its_job_and_no_more(role: Role, allowed: set[P], refused: set[P]) -> None:
    assert may(role, P.ORDERS_READ)  # everyone works with orders
    assert all(may(role, p) for p in allowed)
    assert not any(may(role, p) for p in refused)


def test_a_refusal_names_the_permission_in_words_in_each_language() -> None:
    assert set(PERMISSION_LABELS) == set(Permission)  # every permission has its words
    said = not_allowed(Role.WAREHOUSE, P.USERS_MANAGE)
    assert said == "无权限: 管理用户（仓库） / not allowed: manage users (warehouse)"
    assert (half(said, "zh-CN"), half(said, "en")) == (
        "无权限: 管理用户（仓库）",
        "not allowed: manage users (warehouse)",
    )


def test_the_warehouse_records_returns_received_but_decides_no_case() -> None:
    """It opens the returned parcels; agreeing to or refusing a case stays customer service's."""
    receivers = {role for role in Role if may(role, P.AFTERSALES_RECEIVE)}
    assert receivers == {Role.OWNER, Role.CUSTOMER_SERVICE, Role.WAREHOUSE}
    assert {role for role in Role if may(role, P.AFTERSALES_MANAGE)} == {Role.OWNER, Role.CUSTOMER_SERVICE}


def test_only_owner_and_customer_service_see_buyer_data_unmasked() -> None:
    assert {role for role in Role if may(role, P.BUYER_DATA_VIEW)} == {Role.OWNER, Role.CUSTOMER_SERVICE}


def test_roles_parse_from_names_dashes_and_chinese() -> None:
    assert parse_role("customer-service") is Role.CUSTOMER_SERVICE
    assert parse_role(" Owner ") is Role.OWNER
    assert parse_role("仓库") is Role.WAREHOUSE
    assert parse_role("cs") is Role.CUSTOMER_SERVICE
    with pytest.raises(UnknownRole, match="unknown role 'admin'; one of owner, operator"):
        parse_role("admin")


def test_passwords_are_argon2id_salted_and_verified() -> None:
    first, second = hash_password("s3cret pass"), hash_password("s3cret pass")
    assert first.startswith("$argon2id$") and first != second  # a salt each time
    assert verify_password(first, "s3cret pass")
    assert not verify_password(first, "s3cret pasS")
    assert not verify_password("not a hash", "s3cret pass")
    assert not needs_rehash(first)


@pytest.mark.parametrize(
    ("password", "problem"),
    [("short", "too short"), ("x" * 1025, "too long"), (" padded password", "whitespace")],
)
def test_password_policy(password: str, problem: str) -> None:
    with pytest.raises(WeakPassword, match=problem):
        check_policy(password)


def test_tokens_are_random_and_stored_as_digests() -> None:
    token = new_token()
    assert token.startswith("lsk_") and len(token) > 40 and token != new_token()
    assert looks_like_token(token) and not looks_like_token("Bearer junk")
    assert token_digest(token) == token_digest(token) and len(token_digest(token)) == 64
    assert token not in token_digest(token)
    assert token.startswith(token_hint(token)) and len(token_hint(token)) == 10


NOW = datetime(2026, 11, 30, 12, 0)
LIMITS = LoginLimits(per_name=5, per_client=20, window=timedelta(minutes=15))


def minutes_ago(*minutes: float) -> list[datetime]:
    return sorted(NOW - timedelta(minutes=m) for m in minutes)


def test_login_allowed_below_the_caps() -> None:
    assert retry_after(LIMITS, minutes_ago(1, 2, 3, 4), minutes_ago(*range(19)), NOW) is None


def test_fifth_failure_for_a_name_locks_it_until_the_oldest_leaves_the_window() -> None:
    # failures 14, 10, 3, 2, 1 minutes ago: the oldest leaves the window in 1 minute
    assert retry_after(LIMITS, minutes_ago(14, 10, 3, 2, 1), [], NOW) == 60


def test_with_more_failures_than_the_cap_the_wait_is_until_one_fewer_than_the_cap_remain() -> None:
    # 7 failures (a race let two more in): 4 remain once the 3rd oldest (12 min ago) is gone, in 3 min
    assert retry_after(LIMITS, minutes_ago(14, 13, 12, 5, 4, 3, 2), [], NOW) == 180


def test_client_cap_applies_across_names() -> None:
    assert retry_after(LIMITS, [], minutes_ago(*[10 + i / 10 for i in range(20)]), NOW) is not None
    assert retry_after(LIMITS, [], minutes_ago(*[10 + i / 10 for i in range(19)]), NOW) is None


def test_throttle_message_says_when() -> None:
    assert "try again in 2 min" in str(LoginThrottled(61))
    assert "请 1 分钟后再试" in str(LoginThrottled(5))


def test_names_are_case_folded_and_checked() -> None:
    assert normalize_name("  Alice ") == "alice"
    assert normalize_name("小王") == "小王"
    for bad in ("", "two words", "tab\tname", "nul\x00", "x" * 65):
        with pytest.raises(AccountError):
            normalize_name(bad)


SHOPS = (ShopRef(1, "tmall", "旗舰店", "Asia/Shanghai"), ShopRef(2, "douyin", "旗舰店", "Asia/Shanghai"))


def test_pick_shops_by_name_or_label_among_granted_only() -> None:
    assert pick_shops(SHOPS, None) == SHOPS
    assert pick_shops(SHOPS, "旗舰店") == SHOPS  # the name on both platforms
    assert pick_shops(SHOPS, "tmall/旗舰店") == SHOPS[:1]
    assert pick_shops(SHOPS[:1], "douyin/旗舰店") == ()  # not granted: as if it did not exist
    assert pick_shops(SHOPS, "nowhere") == ()


def test_the_warehouse_ships_what_review_accepted_but_decides_nothing_about_orders() -> None:
    """Packing and shipping (批量发货) is the warehouse's daily work; which orders may ship is review's."""
    assert may(Role.WAREHOUSE, P.ORDERS_SHIP) and may(Role.WAREHOUSE, P.LABELS_PRINT)
    assert not may(Role.WAREHOUSE, P.ORDERS_REVIEW)
