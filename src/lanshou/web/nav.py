"""The menu: each entry shows only to roles with its permission (None: everyone signed in)."""

from __future__ import annotations

from dataclasses import dataclass

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # message key
    permission: Permission | None = None


NAV: tuple[NavItem, ...] = (NavItem("/", "nav.overview"),)


def nav_for(user: User | None) -> list[NavItem]:
    if user is None:
        return []
    return [item for item in NAV if item.permission is None or user.may(item.permission)]
