"""Shop use cases for the faces: list the shops, change a shop's timezone (its rollups follow)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, update

from lanshou.db.engine import run_transaction
from lanshou.events import EventBus, ShopChanged, bus
from lanshou.shops.model import ShopInfo, select_shops
from lanshou.shops.store import load_shops
from lanshou.shops.tables import shops


def shop_json(shop_id: int, shop: ShopInfo) -> dict[str, Any]:
    """A shop as `lanshou shops list --json` (and the API) show it."""
    return {"id": shop_id, "platform": shop.platform, "shop": shop.shop, "timezone": shop.timezone}


def list_shops(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [shop_json(i, s) for i, s in load_shops(conn).items()]


def set_timezone(engine: Engine, wanted: str, timezone: str, events: EventBus = bus) -> list[dict[str, Any]]:
    """Keep the shop's times in `timezone` from now on: naive times of its later imports are read in it, and
    its rollup days are derived again (ShopChanged). Stored times (UTC) do not move. `wanted` is a shop
    name, or platform:name; LookupError when no shop (or more than one) matches, ValueError for an
    unknown timezone."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {timezone!r} (e.g. Asia/Shanghai, Europe/Berlin)") from None
    with engine.connect() as conn:
        chosen = select_shops(load_shops(conn), wanted)
    if len(chosen) > 1:
        names = ", ".join(f"{s.platform}:{s.shop}" for s in chosen.values())
        raise LookupError(f"{wanted!r} names several shops ({names}): say platform:name")
    moved = tuple(i for i, s in chosen.items() if s.timezone != timezone)

    def change(conn: Any) -> None:
        if moved:
            conn.execute(update(shops).where(shops.c.id.in_(moved)).values(timezone=timezone))
            events.publish(conn, ShopChanged(moved))

    run_transaction(engine, change)
    events.settle(engine)
    with engine.connect() as conn:
        now = load_shops(conn)
    return [shop_json(i, now[i]) for i in chosen]
