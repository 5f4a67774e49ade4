"""Buyer feedback that follows from what happened to the order: slow pickup, no scan, stalls, damage …"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lanshou.demo.lifecycle import Fate, OrderSeed

Feedback = tuple[datetime, int | None, str, str]  # created_at, rating, '|'-joined tags, content

POSITIVE = (
    "物流很快，包装完好，好评！",
    "质量不错，和描述一致",
    "第二次回购了，发货快",
    "客服态度好，推荐",
    "还可以，性价比高",
)
GOODS_PROBLEMS = (
    ("包装破损", "收到时外箱破了，东西有压坏"),
    ("少发/漏发", "买了两件只收到一件，少发了"),
    ("错发", "发错颜色了，不是我拍的款"),
)


def _complaint_rating(rng: random.Random) -> int | None:
    return rng.choice((1, 1, 2, None))


def _h(lo: float, hi: float, rng: random.Random) -> timedelta:
    return timedelta(hours=rng.uniform(lo, hi))


def feedback_for(rng: random.Random, o: OrderSeed, fate: Fate) -> list[Feedback]:
    paid = fate.paid_at
    if paid is None:
        return []
    out: list[Feedback] = []
    _shipping_complaints(rng, fate, paid, out)
    _impatient(rng, fate, paid, out)
    delivered = fate.parcels[0].journey.delivered_at if fate.parcels else None
    if delivered is not None and delivered <= o.now:
        _after_delivery(rng, delivered, out)
    return _unique_times(out)


def _shipping_complaints(rng: random.Random, fate: Fate, paid: datetime, out: list[Feedback]) -> None:
    limit = fate.promised or paid + timedelta(hours=48)
    if fate.late_pickup and rng.random() < 0.2:
        out.append(
            (limit + _h(2, 30, rng), _complaint_rating(rng), "发货慢", "说好按时发货，等了好几天才发出")
        )
    if any(p.pickup is None for p in fate.parcels) and rng.random() < 0.35:
        waybill = fate.parcels[0].waybill
        tags = "虚假发货|物流信息不更新" if rng.random() < 0.3 else "虚假发货"
        out.append(
            (waybill + _h(24, 60, rng), rng.choice((1, None)), tags, "显示已发货，物流一直没有揽收记录")
        )
    stalled = [p for p in fate.parcels if p.journey.stalled and p.pickup is not None]
    if stalled and rng.random() < 0.2:
        pickup = stalled[0].pickup
        assert pickup is not None
        out.append(
            (pickup + _h(48, 96, rng), rng.choice((2, None)), "物流信息不更新", "物流好几天没有更新了")
        )


def _impatient(rng: random.Random, fate: Fate, paid: datetime, out: list[Feedback]) -> None:
    """[发货慢] made within the promised time: the platform ignores these."""
    if fate.presale and rng.random() < 0.03:
        out.append((paid + _h(2, 40, rng), None, "发货慢", "预售怎么还不发货"))
    elif not fate.presale and rng.random() < 0.006:
        out.append((paid + _h(3, 20, rng), rng.choice((2, None)), "发货慢", "付款半天了还没发货"))


def _after_delivery(rng: random.Random, delivered: datetime, out: list[Feedback]) -> None:
    roll = rng.random()
    if roll < 0.012:
        tag, text = rng.choice(GOODS_PROBLEMS)
        if rng.random() < 0.3:
            tag += "|发货慢"
        out.append((delivered + _h(2, 48, rng), rng.choice((1, 2)), tag, text))
    elif roll < 0.052:
        rating = rng.choices((5, 4, 3), weights=(80, 15, 5))[0]
        out.append((delivered + _h(12, 168, rng), rating, "", rng.choice(POSITIVE)))


def _unique_times(items: list[Feedback]) -> list[Feedback]:
    seen: set[datetime] = set()
    out: list[Feedback] = []
    for at, rating, tags, text in items:
        at = at.replace(microsecond=0)
        while at in seen:
            at += timedelta(seconds=1)
        seen.add(at)
        out.append((at, rating, tags, text))
    return out
