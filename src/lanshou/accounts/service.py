"""Account use cases: what the CLI, the API and the pages call. Each is one short transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select
from sqlalchemy.exc import IntegrityError

from lanshou.accounts import store
from lanshou.accounts.errors import AccountError, LoginRefused, LoginThrottled
from lanshou.accounts.limits import LoginLimits, retry_after
from lanshou.accounts.model import ShopRef, User, UserListing, normalize_name
from lanshou.accounts.passwords import (
    check_policy,
    hash_password,
    needs_rehash,
    spend_verify_time,
    verify_password,
)
from lanshou.accounts.roles import Permission, Role, may
from lanshou.accounts.tokens import looks_like_token, new_token, token_digest, token_hint
from lanshou.db.engine import lock_exclusively, write_transaction


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def add_user(
    engine: Engine,
    name: str,
    password: str,
    role: Role,
    shops: Sequence[str] | None = None,
    now: datetime | None = None,
    actor: str = "",
) -> User:
    """A new user. `shops` are names ("旗舰店") or platform/name ("tmall/旗舰店") of existing shops.

    An owner given no shops sees every shop, present and future; any other role must be given shops.
    """
    name = normalize_name(name)
    if shops is None and role is not Role.OWNER:
        raise AccountError(f"请用 --shops 指定店铺 give the {role.value}'s shops with --shops")
    check_policy(password)
    password_hash = hash_password(password)
    now = now or utc_now()
    with engine.begin() as conn:
        granted = [] if shops is None else resolve_shops(conn, shops)
        try:
            user = store.insert_user(conn, name, password_hash, role, shops is None, now)
        except IntegrityError:
            raise AccountError(f"用户已存在 user {name!r} already exists") from None
        store.add_grants(conn, user.id, (shop.id for shop in granted))
        scope = "全部店铺 all shops" if shops is None else ", ".join(shop.label for shop in granted)
        store.record_change(conn, user.id, "add", f"{role.value}: {scope}", actor, now)
    return user


def resolve_shops(conn: Connection, wanted: Sequence[str]) -> list[ShopRef]:
    """Shops by name, or by platform/name where a name is used on several platforms."""
    texts = [text.strip() for text in wanted if text.strip()]
    if not texts:
        raise AccountError("店铺列表为空 the list of shops is empty")
    by_name: dict[str, list[ShopRef]] = {}
    for shop in store.shops_named(conn, texts):
        by_name.setdefault(shop.name, []).append(shop)
    found: list[ShopRef] = []
    for text in texts:
        matches = by_name.get(text, [])
        if not matches and "/" in text:
            platform, _, shop_name = text.partition("/")
            labelled = store.shop_by_label(conn, platform.strip().lower(), shop_name.strip())
            matches = [labelled] if labelled else []
        if not matches:
            raise AccountError(f"找不到店铺 no shop named {text!r}: import its orders first")
        if len(matches) > 1:
            options = ", ".join(shop.label for shop in matches)
            raise AccountError(f"店铺名有歧义 shop name {text!r} is used on several platforms: {options}")
        found.append(matches[0])
    return found


def issue_token(
    engine: Engine, name: str, label: str = "", now: datetime | None = None, actor: str = ""
) -> str:
    """A new API token for the user; only its digest is kept, so this is the one time it is seen."""
    key = normalize_name(name)
    token = new_token()
    now = now or utc_now()
    with engine.begin() as conn:
        found = store.user_and_hash(conn, key)
        if found is None or not found[0].active:
            raise AccountError(f"没有此用户 no active user {key!r}")
        store.insert_token(conn, found[0].id, token_digest(token), token_hint(token), label, now)
        store.record_change(conn, found[0].id, "token", f"{token_hint(token)} {label}".rstrip(), actor, now)
    return token


def list_users(engine: Engine) -> list[UserListing]:
    with engine.connect() as conn:
        return store.listings(conn)


def authenticate(
    engine: Engine,
    name: str,
    password: str,
    client: str,
    limits: LoginLimits = LoginLimits(),
    now: datetime | None = None,
) -> User:
    """The user with this name and password, or LoginRefused / LoginThrottled.

    Throttling is decided before the password is checked, so a locked-out guesser learns nothing more. The
    tries of one name (and of one client) are counted one at a time, each stored as a failure when it is let
    through (a good password then clears them): of many guesses sent at once, the first ones up to the cap
    reach the password check, never more, never none. A throttled try is not stored: the lock ends when the
    window says.
    """
    now = now or utc_now()
    key = name.strip().casefold()[:64]
    if "\x00" in key + client:  # no name holds NUL, and PostgreSQL refuses it in text: refuse unasked
        raise LoginRefused()
    with write_transaction(engine) as conn:  # SQLite: the write lock from the count on
        for lock in sorted((f"login name {key}", f"login client {client}")):  # one order: no deadlock
            lock_exclusively(conn, lock)  # PostgreSQL: held until the try is stored
        by_name, by_client = store.failure_times(conn, key, client, limits.since(now))
        wait = retry_after(limits, by_name, by_client, now)
        if wait is None:
            store.record_failure(conn, key, client, now, forget_before=limits.since(now))
    if wait is not None:
        raise LoginThrottled(wait)
    return _check_password(engine, key, password)


def _check_password(engine: Engine, key: str, password: str) -> User:
    """The user if the password is right (their failures, this try's too, cleared); else LoginRefused."""
    with engine.begin() as conn:
        found = store.user_and_hash(conn, key)
        if found is None:
            spend_verify_time(password)
        elif found[0].active and verify_password(found[1], password):
            user = found[0]
            store.clear_failures(conn, key)
            if needs_rehash(found[1]):
                store.set_password_hash(conn, user.id, hash_password(password))
            return user
    raise LoginRefused()


def user_for_token(engine: Engine, token: str) -> User | None:
    """The active user holding this API token, else None."""
    with engine.connect() as conn:
        return user_for_token_over(conn, token)


def user_for_token_over(conn: Connection, token: str) -> User | None:
    """`user_for_token` over a connection the caller holds."""
    if not looks_like_token(token):
        return None
    user = store.user_by_token_digest(conn, token_digest(token))
    return user if user is not None and user.active else None


def token_holder_and_shops(engine: Engine, token: str) -> tuple[User, list[ShopRef]] | None:
    """`user_for_token` and `shops_for` in one statement: what every scoped API request needs first.

    Read outside a transaction (one statement sees one committed state): no BEGIN and ROLLBACK round trips
    around it. Nothing is cached, so a disabled user or a deleted token is refused from the next request.
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return token_holder_and_shops_over(conn, token)


def token_holder_and_shops_over(conn: Connection, token: str) -> tuple[User, list[ShopRef]] | None:
    """`token_holder_and_shops` over a connection the caller holds (autocommit: one statement)."""
    if not looks_like_token(token):
        return None
    return store.token_holder_and_shops(conn, token_digest(token))


def shops_of_token() -> Select[Any]:
    """A subquery: the ids of the shops the active holder of a token may see, as `token_holder_and_shops`
    decides (for a statement that reads those shops' rows in the same round trip); bind `token_params`."""
    return store.shops_of_token_digest()


def token_params(token: str) -> dict[str, str] | None:
    """The parameters of `shops_of_token` for this token; None when it cannot be a token at all."""
    return {"digest": token_digest(token)} if looks_like_token(token) else None


def user_by_id(engine: Engine, user_id: int) -> User | None:
    """The active user with this id (a browser session's user), else None."""
    with engine.connect() as conn:
        user = store.user_by_id(conn, user_id)
    return user if user is not None and user.active else None


def user_for_session(engine: Engine, user_id: int, epoch: int) -> User | None:
    """The active user of a browser session, if the session was made under their current session epoch
    (a password change or disabling raises it: every session made before is refused)."""
    user = user_by_id(engine, user_id)
    return user if user is not None and user.session_epoch == epoch else None


def shops_for(engine: Engine, user: User) -> list[ShopRef]:
    """The shops this user may see and act on."""
    with engine.connect() as conn:
        return store.shops_of(conn, user)


def users_of_shops(engine: Engine, shop_ids: Sequence[int], able: Permission) -> dict[int, list[str]]:
    """Per shop, the names of the active users who may see it and whose role holds `able`: whom its work
    of that kind can be given to (a follow-up to someone who may close it)."""
    with engine.connect() as conn:
        return users_of_shops_over(conn, shop_ids, able)


def users_of_shops_over(conn: Connection, shop_ids: Sequence[int], able: Permission) -> dict[int, list[str]]:
    """users_of_shops in the caller's transaction."""
    return store.active_users_of(conn, shop_ids, [role for role in Role if may(role, able)])


DEMO_USER = "demo"


def demo_login(engine: Engine, now: datetime | None = None) -> tuple[str, str]:
    """(name, password) of the demo owner (every shop) for `lanshou run`: created on first use, given a
    fresh random password each time, since only its hash is kept."""
    import secrets

    password = secrets.token_urlsafe(12)
    with engine.begin() as conn:
        found = store.user_and_hash(conn, DEMO_USER)
        if found is not None:
            store.set_password_hash(conn, found[0].id, hash_password(password))
            return DEMO_USER, password
    add_user(engine, DEMO_USER, password, Role.OWNER, None, now)
    return DEMO_USER, password
