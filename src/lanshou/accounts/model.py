"""Users and shops as the other faces see them; user names; Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lanshou.accounts.errors import AccountError
from lanshou.accounts.roles import Permission, Role, may
from lanshou.accounts.tables import NAME_LENGTH


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: Role
    all_shops: bool  # every shop, present and future (owners created without --shops)
    active: bool = True
    session_epoch: int = 0  # a browser session made under another epoch is no longer this user's

    def may(self, permission: Permission) -> bool:
        return may(self.role, permission)

    def as_json(self) -> dict[str, object]:
        return {
            "user": self.name,
            "role": self.role.value,
            "all_shops": self.all_shops,
            "active": self.active,
        }


@dataclass(frozen=True, slots=True)
class ShopRef:
    id: int
    platform: str
    name: str
    timezone: str

    @property
    def label(self) -> str:
        return f"{self.platform}/{self.name}"


@dataclass(frozen=True, slots=True)
class UserListing:
    user: User
    shops: tuple[str, ...]  # labels of the granted shops; empty with all_shops
    tokens: int

    def as_json(self) -> dict[str, object]:
        return {**self.user.as_json(), "shops": list(self.shops), "tokens": self.tokens}


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token as its holder's list shows it: never the token itself."""

    id: int
    hint: str
    label: str
    created_at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "hint": self.hint,
            "label": self.label,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class UserChange:
    """One change made to a user: what (`kind`: password, role, grant, revoke, disable, enable,
    revoke_token), the detail, who made it and when (naive UTC)."""

    user: str
    kind: str
    detail: str
    actor: str
    at: datetime

    def as_json(self) -> dict[str, object]:
        fields = {"user": self.user, "kind": self.kind, "detail": self.detail, "actor": self.actor}
        return {**fields, "at": self.at.isoformat()}


def normalize_name(text: str) -> str:
    """A login name as stored: trimmed and case-folded, 1-64 visible characters without spaces."""
    name = text.strip().casefold()
    if not name:
        raise AccountError("用户名不能为空 user name must not be empty")
    if len(name) > NAME_LENGTH:
        raise AccountError(f"用户名太长 user name too long: at most {NAME_LENGTH} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in name):
        raise AccountError(f"用户名不能含空白或控制字符 user name must not contain spaces: {text!r}")
    return name


def pick_shops(granted: tuple[ShopRef, ...], wanted: str | None) -> tuple[ShopRef, ...]:
    """The granted shops `wanted` names ("旗舰店" or "tmall/旗舰店"), all of them when it names nothing;
    empty when it names a shop that is not granted (or does not exist: callers must not tell the two apart).
    """
    if wanted is None or not wanted.strip():
        return granted
    text = wanted.strip()
    return tuple(shop for shop in granted if text in (shop.name, shop.label))


def holds_every_shop(user: User, granted: tuple[ShopRef, ...], selected: tuple[ShopRef, ...]) -> bool:
    """The every-shop grant (present and future shops), not narrowed by `?shop=` to some of them."""
    return user.all_shops and len(selected) == len(granted)
