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
