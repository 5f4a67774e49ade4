"""Keeping buyer profiles current: orders linked to their profile, each touched profile recomputed whole
from its orders (exact, whatever order the changes came in), and what review reads (`buyer_facts`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, String, insert, select, update

from lanshou.aftersales.store import refunds_by_order
from lanshou.buyers.profile import OrderSummary, Profile, build, counts, profile_key
from lanshou.buyers.rules import BuyerRules, default_rules
from lanshou.buyers.tables import buyer_blacklist_log, buyer_dirty, buyer_orders, buyer_profiles
from lanshou.config import buyer_hash_key
from lanshou.db.bulk import upsert
from lanshou.db.engine import lock_exclusively
from lanshou.db.keyset import ORDER_KEY, keyset
from lanshou.db.marks import catch_up, catch_up_here
from lanshou.followups.store import negatives_by_order
from lanshou.orders.facts import OrderFacts, buyer_identities, order_facts
from lanshou.orders.keys import CHUNK, OrderKey
from lanshou.rules.context import RuleBuyer

LOCK = "lanshou.buyers"
PROFILE_KEY = (("profile_key", String()),)  # a key set of profiles (lanshou.db.keyset)
AGGREGATES = (
    "platform",
    "name",
    "phone",
    "email",
    "orders",
    "spend",
    "first_order_at",
    "last_order_at",
    "categories",
    "shops",
    "province",
    "refunds",
    "refunded",
    "negative_feedback",
    "tier",
    "segments",
    "updated_at",
)


def refresh_orders(
    conn: Connection, keys: Sequence[OrderKey], now: datetime, rules: BuyerRules | None = None
) -> int:
    """Link these orders to their buyers' profiles and recompute every profile they touch (also one an
    order left, when its buyer changed); returns how many profiles were recomputed."""
    if not keys:
        return 0
    lock_exclusively(conn, LOCK)
    secret = buyer_hash_key()
    before = links_of(conn, keys)
    links = []
    for key, (platform, buyer_key, phone, masked) in buyer_identities(conn, keys).items():
        found = profile_key(platform, buyer_key, phone, bool(masked), secret)
        if found is not None:
            links.append((key[0], key[1], found))
    upsert(
        conn,
        buyer_orders,
        sorted(links),
        ("shop_id", "order_no"),
        ("profile_key",),
        ("shop_id", "order_no", "profile_key"),
    )
    touched = {link[2] for link in links} | set(before.values())
    return recompute(conn, sorted(touched), now, rules)


def links_of(conn: Connection, keys: Sequence[OrderKey]) -> dict[OrderKey, str]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    b = buyer_orders.c
    k = keyset(conn, wanted, ORDER_KEY)
    query = select(b.shop_id, b.order_no, b.profile_key).select_from(
        buyer_orders.join(k, (b.shop_id == k.c.shop_id) & (b.order_no == k.c.order_no))
    )
    return {(row[0], row[1]): row[2] for row in conn.execute(query).all()}


def orders_of_profiles(conn: Connection, profile_keys: Sequence[str]) -> dict[str, list[OrderKey]]:
    if not profile_keys:
        return {}
    b = buyer_orders.c
    k = keyset(conn, [(key,) for key in profile_keys], PROFILE_KEY)
    query = select(b.profile_key, b.shop_id, b.order_no).select_from(
        buyer_orders.join(k, b.profile_key == k.c.profile_key)
    )
    found: dict[str, list[OrderKey]] = {}
    for profile, shop_id, order_no in conn.execute(
        query.order_by(b.profile_key, b.shop_id, b.order_no)
    ).all():
        found.setdefault(profile, []).append((shop_id, order_no))
    return found


def _summary(order: OrderFacts, refunds: tuple[int, Decimal], negatives: int) -> OrderSummary:
    at = order.paid_at or order.created_at
    assert at is not None  # every stored order has its creation time
    return OrderSummary(
        shop=f"{order.platform}/{order.shop}",
        order_no=order.order_no,
        status=order.status,
        amount=order.order_amount,
        at=at,
        categories=tuple((line.category, line.quantity) for line in order.lines),
        province=order.province,
        refunds=refunds[0],
        refunded=refunds[1],
        negative_feedback=negatives,
    )


def recompute(
    conn: Connection, profile_keys: Sequence[str], now: datetime, rules: BuyerRules | None = None
) -> int:
    """Each profile again from all its orders: aggregates, tier and segments (the blacklist is kept)."""
    lock_exclusively(conn, LOCK)  # a profile is read whole and written whole: one writer at a time
    rows = computed(conn, profile_keys, now, rules)
    upsert(conn, buyer_profiles, rows, ("key",), AGGREGATES)
    return len(rows)


def computed(
    conn: Connection,
    profile_keys: Sequence[str],
    now: datetime,
    rules: BuyerRules | None = None,
    shop_ids: Collection[int] | None = None,
) -> list[dict[str, Any]]:
    """The AGGREGATES columns of each profile, computed from its orders — only those of `shop_ids` when
    given (a buyer as the staff of those shops may see them) — with its stored blacklist flag."""
    rules = rules or default_rules()
    members = orders_of_profiles(conn, list(profile_keys))
    if shop_ids is not None:
        members = {key: [k for k in keys if k[0] in shop_ids] for key, keys in members.items()}
    blacklisted = _blacklisted(conn, profile_keys)
    every = [key for keys in members.values() for key in keys]
    facts = order_facts(conn, every)
    refunds = refunds_by_order(conn, every)
    negatives = negatives_by_order(conn, every)
    rows = []
    for key in profile_keys:
        orders = [facts[k] for k in members.get(key, []) if k in facts]
        summaries = [
            _summary(
                o,
                refunds.get((o.shop_id, o.order_no), (0, Decimal(0))),
                negatives.get((o.shop_id, o.order_no), 0),
            )
            for o in orders
        ]
        profile = build(key, summaries, key in blacklisted)
        tier, segments = rules.classify(profile, now)
        latest = max(orders, key=lambda o: (o.paid_at or o.created_at or now, o.order_no), default=None)
        rows.append(
            {
                "key": key,
                "platform": latest.platform if latest else "",
                "name": latest.receiver_name if latest else "",
                "phone": latest.receiver_phone if latest else "",
                "email": _last_email(orders, now),
                **_aggregates(profile),
                "tier": tier,
                "segments": "|".join(segments),
                "updated_at": now,
            }
        )
    return rows


def _last_email(orders: list[OrderFacts], now: datetime) -> str:
    """The e-mail of the buyer's newest order that gave one."""
    given = [o for o in orders if o.buyer_email]
    newest = max(given, key=lambda o: (o.paid_at or o.created_at or now, o.order_no), default=None)
    return newest.buyer_email if newest else ""


