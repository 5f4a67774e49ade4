"""Which shops a page may show: the signed-in user's grants, narrowed by `?shop=` (a shop not granted is
a page that does not exist, as in the API)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import HTTPException
from sqlalchemy import Engine

from lanshou.accounts.model import ShopRef, User, holds_every_shop, pick_shops
from lanshou.accounts.service import shops_for
from lanshou.config import DEFAULT_TIMEZONE

P = TypeVar("P")


@dataclass(frozen=True)
class PageScope:
    granted: tuple[ShopRef, ...]
    selected: tuple[ShopRef, ...]
    shop: str  # the `?shop=` given ("" for all)
    every_shop: bool = False  # every shop, present and future, not narrowed by `?shop=` (accounts.model)

    @property
    def shop_ids(self) -> tuple[int, ...]:
        return tuple(shop.id for shop in self.selected)

    def by_label(self) -> dict[str, ShopRef]:
        return {shop.label: shop for shop in self.granted}

    def granted_id(self, shop_id: int) -> ShopRef:
        """The granted shop with this id; 404 for any other."""
        for shop in self.granted:
            if shop.id == shop_id:
                return shop
        raise HTTPException(404)


def page_scope(engine: Engine, user: User, shop: str | None) -> PageScope:
    granted = tuple(shops_for(engine, user))
    selected = pick_shops(granted, shop)
    if shop and shop.strip() and not selected:
        raise HTTPException(404)
    every = holds_every_shop(user, granted, selected)
    return PageScope(granted, selected, (shop or "").strip(), every)


def today() -> date:
    return datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date()


def parse_day(text: str | None) -> date | None:
    """YYYY-MM-DD within 1970–2999, else None (a page ignores a day it cannot read)."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return day if date(1970, 1, 1) <= day <= date(2999, 12, 31) else None


def shop_minute(text: str, shop: ShopRef | None) -> str:
    """A time of an area's JSON (ISO 8601; naive is UTC, as stored) as "YYYY-MM-DD HH:MM" in the shop's
    timezone, as the order pages show times; in UTC when the shop is not known."""
    return local_minute(datetime.fromisoformat(text), shop)


def local_minute(moment: datetime, shop: ShopRef | None) -> str:
    """A time (naive UTC, as stored, or aware) as "YYYY-MM-DD HH:MM" in the shop's timezone; UTC when the
    shop is not known."""
    from lanshou.orders.queries import to_local

    local = to_local(moment, shop.timezone if shop else "UTC")
    return f"{local:%Y-%m-%d %H:%M}"


def read_cursor(text: str, keys: dict[str, type]) -> dict[str, Any] | None:
    """The position a page's `?after=` cursor holds, else None (a page starts over on one it cannot read)."""
    from lanshou.api.errors import ApiError
    from lanshou.api.pagination import decode_cursor

    if not text or len(text) > 300:
        return None
    try:
        return decode_cursor(text, keys)
    except ApiError:
        return None


def read_position(
    text: str, keys: dict[str, type], position: Callable[[dict[str, Any]], P | None]
) -> P | None:
    """The position a page's `?after=` keyset cursor holds, else None (a page starts over on one it cannot
    read, such as an offset cursor of before)."""
    found = read_cursor(text, keys)
    return position(found) if found is not None else None
