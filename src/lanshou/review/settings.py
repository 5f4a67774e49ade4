"""Review settings: a shop's switches (in `shops.settings`) and the blacklist."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, select

from lanshou.db.bulk import insert_new
from lanshou.review.tables import review_blacklist
from lanshou.shops.tables import shops

KINDS = ("buyer", "phone", "address")


class BlacklistError(ValueError):
    pass


def set_shop_setting(conn: Connection, shop_id: int, name: str, value: object) -> None:
    raw = conn.execute(select(shops.c.settings).where(shops.c.id == shop_id)).scalar_one()
    settings = json.loads(raw or "{}")
    settings[name] = value
    conn.execute(shops.update().where(shops.c.id == shop_id).values(settings=json.dumps(settings)))


def set_blacklisted(conn: Connection, kind: str, value: str, listed: bool, note: str, now: datetime) -> int:
    if kind not in KINDS:
        raise BlacklistError(f"unknown kind {kind!r}: buyer, phone or address")
    value = value.strip()
    if not value or "*" in value:
        raise BlacklistError(
            "a blacklist value is the full buyer id, phone or address, not masked 不能是脱敏值"
        )
    b = review_blacklist.c
    if listed:
        return insert_new(
            conn,
            review_blacklist,
            [{"kind": kind, "value": value, "note": note, "created_at": now}],
            ["kind", "value"],
        )
    return int(conn.execute(review_blacklist.delete().where(b.kind == kind, b.value == value)).rowcount)
