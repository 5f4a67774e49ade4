"""Shops in the database: looked up by (platform, name), created on first sight by an orders import."""

from __future__ import annotations

import json

from sqlalchemy import Connection, select

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.db.bulk import upsert
from lanshou.shops.model import ShopInfo
from lanshou.shops.tables import shops


def load_shops(conn: Connection) -> dict[int, ShopInfo]:
    rows = conn.execute(select(shops).order_by(shops.c.id))
    return {
        row.id: ShopInfo(row.platform, row.name, row.timezone, json.loads(row.settings or "{}"))
        for row in rows
    }


class ShopDirectory:
    """Shop ids by (platform, name), created on first sight."""

    def __init__(self, conn: Connection) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.timezones: dict[tuple[str, str], str] = {}
        for row in conn.execute(select(shops.c.id, shops.c.platform, shops.c.name, shops.c.timezone)):
            self.ids[(row.platform, row.name)] = row.id
            self.timezones[(row.platform, row.name)] = row.timezone

    def ensure(self, conn: Connection, platform: str, name: str, timezone: str | None = None) -> int:
        key = (platform, name)
        if key not in self.ids:
            tz = timezone or DEFAULT_TIMEZONE
            upsert(conn, shops, [{"platform": platform, "name": name, "timezone": tz}], ["platform", "name"])
            shop_id = conn.execute(
                select(shops.c.id).where(shops.c.platform == platform, shops.c.name == name)
            ).scalar_one()
            self.ids[key] = shop_id
            self.timezones[key] = tz
        return self.ids[key]
