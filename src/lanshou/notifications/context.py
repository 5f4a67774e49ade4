"""What a notification template may see: the facts of one order/parcel stage and the merchant's
personalisation flags. Pure: callers gather the facts, this module only shapes them.

Templates get plain dicts and lists (never live objects), so the sandbox has nothing to reach through.
The documented sample (`sample_facts()`) is what every template is rendered against when it is saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lanshou.notifications.model import Stage


@dataclass(frozen=True)
class ItemFacts:
    title: str
    quantity: int
    sku: str = ""
    price: Decimal = Decimal("0")


@dataclass(frozen=True)
class BuyerFacts:
    first_name: str  # as the buyer should be greeted; never the full name or phone
    previous_orders: int = 0  # paid orders before this one, in this shop
    segments: tuple[str, ...] = ()  # merchant-defined segment names, e.g. ("vip", "north")
    tier: str = ""  # the buyer profile's tier (lanshou.buyers), e.g. "VIP"
    orders: int = 0  # the profile's orders, every shop
    spend: Decimal = Decimal("0")  # what they came to


@dataclass(frozen=True)
class NotificationFacts:
    stage: Stage
    shop_name: str
    platform: str
    order_no: str
    paid_at: datetime | None
    total: Decimal
    currency: str = "CNY"
    items: tuple[ItemFacts, ...] = ()
    buyer: BuyerFacts = field(default_factory=lambda: BuyerFacts(first_name=""))
    carrier_code: str = ""
    carrier_name: str = ""
    tracking_no: str = ""
    eta: date | None = None
    last_event: str = ""  # latest tracking line, e.g. "【上海】快件已到达上海转运中心"
    exception_reason: str = ""  # for Stage.EXCEPTION
    campaign: str = ""  # for Stage.CAMPAIGN: its name
    coupon: str = ""  # for Stage.CAMPAIGN: the coupon code it hands out ("" for none)
    alert_kind: str = ""  # for Stage.EXCEPTION: the alert that raised it (failed_attempt, locker_waiting …)


@dataclass(frozen=True)
class Personalisation:
    """What the merchant decides: when an order counts as high value, when a buyer counts as repeat."""

    high_value_threshold: Decimal = Decimal("500")
    repeat_buyer_min_previous_orders: int = 1


def build_context(facts: NotificationFacts, personal: Personalisation | None = None) -> dict[str, Any]:
    """The template context. Documented names: shop, order, items, carrier, tracking_no, eta, buyer,
    last_event, exception_reason, alert (its kind), stage, campaign, coupon, and the flags is_high_value,
    is_repeat_buyer, segments."""
    personal = personal or Personalisation()
    items = [{"title": i.title, "quantity": i.quantity, "sku": i.sku, "price": i.price} for i in facts.items]
    return {
        "stage": str(facts.stage),
        "shop": {"name": facts.shop_name, "platform": facts.platform},
        "order": {
            "order_no": facts.order_no,
            "paid_at": facts.paid_at,
            "total": facts.total,
            "currency": facts.currency,
            "item_count": sum(i.quantity for i in facts.items),
        },
        "items": items,
        "carrier": {"code": facts.carrier_code, "name": facts.carrier_name},
        "tracking_no": facts.tracking_no,
        "eta": facts.eta,
        "last_event": facts.last_event,
        "exception_reason": facts.exception_reason,
        "campaign": facts.campaign,
        "coupon": facts.coupon,
        "alert": {"kind": facts.alert_kind},
        "buyer": {
            "first_name": facts.buyer.first_name,
            "previous_orders": facts.buyer.previous_orders,
            "tier": facts.buyer.tier,
            "orders": facts.buyer.orders,
            "spend": facts.buyer.spend,
        },
        "is_high_value": facts.total >= personal.high_value_threshold,
        "is_repeat_buyer": facts.buyer.previous_orders >= personal.repeat_buyer_min_previous_orders,
        "segments": list(facts.buyer.segments),
    }


def sample_facts(stage: Stage = Stage.ORDER_SHIPPED) -> NotificationFacts:
    """The documented sample every template must render against before it is saved."""
    return NotificationFacts(
        stage=stage,
        shop_name="揽收旗舰店",
        platform="tmall",
        order_no="4012345678901234567",
        paid_at=datetime(2025, 6, 18, 10, 30),
        total=Decimal("688.00"),
        items=(
            ItemFacts(title="保温杯 500ml 米白", quantity=2, sku="CUP-500-W", price=Decimal("129.00")),
            ItemFacts(title="Tea set 茶具六件套", quantity=1, sku="TEA-6", price=Decimal("430.00")),
        ),
        buyer=BuyerFacts(
            first_name="小明",
            previous_orders=3,
            segments=("vip",),
            tier="VIP",
            orders=4,
            spend=Decimal("2376.00"),
        ),
        carrier_code="SF",
        carrier_name="顺丰速运",
        tracking_no="SF1234567890123",
        eta=date(2025, 6, 20),
        last_event="【上海市】快件已到达 上海虹桥中转场",
        exception_reason="地址不详 address incomplete",
        campaign="双11回馈",
        coupon="LS-VIP-88",
        alert_kind="failed_attempt" if stage is Stage.EXCEPTION else "",
    )
