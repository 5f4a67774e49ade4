"""Shops in the database: looked up by (platform, name), created on first sight by an orders import."""

from __future__ import annotations

import json

from sqlalchemy import Connection, select

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.db.bulk import insert_new
from lanshou.shops.model import ShopInfo
from lanshou.shops.tables import shops


def load_shops(conn: Connection) -> dict[int, ShopInfo]:
    rows = conn.execute(select(shops).order_by(shops.c.id))
    return {
        row.id: ShopInfo(row.platform, row.name, row.timezone, json.loads(row.settings or "{}"))
        for row in rows
    }


class ShopDirectory:
    """Shop ids by (platform, name), created on first sight.

    Two processes may create the same shop at once: the insert does nothing when the other one's row is
    there (PostgreSQL waits for it to commit), and the id is read back. A shop this directory created is
    looked up again in the next transaction: the one that created it may have rolled back (a batch that is
    run again), and its id would then name nothing.
    """

    def __init__(self, conn: Connection) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.timezones: dict[tuple[str, str], str] = {}
        self._created_in: dict[tuple[str, str], object] = {}  # key -> transaction not known to be committed
        for row in conn.execute(select(shops.c.id, shops.c.platform, shops.c.name, shops.c.timezone)):
            self.ids[(row.platform, row.name)] = row.id
            self.timezones[(row.platform, row.name)] = row.timezone

    def ensure(self, conn: Connection, platform: str, name: str, timezone: str | None = None) -> int:
        key = (platform, name)
        created_in = self._created_in.get(key)
        if key in self.ids and (created_in is None or created_in is conn.get_transaction()):
            return self.ids[key]
        tz = timezone or self.timezones.get(key) or DEFAULT_TIMEZONE
        new = insert_new(
            conn, shops, [{"platform": platform, "name": name, "timezone": tz}], ["platform", "name"]
        )
        row = conn.execute(
            select(shops.c.id, shops.c.timezone).where(shops.c.platform == platform, shops.c.name == name)
        ).one()
        self.ids[key], self.timezones[key] = row.id, row.timezone
        if new:
            self._created_in[key] = conn.get_transaction()
        else:  # committed (by another process, or by an earlier transaction of ours)
            self._created_in.pop(key, None)
        return self.ids[key]
