"""Write generated demo data into a database: batched executemany (lanshou.db.bulk's compiled path on SQLite,
COPY on PostgreSQL), one transaction per batch, so memory stays flat whatever the order count.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, select, text, tuple_

from lanshou import schema as s
from lanshou.db.bulk import insert_rows, upsert
from lanshou.demo.catalog import SHOPS
from lanshou.demo.generator import DemoConfig, table_batches
from lanshou.events import EventBus, OrdersChanged, bus
from lanshou.forked import can_fork, produced_in_child
from lanshou.shops.store import ShopDirectory

CHUNK = 5_000  # rows per executemany


@dataclass(slots=True)
class WriteStats:
    orders: int = 0
    rows: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


class DemoDataPresent(RuntimeError):
    """The database already holds demo orders."""


def ensure_shops(conn: Connection) -> list[int]:
    """Ids of the demo shops (created when missing), in catalog order."""
    shops = ShopDirectory(conn)
    ids = []
    for shop in SHOPS:
        shop_id = shops.ensure(conn, shop.platform, shop.name, shop.timezone)
        settings = {
            "carrier_cutoff": f"{shop.cutoff_hour:02d}:00",
            "warehouse": shop.warehouse,
            # each shop prints its own sender: the carrier file's [sender] is an example's placeholder
            "sender": shop.sender_settings(),
        }
        conn.execute(s.shops.update().where(s.shops.c.id == shop_id).values(settings=json.dumps(settings)))
        ids.append(shop_id)
    return ids


def demo_shop_ids(conn: Connection) -> list[int]:
    """Only the demo's shops: a database may hold other shops' orders beside the demo's."""
    wanted = [(shop.platform, shop.name) for shop in SHOPS]
    query = select(s.shops.c.id).where(tuple_(s.shops.c.platform, s.shops.c.name).in_(wanted))
    return sorted(conn.execute(query).scalars())


def other_shops(conn: Connection) -> bool:
    """Whether the database holds a shop that is not the demo's (a merchant's own)."""
    every = conn.execute(select(func.count()).select_from(s.shops)).scalar_one()
    return int(every) > len(demo_shop_ids(conn))


def demo_order_count(engine: Engine) -> int:
    names = [shop.name for shop in SHOPS]
    query = (
        select(func.count())
        .select_from(s.orders.join(s.shops, s.shops.c.id == s.orders.c.shop_id))
        .where(s.shops.c.name.in_(names))
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def order_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(s.orders)).scalar_one())


def reset_database(engine: Engine) -> None:
    """Empty every Lanshou table (not the schema version)."""
    tables = list(reversed(s.metadata.sorted_tables))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(delete(table))


def write_demo(
    engine: Engine,
    config: DemoConfig,
    progress: Callable[[int], None] | None = None,
    events: EventBus = bus,
) -> WriteStats:
    """Generate and insert the demo data; refuses when demo orders are already there."""
    if demo_order_count(engine):
        raise DemoDataPresent("the database already holds demo data")
    stats, started = WriteStats(), time.perf_counter()
    with engine.begin() as conn:
        shop_ids = ensure_shops(conn)
    # generated in a child process when there is a second core: generating costs more than writing
    batches = (
        produced_in_child(table_batches, config, shop_ids) if can_fork() else table_batches(config, shop_ids)
    )
    for batch in batches:
        with engine.begin() as conn:
            upsert(conn, s.buyers, batch.rows["buyers"], ["platform", "buyer_key"])
            for name, rows in batch.rows.items():
                if name != "buyers":
                    insert(conn, s.metadata.tables[name], rows)
            keys = tuple((row["shop_id"], row["order_no"]) for row in batch.rows["orders"])
            events.publish(conn, OrdersChanged(keys))
        stats.orders += batch.orders
        stats.rows += batch.row_count
        if progress is not None:
            progress(stats.orders)
    stats.seconds = time.perf_counter() - started
    events.settle(engine)  # e.g. the metric rollups of every generated order
    return stats


def insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, rows)
        return
    for start in range(0, len(rows), CHUNK):
        insert_rows(conn, table, rows[start : start + CHUNK])


def _copy(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL COPY … FROM STDIN through psycopg 3, inside the connection's transaction."""
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])
