"""Managing users after they are added: password, role, shop grants, disable/enable, API tokens.

Each change is one write transaction holding the accounts lock (so two owners demoting each other at once
cannot leave no owner), and is kept in `user_changes` with who made it and when. A change that changes
nothing (granting a shop already granted) is not recorded. Nothing is cached anywhere: a disabled user's
sessions and tokens are refused from their next request, and a password change or disabling ends the user's
browser sessions for good (their session epoch is raised), so enabling them again does not revive old ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine

from lanshou.accounts import store
from lanshou.accounts.errors import AccountError, LastOwner, UnknownUser
from lanshou.accounts.model import TokenInfo, User, UserChange, normalize_name
from lanshou.accounts.passwords import check_policy, hash_password
from lanshou.accounts.roles import Role
from lanshou.accounts.service import resolve_shops, utc_now
from lanshou.db.engine import lock_exclusively, write_transaction

ACCOUNTS_LOCK = "accounts users"
ALL_SHOPS = "全部店铺 all shops"

# What a change did (its detail, for the record), or None when it changed nothing.
Change = Callable[[Connection, User], str | None]


@dataclass(frozen=True, slots=True)
class UserUpdate:
    """The user after a change, and what the change did (`changed` False: it was so already)."""

    user: User
    kind: str
    detail: str
    changed: bool

    def as_json(self) -> dict[str, object]:
        return {**self.user.as_json(), "change": self.kind, "detail": self.detail, "changed": self.changed}


def change_password(
    engine: Engine, name: str, password: str, actor: str, now: datetime | None = None
) -> UserUpdate:
    """A new password (the policy of `add_user`); the user's browser sessions end, their API tokens stay."""
    check_policy(password)
    password_hash = hash_password(password)

    def change(conn: Connection, user: User) -> str:
        store.update_user(conn, user.id, password_hash=password_hash)
        store.end_sessions(conn, user.id)
        return "会话已结束 sessions ended"

    return _update(engine, name, "password", change, actor, now)


def set_role(engine: Engine, name: str, role: Role, actor: str, now: datetime | None = None) -> UserUpdate:
    def change(conn: Connection, user: User) -> str | None:
        if user.role is role:
            return None
        if user.role is Role.OWNER:
            _keep_an_owner(conn, user)
        store.update_user(conn, user.id, role=role.value)
        return f"{user.role.value} → {role.value}"

    return _update(engine, name, "role", change, actor, now)


def set_active(
    engine: Engine, name: str, active: bool, actor: str, now: datetime | None = None
) -> UserUpdate:
    """Enable or disable the user. Disabling refuses their sessions and tokens from the next request."""

    def change(conn: Connection, user: User) -> str | None:
        if user.active is active:
            return None
        if not active:
            _keep_an_owner(conn, user)
            store.end_sessions(conn, user.id)
        store.update_user(conn, user.id, active=active)
        return "" if active else "会话与令牌失效 sessions and tokens refused"

    return _update(engine, name, "enable" if active else "disable", change, actor, now)


def grant_shops(
    engine: Engine, name: str, shops: Sequence[str] | None, actor: str, now: datetime | None = None
) -> UserUpdate:
    """Grant these shops (names or platform/name), or every shop, present and future (`shops` None)."""

    def change(conn: Connection, user: User) -> str | None:
        wanted = None if shops is None else {shop.id: shop.label for shop in resolve_shops(conn, shops)}
        if user.all_shops:
            return None
        if wanted is None:
            store.update_user(conn, user.id, all_shops=True)
            store.remove_grants(conn, user.id)  # covered by all_shops: none come back if it is withdrawn
            return ALL_SHOPS
        new = sorted(set(wanted) - store.granted_ids(conn, user.id))
        store.add_grants(conn, user.id, new)
        return ", ".join(f"+{wanted[shop_id]}" for shop_id in new) or None

    return _update(engine, name, "grant", change, actor, now)


def revoke_shops(
    engine: Engine, name: str, shops: Sequence[str] | None, actor: str, now: datetime | None = None
) -> UserUpdate:
    """Withdraw these shops, or every shop and all_shops (`shops` None: the user then sees no shop)."""

    def change(conn: Connection, user: User) -> str | None:
        granted = store.granted_ids(conn, user.id)
        if shops is None:
            if not user.all_shops and not granted:
                return None
            store.update_user(conn, user.id, all_shops=False)
            store.remove_grants(conn, user.id)
            return f"-{ALL_SHOPS}"
        if user.all_shops:
            raise AccountError(
                f"{user.name} 可见全部店铺 sees every shop: withdraw them all (--all-shops), "
                "then grant the ones to keep"
            )
        named = {shop.id: shop.label for shop in resolve_shops(conn, shops)}
        gone = sorted(set(named) & granted)
        store.remove_grants(conn, user.id, gone)
        return ", ".join(f"-{named[shop_id]}" for shop_id in gone) or None

    return _update(engine, name, "revoke", change, actor, now)


def list_tokens(engine: Engine, name: str) -> list[TokenInfo]:
    """The user's API tokens (hint, label, created), oldest first."""
    with engine.connect() as conn:
        return store.tokens_of(conn, _existing(conn, normalize_name(name)).id)


def revoke_token(
    engine: Engine, name: str, which: str, actor: str, now: datetime | None = None
) -> UserUpdate:
    """Delete one of the user's API tokens, named by its id or its hint: refused from the next request."""

    def change(conn: Connection, user: User) -> str:
        token = _one_token(store.tokens_of(conn, user.id), user.name, which.strip())
        store.delete_token(conn, token.id)
        return f"#{token.id} {token.hint} {token.label}".rstrip()

    return _update(engine, name, "revoke_token", change, actor, now)


def user_changes(engine: Engine, name: str | None = None) -> list[UserChange]:
    """The changes made to this user (every user's with no name), newest first."""
    with engine.connect() as conn:
        user_id = None if name is None else _existing(conn, normalize_name(name)).id
        return store.changes(conn, user_id)


def _update(
    engine: Engine, name: str, kind: str, change: Change, actor: str, now: datetime | None
) -> UserUpdate:
    """Run `change` on the named user under the accounts lock and record it when it changed something."""
    key = normalize_name(name)
    with write_transaction(engine) as conn:
        lock_exclusively(conn, ACCOUNTS_LOCK)
        user = _existing(conn, key)
        detail = change(conn, user)
        if detail is not None:
            store.record_change(conn, user.id, kind, detail, actor, now or utc_now())
        after = store.user_by_id(conn, user.id)
    assert after is not None
    return UserUpdate(after, kind, detail or "", detail is not None)


def _existing(conn: Connection, key: str) -> User:
    found = store.user_and_hash(conn, key)
    if found is None:
        raise UnknownUser(key)
    return found[0]


def _keep_an_owner(conn: Connection, user: User) -> None:
    """Refuse to take away the last active owner (disabling or demoting them would lock everyone out)."""
    if user.active and user.role is Role.OWNER and store.active_owners(conn) == [user.id]:
        raise LastOwner(user.name)


def _one_token(tokens: list[TokenInfo], name: str, which: str) -> TokenInfo:
    """The token `which` names: its id, or its hint (a whole token pasted starts with its hint)."""
    found = [t for t in tokens if which == str(t.id) or (which and which.startswith(t.hint))]
    if not found:
        raise AccountError(f"{name} 没有此令牌 has no token {which!r}: see `lanshou users tokens {name}`")
    if len(found) > 1:
        ids = ", ".join(str(t.id) for t in found)
        raise AccountError(f"令牌提示有歧义 several tokens start with {which!r}: name one by id ({ids})")
    return found[0]