def _aggregates(profile: Profile) -> dict[str, Any]:
    return {
        "orders": profile.orders,
        "spend": profile.spend,
        "first_order_at": profile.first_order_at,
        "last_order_at": profile.last_order_at,
        "categories": "|".join(profile.categories),
        "shops": "|".join(profile.shops),
        "province": profile.province,
        "refunds": profile.refunds,
        "refunded": profile.refunded,
        "negative_feedback": profile.negative_feedback,
    }


def _blacklisted(conn: Connection, profile_keys: Sequence[str]) -> set[str]:
    p = buyer_profiles.c
    found: set[str] = set()
    keys = list(profile_keys)
    for start in range(0, len(keys), CHUNK):
        query = select(p.key).where(p.key.in_(keys[start : start + CHUNK]), p.blacklisted.is_(True))
        found.update(conn.execute(query).scalars())
    return found


def blacklisted_orders(
    conn: Connection, orders: Iterable[tuple[OrderKey, str, str, str, bool]]
) -> set[OrderKey]:
    """Which of these orders — (key, platform, buyer key, receiver phone, masked) — belong to a blacklisted
    buyer profile. Found by the profile key the order itself gives, so an order not linked yet counts too."""
    p = buyer_profiles.c
    if conn.execute(select(p.key).where(p.blacklisted.is_(True)).limit(1)).first() is None:
        return set()  # most merchants list nobody: skip the look-up
    secret = buyer_hash_key()
    keyed = {
        key: found
        for key, platform, buyer_key, phone, masked in orders
        if (found := profile_key(platform, buyer_key, phone, masked, secret)) is not None
    }
    listed = _blacklisted(conn, sorted(set(keyed.values())))
    return {key for key, profile in keyed.items() if profile in listed}


