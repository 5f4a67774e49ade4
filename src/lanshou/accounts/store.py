"""SQL for the accounts (SQLAlchemy Core). Functions take a Connection; the use cases own transactions."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, delete, func, insert, or_, select, update

from lanshou.accounts.model import ShopRef, TokenInfo, User, UserChange, UserListing
from lanshou.accounts.roles import Role
from lanshou.accounts.tables import (
    NAME_LENGTH,
    api_tokens,
    login_failures,
    user_changes,
    user_shop_grants,
    users,
)
from lanshou.db.driver_reads import fetch_all
from lanshou.shops.tables import shops

_USER_COLUMNS = (
    users.c.id,
    users.c.name,
    users.c.role,
    users.c.all_shops,
    users.c.active,
    users.c.session_epoch,
)
_SHOP_COLUMNS = (shops.c.id, shops.c.platform, shops.c.name, shops.c.timezone)


def _user(row: Any) -> User:
    return User(row.id, row.name, Role(row.role), bool(row.all_shops), bool(row.active), row.session_epoch)


def _shop(row: Any) -> ShopRef:
    return ShopRef(row.id, row.platform, row.name, row.timezone)


def insert_user(
    conn: Connection, name: str, password_hash: str, role: Role, all_shops: bool, now: datetime
) -> User:
    values = {"name": name, "password_hash": password_hash, "role": role.value, "all_shops": all_shops}
    user_id = conn.execute(insert(users).values(**values, active=True, created_at=now)).inserted_primary_key
    assert user_id is not None
    return User(user_id[0], name, role, all_shops)


def user_and_hash(conn: Connection, name: str) -> tuple[User, str] | None:
    row = conn.execute(select(*_USER_COLUMNS, users.c.password_hash).where(users.c.name == name)).first()
    return None if row is None else (_user(row), row.password_hash)


def user_by_id(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(*_USER_COLUMNS).where(users.c.id == user_id)).first()
    return None if row is None else _user(row)


def user_by_token_digest(conn: Connection, digest: str) -> User | None:
    row = conn.execute(
        select(*_USER_COLUMNS)
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(api_tokens.c.token_hash == digest)
    ).first()
    return None if row is None else _user(row)


def token_holder_and_shops(conn: Connection, digest: str) -> tuple[User, list[ShopRef]] | None:
    """The active holder of the token with this digest and their shops (as `shops_of` orders them), in
    one statement: the first round trip of every scoped API request, so it is the only one it spends."""
    rows = fetch_all(conn, _holder_and_shops_statement(), {"digest": digest})
    if not rows:
        return None
    return _user(rows[0]), [
        ShopRef(r.shop_id, r.platform, r.shop_name, r.timezone) for r in rows if r.shop_id
    ]


@cache
def _holder_and_shops_statement() -> Select[Any]:
    return (
        select(
            *_USER_COLUMNS,
            shops.c.id.label("shop_id"),
            shops.c.platform,
            shops.c.name.label("shop_name"),
            shops.c.timezone,
        )
        .select_from(_holder_of_digest().outerjoin(shops, _visible_to_holder()))
        .where(api_tokens.c.token_hash == bindparam("digest"))
        .order_by(shops.c.platform, shops.c.name)
    )


@cache
def shops_of_token_digest() -> Select[Any]:
    """The ids of the shops the active holder of the token whose digest is bound as `digest` may see: the
    same rule as `token_holder_and_shops`, as a subquery for a statement that reads those shops' rows."""
    return (
        select(shops.c.id)
        .select_from(_holder_of_digest().join(shops, _visible_to_holder()))
        .where(api_tokens.c.token_hash == bindparam("digest"))
    )


def _holder_of_digest() -> Any:
    """Tokens joined to their users, active ones only (the WHERE names the digest)."""
    return api_tokens.join(users, and_(users.c.id == api_tokens.c.user_id, users.c.active))


def _visible_to_holder() -> Any:
    """A shop the joined user may see: every shop (all_shops), or one granted to them."""
    granted = select(user_shop_grants.c.shop_id).where(user_shop_grants.c.user_id == users.c.id)
    return or_(users.c.all_shops, shops.c.id.in_(granted.scalar_subquery()))


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def update_user(conn: Connection, user_id: int, **values: Any) -> None:
    """Set columns of the user (role, all_shops, active, password_hash)."""
    conn.execute(update(users).where(users.c.id == user_id).values(**values))


def end_sessions(conn: Connection, user_id: int) -> None:
    """Raise the user's session epoch: every browser session made before is refused from its next request."""
    conn.execute(update(users).where(users.c.id == user_id).values(session_epoch=users.c.session_epoch + 1))


def active_owners(conn: Connection) -> list[int]:
    """The ids of the active owners."""
    stmt = select(users.c.id).where(users.c.active, users.c.role == Role.OWNER.value)
    return list(conn.execute(stmt).scalars())


def shops_named(conn: Connection, names: Iterable[str]) -> list[ShopRef]:
    rows = conn.execute(select(*_SHOP_COLUMNS).where(shops.c.name.in_(list(names))).order_by(shops.c.id))
    return [_shop(row) for row in rows]


def shop_by_label(conn: Connection, platform: str, name: str) -> ShopRef | None:
    row = conn.execute(
        select(*_SHOP_COLUMNS).where(shops.c.platform == platform, shops.c.name == name)
    ).first()
    return None if row is None else _shop(row)


def add_grants(conn: Connection, user_id: int, shop_ids: Iterable[int]) -> None:
    rows = [{"user_id": user_id, "shop_id": shop_id} for shop_id in sorted(set(shop_ids))]
    if rows:
        conn.execute(insert(user_shop_grants), rows)


