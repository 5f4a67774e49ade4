"""Random but valid shop data for property tests: orders, parcels, tracking events, feedback."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, select

from lanshou import schema as s
from lanshou.metrics.rollups import rollup_tables

BASE = datetime(2026, 3, 1)  # UTC; windows around the 2026-03-08 US and 2026-03-29 EU DST changes
SHOPS = (
    ("douyin", "抖音小店", "Asia/Shanghai"),
    ("tmall", "旗舰店", "America/New_York"),
    ("jd", "京东店", "Europe/Berlin"),
)
CATEGORIES = ("配饰", "食品", "手奢侈品", "家居")
STATUSES = ("paid", "shipped", "delivered", "completed", "cancelled", "refunded", "pending_payment")
EVENT_STATUSES = (
    "info_received",
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "delivered",
    "delivered",
    "returned",
    "rejected",
    "exception",
)
TAGS = ("发货慢", "虚假发货", "包装破损", "物流信息不更新", "质量问题")


@dataclass
class Data:
    orders: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    parcels: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)


hours = st.integers(min_value=0, max_value=25 * 24).map(lambda h: timedelta(hours=h))
minutes = st.integers(min_value=0, max_value=72 * 60).map(lambda m: timedelta(minutes=m))


@st.composite
def shop_data(draw: st.DrawFn) -> Data:
    data = Data()
    for n in range(draw(st.integers(min_value=0, max_value=14))):
        shop_id = draw(st.integers(min_value=1, max_value=len(SHOPS)))
        order_no = f"O{n}"
        created = BASE + draw(hours) + timedelta(minutes=draw(st.integers(0, 59)))
        paid = None if draw(st.integers(0, 9)) == 0 else created + timedelta(minutes=draw(st.integers(0, 30)))
        status = draw(st.sampled_from(STATUSES)) if paid else "pending_payment"
        promised = created + draw(minutes) if draw(st.booleans()) else None
        data.orders.append(
            {
                "shop_id": shop_id,
                "order_no": order_no,
                "status": status,
                "created_at": created,
                "paid_at": paid,
                "is_presale": draw(st.integers(0, 4)) == 0,
                "promised_ship_by": promised,
                "province": draw(st.sampled_from(("浙江省", "广东省"))),
                "updated_at": BASE,
            }
        )
        for k, category in enumerate(draw(st.lists(st.sampled_from(CATEGORIES), min_size=0, max_size=2))):
            data.lines.append(
                {
                    "shop_id": shop_id,
                    "order_no": order_no,
                    "line_key": f"L{k}",
                    "sku": f"S{k}",
                    "category": category,
                    "quantity": 1,
                }
            )
        if (
            data.parcels and draw(st.integers(0, 3)) == 0
        ):  # 合并发货: a parcel of an earlier order carries it too
            shared = draw(st.sampled_from(data.parcels))  # of any shop: then counted once in each
            data.parcels.append({**shared, "shop_id": shop_id, "order_no": order_no})
        for p in range(draw(st.integers(0, 2))):  # two: split (拆单)
            tracking_no = f"T{n}-{p}"
            data.parcels.append(
                {
                    "shop_id": shop_id,
                    "order_no": order_no,
                    "carrier": draw(st.sampled_from(("zto", "sf"))),
                    "tracking_no": tracking_no,
                    "shipped_at": created + draw(minutes),
                }
            )
            at = created
            for e in range(draw(st.integers(0, 5))):
                at = at + draw(minutes)
                data.events.append(
                    {
                        "tracking_no": tracking_no,
                        "event_time": at,
                        "raw_status": f"r{e}",
                        "status": draw(st.sampled_from(EVENT_STATUSES)),
                    }
                )
        for f in range(draw(st.integers(0, 2))):
            data.feedback.append(
                {
                    "shop_id": shop_id,
                    "order_no": order_no,
                    "created_at": created + draw(minutes) + timedelta(seconds=f),
                    "rating": draw(st.one_of(st.none(), st.integers(1, 5))),
                    "tags": "|".join(draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))),
                }
            )
    return data


def write_shops(conn: Connection) -> None:
    existing = set(conn.execute(select(s.shops.c.id)).scalars())
    rows = [
        {"id": i, "platform": p, "name": n, "timezone": tz}
        for i, (p, n, tz) in enumerate(SHOPS, start=1)
        if i not in existing
    ]
    if rows:
        conn.execute(s.shops.insert(), rows)


def write(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(table.insert(), rows)


def write_parcels(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Parcels given per order (shop_id, order_no, carrier, tracking_no, shipped_at): one parcel row per
    (shop, tracking number), the first one given wins, and a link for each row."""
    physical: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["shop_id"], row["tracking_no"])
        physical.setdefault(key, {k: v for k, v in row.items() if k != "order_no"})
    write(conn, s.parcels, list(physical.values()))
    links = {(r["tracking_no"], r["shop_id"], r["order_no"]) for r in rows}
    write(
        conn,
        s.parcel_orders,
        [dict(zip(("tracking_no", "shop_id", "order_no"), k, strict=True)) for k in links],
    )


def derived_rows(engine: Engine, counted_only: bool = False) -> dict[str, set[tuple[Any, ...]]]:
    """Every derived metric row (metric_orders, _parcels, _misses, _queue and the rollups), by table, to
    compare two ways of deriving the same data. `counted_only`: without rollup rows whose count went back to
    0 (incremental deltas leave them; a rebuild writes none)."""
    tables = {"metric_orders": s.metric_orders, "metric_parcels": s.metric_parcels}
    tables |= {"metric_misses": s.metric_misses, "metric_queue": s.metric_queue, **rollup_tables()}
    with engine.connect() as conn:
        return {
            name: {
                tuple(row) for row in conn.execute(table.select()) if not counted_only or getattr(row, "n", 1)
            }
            for name, table in tables.items()
        }
