"""A buyer's profile, computed from their orders, and the facts tier and segment rules read. Pure.

Identity: the platform's buyer id (Taobao and Tmall share one buyer account), else an HMAC of the phone
number under a secret key (lanshou.config.buyer_hash_key), so the same phone across shops and platforms is
one buyer while the key itself never holds the number. Encrypted (Douyin 密文) phones identify no one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from cel_expr_python import cel

from lanshou.rules.context import Fact, FactSet, as_utc

_T = cel.Type
FAMILY = {"tmall": "taobao"}  # one buyer account behind both
COUNTED = frozenset({"paid", "shipped", "delivered", "completed"})  # a purchase that stood
FAVOURITES = 3


def profile_key(platform: str, buyer_key: str, phone: str, masked: bool, secret: bytes) -> str | None:
    """The profile an order belongs to, or None when nothing identifies its buyer."""
    if buyer_key and not buyer_key.startswith("phone:"):
        return f"{FAMILY.get(platform, platform)}:{buyer_key}"
    digits = "".join(ch for ch in (phone or buyer_key.removeprefix("phone:")) if ch.isdigit())
    if masked or len(digits) < 7:
        return None
    digits = digits[-11:]  # +86 / 0086 prefixes name the same phone
    return "ph:" + hmac.new(secret, digits.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """What a profile needs of one order."""

    shop: str  # platform/shop
    order_no: str
    status: str
    amount: Decimal | None
    at: datetime  # paid, else created (naive UTC)
    categories: tuple[tuple[str, int], ...]  # (category, quantity) of its lines
    province: str = ""
    refunded: Decimal = Decimal(0)
    refunds: int = 0
    negative_feedback: int = 0


@dataclass(frozen=True, slots=True)
class Profile:
    key: str
    orders: int = 0
    spend: Decimal = Decimal(0)
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None
    categories: tuple[str, ...] = ()  # favourites, most bought first
    shops: tuple[str, ...] = ()
    province: str = ""
    refunds: int = 0
    refunded: Decimal = Decimal(0)
    negative_feedback: int = 0
    blacklisted: bool = False

    @property
    def is_repeat(self) -> bool:
        return self.orders >= 2


def counts(order: OrderSummary) -> bool:
    """A purchase: paid and standing, and not a ¥0 exchange or reship sent by after-sales."""
    return order.status in COUNTED and (order.amount is None or order.amount > 0)


def build(key: str, orders: Iterable[OrderSummary], blacklisted: bool = False) -> Profile:
    bought = sorted((o for o in orders if counts(o)), key=lambda o: (o.at, o.order_no))
    every = list(orders)
    liked: Counter[str] = Counter()
    for order in bought:
        for category, quantity in order.categories:
            if category:
                liked[category] += quantity
    favourites = tuple(name for name, _ in sorted(liked.items(), key=lambda kv: (-kv[1], kv[0]))[:FAVOURITES])
    return Profile(
        key=key,
        orders=len(bought),
        spend=sum((o.amount or Decimal(0) for o in bought), Decimal(0))
        - sum((o.refunded for o in bought), Decimal(0)),
        first_order_at=bought[0].at if bought else None,
        last_order_at=bought[-1].at if bought else None,
        categories=favourites,
        shops=tuple(sorted({o.shop for o in bought})),
        province=bought[-1].province if bought else "",
        refunds=sum(o.refunds for o in every),
        refunded=sum((o.refunded for o in every), Decimal(0)),
        negative_feedback=sum(o.negative_feedback for o in every),
        blacklisted=blacklisted,
    )


def _days_since(profile: Profile, now: datetime) -> float | None:
    if profile.last_order_at is None:
        return None
    return (as_utc(now) - as_utc(profile.last_order_at)).total_seconds() / 86400


_STRINGS = _T.List(_T.STRING)
PROFILE_FACTS = FactSet(
    "buyer profile",
    (
        Fact(
            "orders",
            _T.INT,
            "订单数 orders that stood (paid, not cancelled or refunded)",
            lambda p, n: p.orders,
        ),
        Fact("spend", _T.DOUBLE, "消费 spend, refunds taken off (write 1000.0)", lambda p, n: float(p.spend)),
        Fact(
            "avg_order",
            _T.DOUBLE,
            "客单价 average order",
            lambda p, n: float(p.spend / p.orders) if p.orders else 0.0,
        ),
        Fact("is_repeat", _T.BOOL, "回头客 two orders or more", lambda p, n: p.is_repeat),
        Fact(
            "first_order_at",
            _T.TIMESTAMP,
            "首单时间 first order (unbound: none)",
            lambda p, n: _at(p.first_order_at),
        ),
        Fact(
            "last_order_at",
            _T.TIMESTAMP,
            "最近下单 last order (unbound: none)",
            lambda p, n: _at(p.last_order_at),
        ),
        Fact(
            "days_since_last_order",
            _T.DOUBLE,
            "距上次下单天数 days since the last order (unbound: none)",
            _days_since,
        ),
        Fact("categories", _STRINGS, "偏好类目 favourite categories", lambda p, n: list(p.categories)),
        Fact("shops", _STRINGS, "店铺 shops bought from (platform/shop)", lambda p, n: list(p.shops)),
        Fact("province", _T.STRING, "省 province of the last order", lambda p, n: p.province),
        Fact("refunds", _T.INT, "退款次数 refunds", lambda p, n: p.refunds),
        Fact("refunded", _T.DOUBLE, "退款金额 refunded", lambda p, n: float(p.refunded)),
        Fact("negative_feedback", _T.INT, "差评数 negative feedback", lambda p, n: p.negative_feedback),
        Fact("blacklisted", _T.BOOL, "黑名单 blacklisted", lambda p, n: p.blacklisted),
        Fact("now", _T.TIMESTAMP, "当前时间 the time of the check", lambda p, n: as_utc(n)),
    ),
)


def _at(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


def summaries_by_key(pairs: Sequence[tuple[str, OrderSummary]]) -> dict[str, list[OrderSummary]]:
    grouped: dict[str, list[OrderSummary]] = {}
    for key, summary in pairs:
        grouped.setdefault(key, []).append(summary)
    return grouped