def remove_grants(conn: Connection, user_id: int, shop_ids: Iterable[int] | None = None) -> None:
    """Withdraw these grants of the user (every grant when `shop_ids` is None)."""
    stmt = delete(user_shop_grants).where(user_shop_grants.c.user_id == user_id)
    if shop_ids is not None:
        stmt = stmt.where(user_shop_grants.c.shop_id.in_(list(shop_ids)))
    conn.execute(stmt)


def granted_ids(conn: Connection, user_id: int) -> set[int]:
    stmt = select(user_shop_grants.c.shop_id).where(user_shop_grants.c.user_id == user_id)
    return set(conn.execute(stmt).scalars())


def shops_of(conn: Connection, user: User) -> list[ShopRef]:
    """The user's shops: all of them for an all-shops user, else the granted ones; by platform and name."""
    stmt = select(*_SHOP_COLUMNS).order_by(shops.c.platform, shops.c.name)
    if not user.all_shops:
        granted = select(user_shop_grants.c.shop_id).where(user_shop_grants.c.user_id == user.id)
        stmt = stmt.where(shops.c.id.in_(granted))
    return [_shop(row) for row in conn.execute(stmt)]


def active_users_of(
    conn: Connection, shop_ids: Iterable[int], roles: Collection[Role]
) -> dict[int, list[str]]:
    """The names of the active users of these roles who may see each of these shops (the every-shop users
    and those granted it), by name."""
    wanted = sorted(set(shop_ids))
    found: dict[int, set[str]] = {shop_id: set() for shop_id in wanted}
    if not wanted:
        return {}
    working = and_(users.c.active, users.c.role.in_(sorted(role.value for role in roles)))
    every = select(users.c.name).where(working, users.c.all_shops)
    everyone = set(conn.execute(every).scalars())
    granted = (
        select(user_shop_grants.c.shop_id, users.c.name)
        .join(users, users.c.id == user_shop_grants.c.user_id)
        .where(working, user_shop_grants.c.shop_id.in_(wanted))
    )
    for shop_id, name in conn.execute(granted):
        found[shop_id].add(name)
    return {shop_id: sorted(names | everyone) for shop_id, names in found.items()}


def insert_token(conn: Connection, user_id: int, digest: str, hint: str, label: str, now: datetime) -> None:
    conn.execute(
        insert(api_tokens).values(user_id=user_id, token_hash=digest, hint=hint, label=label, created_at=now)
    )


def tokens_of(conn: Connection, user_id: int) -> list[TokenInfo]:
    """The user's API tokens, oldest first."""
    columns = (api_tokens.c.id, api_tokens.c.hint, api_tokens.c.label, api_tokens.c.created_at)
    stmt = select(*columns).where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.id)
    return [TokenInfo(row.id, row.hint, row.label, row.created_at) for row in conn.execute(stmt)]


def delete_token(conn: Connection, token_id: int) -> None:
    conn.execute(delete(api_tokens).where(api_tokens.c.id == token_id))


def record_change(conn: Connection, user_id: int, kind: str, detail: str, actor: str, at: datetime) -> None:
    values = {"user_id": user_id, "kind": kind, "detail": detail, "actor": actor[:NAME_LENGTH], "at": at}
    conn.execute(insert(user_changes).values(**values))


def changes(conn: Connection, user_id: int | None = None) -> list[UserChange]:
    """The changes made to one user (or to every user), newest first."""
    columns = (
        users.c.name,
        user_changes.c.kind,
        user_changes.c.detail,
        user_changes.c.actor,
        user_changes.c.at,
    )
    stmt = (
        select(*columns).join(users, users.c.id == user_changes.c.user_id).order_by(user_changes.c.id.desc())
    )
    if user_id is not None:
        stmt = stmt.where(user_changes.c.user_id == user_id)
    return [UserChange(*row) for row in conn.execute(stmt)]


def listings(conn: Connection) -> list[UserListing]:
    counted = select(api_tokens.c.user_id, func.count()).group_by(api_tokens.c.user_id)
    token_counts: dict[int, int] = {user_id: n for user_id, n in conn.execute(counted)}
    grants: dict[int, list[str]] = {}
    for user_id, platform, name in conn.execute(
        select(user_shop_grants.c.user_id, shops.c.platform, shops.c.name)
        .join(shops, shops.c.id == user_shop_grants.c.shop_id)
        .order_by(shops.c.platform, shops.c.name)
    ):
        grants.setdefault(user_id, []).append(f"{platform}/{name}")
    return [
        UserListing(_user(row), tuple(grants.get(row.id, ())), token_counts.get(row.id, 0))
        for row in conn.execute(select(*_USER_COLUMNS).order_by(users.c.name))
    ]


def failure_times(conn: Connection, name: str, client: str, since: datetime) -> tuple[list[datetime], ...]:
    """Failed logins after `since`, oldest first: (for this name, from this client)."""
    found = []
    for column, value in ((login_failures.c.name, name), (login_failures.c.client, client)):
        stmt = select(login_failures.c.at).where(column == value, login_failures.c.at > since)
        found.append(list(conn.execute(stmt.order_by(login_failures.c.at)).scalars()))
    return tuple(found)


def record_failure(conn: Connection, name: str, client: str, now: datetime, forget_before: datetime) -> None:
    """Store a failed (or not yet decided) login; forget those before `forget_before`."""
    conn.execute(delete(login_failures).where(login_failures.c.at < forget_before))
    conn.execute(insert(login_failures).values(at=now, name=name[:NAME_LENGTH], client=client[:64]))


def clear_failures(conn: Connection, name: str) -> None:
    conn.execute(delete(login_failures).where(login_failures.c.name == name))
