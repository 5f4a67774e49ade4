"""Account tables (revision 0100), on the shared metadata. Times are naive UTC like every other table."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lanshou.accounts.roles import Role
from lanshou.db.metadata import metadata

NAME_LENGTH = 64

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(NAME_LENGTH), nullable=False),  # stored case-folded: "Li" and "li" are one user
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("all_shops", Boolean, nullable=False, server_default="0"),  # every shop, present and future
    Column("active", Boolean, nullable=False, server_default="1"),
    # raised by a password change and by disabling: a browser session made under an older epoch is refused
    Column("session_epoch", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("name"),
    CheckConstraint("role IN (" + ", ".join(f"'{role.value}'" for role in Role) + ")", name="role_known"),
)

user_shop_grants = Table(
    "user_shop_grants",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False),  # SHA-256 hex; the token itself is shown once
    Column("hint", String(16), nullable=False),
    Column("label", String(200), nullable=False, server_default=""),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("token_hash"),
)
Index("ix_api_tokens_user", api_tokens.c.user_id)

# Every change made to a user (password, role, grants, disable/enable, token revoked): who, when, what.
user_changes = Table(
    "user_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("actor", String(NAME_LENGTH), nullable=False, server_default=""),
    Column("at", DateTime, nullable=False),
)
Index("ix_user_changes_user", user_changes.c.user_id, user_changes.c.id)

# Failed logins inside the rate-limit window; older rows are pruned as new ones arrive.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("client", String(64), nullable=False),
)
Index("ix_login_failures_name", login_failures.c.name, login_failures.c.at)
Index("ix_login_failures_client", login_failures.c.client, login_failures.c.at)
Index("ix_login_failures_at", login_failures.c.at)
