"""Buyer use cases for the faces: list, show, segment (live, with export), blacklist, refresh.
Names and phones are masked unless the caller asks otherwise. JSON shapes live here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from lanshou.buyers.profile import PROFILE_FACTS
from lanshou.buyers.rules import default_rules
from lanshou.buyers.store import (
    catch_up_buyers,
    orders_of_profiles,
    profile_from_row,
    recompute,
    refresh_orders,
    set_blacklist,
)
from lanshou.buyers.tables import buyer_orders, buyer_profiles
from lanshou.customers.masking import mask_email, mask_name, mask_phone
from lanshou.db.engine import run_transaction
from lanshou.orders.facts import order_facts
from lanshou.rules.language import RuleRuntimeError

EXPORT_HEADERS = [
    "客户 buyer",
    "姓名 name",
    "手机 phone",
    "邮箱 email",
    "等级 tier",
    "订单数 orders",
    "消费 spend",
    "最近下单 last order (UTC)",
    "偏好类目 categories",
    "分群 segments",
]


def profile_json(row: Any, unmask: bool = False) -> dict[str, Any]:
    return {
        "key": row.key,
        "platform": row.platform,
        "name": row.name if unmask else mask_name(row.name),
        "phone": row.phone if unmask else mask_phone(row.phone),
        "email": row.email if unmask else mask_email(row.email),
        "orders": row.orders,
        "spend": str(row.spend),
        "first_order_at": row.first_order_at.isoformat(sep=" ") if row.first_order_at else None,
        "last_order_at": row.last_order_at.isoformat(sep=" ") if row.last_order_at else None,
        "is_repeat": row.orders >= 2,
        "categories": [c for c in row.categories.split("|") if c],
        "shops": [s for s in row.shops.split("|") if s],
        "province": row.province,
        "refunds": row.refunds,
        "refunded": str(row.refunded),
        "negative_feedback": row.negative_feedback,
        "tier": row.tier,
        "segments": [s for s in row.segments.split("|") if s],
        "blacklisted": bool(row.blacklisted),
        "blacklist_reason": row.blacklist_reason,
    }


def list_json(
    engine: Engine,
    tier: str | None = None,
    repeat: bool | None = None,
    blacklisted: bool | None = None,
    limit: int = 200,
    unmask: bool = False,
) -> list[dict[str, Any]]:
    p = buyer_profiles.c
    query = select(buyer_profiles).order_by(p.spend.desc(), p.key).limit(limit)
    if tier is not None:
        query = query.where(p.tier == tier)
    if repeat is not None:
        query = query.where(p.orders >= 2 if repeat else p.orders < 2)
    if blacklisted is not None:
        query = query.where(p.blacklisted.is_(blacklisted))
    catch_up_buyers(engine)
    with engine.connect() as conn:
        return [profile_json(row, unmask) for row in conn.execute(query)]


def _find(conn: Connection, key_or_order: str) -> Any:
    row = conn.execute(select(buyer_profiles).where(buyer_profiles.c.key == key_or_order)).first()
    if row is not None:
        return row
    link = conn.execute(
        select(buyer_orders.c.profile_key).where(buyer_orders.c.order_no == key_or_order)
    ).first()
    if link is not None:
        return conn.execute(select(buyer_profiles).where(buyer_profiles.c.key == link[0])).first()
    raise LookupError(f"没有这个客户 no buyer {key_or_order!r} (a buyer key, or one of their order numbers)")


def show_json(engine: Engine, key_or_order: str, unmask: bool = False) -> dict[str, Any]:
    catch_up_buyers(engine)
    with engine.connect() as conn:
        row = _find(conn, key_or_order)
        data = profile_json(row, unmask)
        keys = orders_of_profiles(conn, [row.key]).get(row.key, [])
        orders = sorted(
            order_facts(conn, keys).values(),
            key=lambda o: (o.paid_at or o.created_at or datetime.min, o.order_no),
        )
    data["order_list"] = [
        {
            "shop": f"{o.platform}/{o.shop}",
            "order_no": o.order_no,
            "status": o.status,
            "amount": None if o.order_amount is None else str(o.order_amount),
            "at": (o.paid_at or o.created_at or datetime.min).isoformat(sep=" "),
        }
        for o in orders
    ]
    return data


def segment_rows(engine: Engine, name: str, now: datetime, unmask: bool = False) -> Iterator[dict[str, Any]]:
    """The buyers in a segment now (the rule is evaluated live, so `days_since_last_order` is current)."""
    condition = default_rules().segment(name)
    catch_up_buyers(engine)
    with engine.connect() as conn:
        for row in conn.execute(
            select(buyer_profiles).order_by(buyer_profiles.c.spend.desc(), buyer_profiles.c.key)
        ):
            try:
                member = condition.check(PROFILE_FACTS.activation(profile_from_row(row), now))
            except RuleRuntimeError:
                member = False
            if member:
                yield profile_json(row, unmask)


def export_segment(engine: Engine, name: str, now: datetime, path: Path, unmask: bool = False) -> int:
    """The segment to CSV (masked unless asked; no cell can start a formula: lanshou.files.export)."""
    from lanshou.files.export import write_csv

    cells = (
        [
            b["key"],
            b["name"],
            b["phone"],
            b["email"],
            b["tier"],
            b["orders"],
            b["spend"],
            b["last_order_at"] or "",
            "|".join(b["categories"]),
            "|".join(b["segments"]),
        ]
        for b in segment_rows(engine, name, now, unmask)
    )
    return write_csv(path, EXPORT_HEADERS, cells)


def blacklist(
    engine: Engine, key_or_order: str, on: bool, reason: str, actor: str, now: datetime
) -> dict[str, Any]:
    if on and not reason.strip():
        raise ValueError("拉黑须写明原因 / blacklisting needs a reason (--reason)")

    catch_up_buyers(engine)  # the order named may be marked only: its profile is built first

    def work(conn: Connection) -> dict[str, Any]:
        row = _find(conn, key_or_order)
        set_blacklist(conn, row.key, on, reason, actor, now)
        recompute(conn, [row.key], now)  # segments and tiers may read `blacklisted`
        return profile_json(conn.execute(select(buyer_profiles).where(buyer_profiles.c.key == row.key)).one())

    return run_transaction(engine, work)


def _refresh(keys: list[tuple[int, str]], now: datetime, conn: Connection) -> int:
    return refresh_orders(conn, keys, now)


def refresh_all(engine: Engine, now: datetime, chunk: int = 2000) -> int:
    """Link every stored order and recompute every profile (a database from before the buyers area)."""
    from lanshou.orders.tables import orders

    with engine.connect() as conn:
        keys = [
            (r.shop_id, r.order_no)
            for r in conn.execute(select(orders.c.shop_id, orders.c.order_no).order_by(orders.c.id))
        ]
    done = 0
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        done += run_transaction(engine, partial(_refresh, part, now))
    return done
