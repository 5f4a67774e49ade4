"""One `lanshou ship` run at a time per shop (see tables.ship_leases): taken with a conditional write, so two
runs starting together cannot both believe they hold it."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, or_, update

from lanshou.db.bulk import insert_new
from lanshou.shipping.tables import ship_leases

LEASE = timedelta(minutes=5)  # a run renews it with every batch; a dead run's lease lapses after this


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(conn: Connection, shop_ids: Iterable[int], holder: str, now: datetime) -> set[int]:
    """The shops whose lease this run now holds (new, lapsed, or already its own)."""
    got: set[int] = set()
    t = ship_leases.c
    for shop_id in sorted(set(shop_ids)):
        row = {"shop_id": shop_id, "holder": holder, "expires_at": now + LEASE}
        if insert_new(conn, ship_leases, [row], ["shop_id"]):
            got.add(shop_id)
            continue
        taken = conn.execute(
            update(ship_leases)
            .where(t.shop_id == shop_id, or_(t.expires_at < now, t.holder == holder))
            .values(holder=holder, expires_at=now + LEASE)
        )
        if taken.rowcount == 1:
            got.add(shop_id)
    return got


def renew(conn: Connection, holder: str, now: datetime) -> None:
    conn.execute(update(ship_leases).where(ship_leases.c.holder == holder).values(expires_at=now + LEASE))


def release(conn: Connection, holder: str) -> None:
    conn.execute(delete(ship_leases).where(ship_leases.c.holder == holder))
