"""Shops in the database: looked up by (platform, name), created on first sight by an orders import."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, String, bindparam, or_, select

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.db.bulk import insert_new
from lanshou.db.driver_reads import fetch_all
from lanshou.shops.model import ShopInfo
from lanshou.shops.tables import shops


def load_shops(conn: Connection) -> dict[int, ShopInfo]:
    rows = conn.execute(select(shops).order_by(shops.c.id))
    return {
        row.id: ShopInfo(row.platform, row.name, row.timezone, json.loads(row.settings or "{}"))
        for row in rows
    }


def name_param(wanted: str | None) -> str | None:
    """The value `named_by` compares: the name stripped, None when it names nothing (every shop)."""
    text = wanted.strip() if wanted else ""
    return text or None


def named_by(name: Any) -> ColumnElement[bool]:
    """The shops a bound name (`name_param`) names — "旗舰店" or "tmall/旗舰店", as
    `accounts.model.pick_shops` reads it — or every shop when it is NULL."""
    sh = shops.c
    return or_(name.is_(None), sh.name == name, sh.platform + "/" + sh.name == name)


def names_a_shop_among(
    conn: Connection, among: Select[Any], params: Mapping[str, Any], wanted: str | None
) -> bool:
    """Whether `wanted` names a shop among the ids `among` selects (with `params`), or, naming none, whether
    it selects any. `among` must be built once (cached): its compiled form is kept per object."""
    values = {**params, "shop": name_param(wanted)}
    return bool(fetch_all(conn, _named_among_statement(among), values))


@cache
def _named_among_statement(among: Select[Any]) -> Select[Any]:
    named = bindparam("shop", type_=String())
    return select(shops.c.id).where(shops.c.id.in_(among.scalar_subquery()), named_by(named)).limit(1)


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
