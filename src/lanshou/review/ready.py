"""What review hands to shipping: a shipment ready to leave (one order, or several merged ones, 合单).

The contract between the review area (which decides what is ready) and the shipping area (which chooses a
carrier, takes a waybill, prints labels and marks it shipped). Times are naive UTC; money is Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

OrderKey = tuple[int, str]  # (shop id, platform order number)


@dataclass(frozen=True, slots=True)
class ReadyLine:
    order_no: str
    sku: str  # the stock SKU (platform SKUs already mapped, bundles expanded)
    title: str
    quantity: int
    category: str = ""
    weight_g: int = 0  # per unit; 0 when unknown
    location: str = ""  # warehouse bin, for the pick list


@dataclass(frozen=True, slots=True)
class ReadyShipment:
    keys: tuple[OrderKey, ...]  # the order(s) travelling together; the first is the main one
    platform: str
    shop: str
    shop_id: int
    warehouse: str
    priority: int  # higher first
    pickup_deadline: datetime | None  # M1: pay + L (None for presale)
    promised_ship_by: datetime | None  # M5
    receiver_name: str
    receiver_phone: str
    country: str
    province: str
    city: str
    district: str
    address: str
    buyer_data_masked: bool  # the platform gave masked data: ship through its token (oaid/caid), never plain
    shipping_method: str  # what the buyer chose, e.g. "顺丰" or "Standard Shipping"
    amount: Decimal | None
    lines: tuple[ReadyLine, ...]
    remark: str = ""
    part: int = 0  # 0: the whole order (or a merge); n: part n of a split order (拆单), `lines` its own

    @property
    def goods(self) -> tuple[tuple[str, int], ...]:
        """The stock (SKU, quantity) this shipment takes, summed per SKU and sorted."""
        total: dict[str, int] = {}
        for line in self.lines:
            total[line.sku] = total.get(line.sku, 0) + line.quantity
        return tuple(sorted(total.items()))

    @property
    def weight_g(self) -> int:
        return sum(line.weight_g * line.quantity for line in self.lines)

    @property
    def order_nos(self) -> tuple[str, ...]:
        return tuple(order_no for _, order_no in self.keys)
