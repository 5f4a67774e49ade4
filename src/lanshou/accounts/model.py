"""Users and shops as the other faces see them; user names; Pure."""

from __future__ import annotations

from dataclasses import dataclass

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

    def may(self, permission: Permission) -> bool:
        return may(self.role, permission)


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