def profile_from_row(row: Any) -> Profile:
    split = lambda text: tuple(t for t in text.split("|") if t)  # noqa: E731
    return Profile(
        key=row.key,
        orders=row.orders,
        spend=Decimal(row.spend),
        first_order_at=row.first_order_at,
        last_order_at=row.last_order_at,
        categories=split(row.categories),
        shops=split(row.shops),
        province=row.province,
        refunds=row.refunds,
        refunded=Decimal(row.refunded),
        negative_feedback=row.negative_feedback,
        blacklisted=bool(row.blacklisted),
    )


def set_blacklist(conn: Connection, key: str, on: bool, reason: str, actor: str, now: datetime) -> bool:
    """Put a buyer on the blacklist (or take them off); False when there is no such profile."""
    values = {
        "blacklisted": on,
        "blacklist_reason": reason if on else "",
        "blacklisted_by": actor,
        "blacklisted_at": now,
    }
    done = conn.execute(update(buyer_profiles).where(buyer_profiles.c.key == key).values(**values))
    if not done.rowcount:
        return False
    conn.execute(
        insert(buyer_blacklist_log).values(
            profile_key=key, blacklisted=on, reason=reason, actor=actor, at=now
        )
    )
    return True


def blacklist_history(conn: Connection, key: str, limit: int = 50) -> list[dict[str, Any]]:
    """A buyer's blacklist changes, newest first: put on or taken off, why, by whom, when (UTC)."""
    log = buyer_blacklist_log.c
    query = (
        select(log.blacklisted, log.reason, log.actor, log.at)
        .where(log.profile_key == key)
        .order_by(log.id.desc())
        .limit(limit)
    )
    return [
        {"blacklisted": bool(on), "reason": reason, "by": actor, "at": at.isoformat(sep=" ")}
        for on, reason, actor, at in conn.execute(query)
    ]


def buyer_facts(conn: Connection, keys: Iterable[OrderKey]) -> dict[OrderKey, RuleBuyer]:
    """What review's rules see of each order's buyer (`buyer.*` facts): earlier orders and spend across
    every shop (this order left out), repeat flag, tier, segments, blacklist. Orders with no known buyer
    are absent. Marked orders are caught up first, in the caller's transaction (imports only mark)."""
    from lanshou.orders.facts import now_utc

    if conn.execute(select(buyer_dirty.c.id).limit(1)).first() is not None:
        catch_up_here(conn, buyer_dirty, LOCK, partial(_refresh_marked, now_utc()))
    wanted = sorted(set(keys))
    links = links_of(conn, wanted)
    profiles: dict[str, Any] = {}
    found_keys = sorted(set(links.values()))
    p = buyer_profiles.c
    for start in range(0, len(found_keys), CHUNK):
        query = select(buyer_profiles).where(p.key.in_(found_keys[start : start + CHUNK]))
        profiles.update((row.key, row) for row in conn.execute(query))
    facts = order_facts(conn, [k for k in wanted if k in links])
    result: dict[OrderKey, RuleBuyer] = {}
    for key, profile_key_ in links.items():
        row = profiles.get(profile_key_)
        if row is None:
            continue
        order = facts.get(key)
        this = order is not None and counts(_summary(order, (0, Decimal(0)), 0))
        earlier = row.orders - (1 if this else 0)
        spend = Decimal(row.spend) - ((order.order_amount or Decimal(0)) if this and order else Decimal(0))
        result[key] = RuleBuyer(
            orders=earlier,
            spend=spend,
            is_repeat=earlier >= 1,
            tier=row.tier,
            segments=tuple(s for s in row.segments.split("|") if s),
            blacklisted=bool(row.blacklisted),
        )
    return result


def _refresh_marked(now: datetime, conn: Connection, keys: list[OrderKey]) -> int:
    return refresh_orders(conn, keys, now)


def catch_up_buyers(engine: Engine, now: datetime | None = None) -> int:
    """Recompute the profiles of every order marked since the last catch-up (lanshou.db.marks)."""
    from lanshou.orders.facts import now_utc

    return catch_up(engine, buyer_dirty, LOCK, partial(_refresh_marked, now or now_utc()))
