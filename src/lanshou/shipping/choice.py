"""Carrier choice (选快递): which carrier and service each shipment leaves with, and why. Pure, no I/O.

In order:
1. `--carrier CODE` on the command line: that carrier (its first service that covers the destination).
2. Merchant rules (`lanshou.rules`, a `carrier:CODE[:SERVICE]` action), e.g. remote provinces → EMS,
   fragile categories → SF. A rule naming a carrier that does not cover the destination is passed over,
   and the reason says so.
3. The plan's strategy over the services covering the destination:
   - `cheapest`: the cheapest whose next pickup (the daily cutoff) comes before the order's pickup deadline;
     when none can make it, the earliest pickup.
   - `best`: the best measured on the lane (pickup on-time rate, then median delivery hours) among those
     meeting the deadline, for lanes with enough parcels; otherwise as `cheapest`.
The destination is the buyer's province (short name) for domestic orders, the country code for
cross-border ones (AliExpress). Prices: first weight + each additional weight step, per destination, "*"
for anywhere else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from lanshou.bilingual import Bilingual
from lanshou.review.ready import ReadyShipment
from lanshou.rules import Carrier as CarrierAction
from lanshou.rules import RuleLine, RuleOrder, RuleSet
from lanshou.tracking.provinces import province_of

ANY = "*"
STRATEGIES = ("cheapest", "best")
DOMESTIC = frozenset({"", "CN", "CHN", "中国", "CHINA"})


class ChoiceRefused(ValueError):
    """No carrier can take this shipment; the message says why."""


@dataclass(frozen=True, slots=True)
class Price:
    first_g: int  # the first weight, in grams
    first: Decimal  # what the first weight costs
    extra_g: int  # each additional step, in grams
    extra: Decimal  # what each additional step costs

    def cost(self, weight_g: int) -> Decimal:
        if weight_g <= self.first_g:
            return self.first
        steps = math.ceil((weight_g - self.first_g) / self.extra_g)
        return self.first + self.extra * steps


@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed by identity (its prices are a dict)
class Service:
    carrier: str  # internal carrier code
    service: str = ""  # the carrier's product, e.g. 标准快递
    name: str = ""  # what labels and tables show
    provider: str = "pool"  # where waybills come from: pool | kuaidi100
    cutoff: time | None = None  # daily pickup cutoff, shop-local; None: picked up as soon as printed
    prices: Mapping[str, Price] = field(default_factory=dict)  # destination → price; "*" anywhere else
    exclude: frozenset[str] = frozenset()  # destinations it does not serve
    account: Mapping[str, str] = field(default_factory=dict)  # the provider's account fields (kuaidi100)

    @property
    def label(self) -> str:
        return f"{self.carrier}:{self.service}" if self.service else self.carrier

    def covers(self, destination: str) -> bool:
        return destination not in self.exclude

    def price(self, destination: str, weight_g: int) -> Decimal | None:
        price = self.prices.get(destination) or self.prices.get(ANY)
        return None if price is None else price.cost(weight_g)

    def next_pickup(self, now: datetime, timezone: str) -> datetime:
        """When a parcel printed now is picked up (naive UTC): today's cutoff, or tomorrow's once passed."""
        if self.cutoff is None:
            return now
        zone = ZoneInfo(timezone)
        local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
        day = local.date() if local.time() <= self.cutoff else local.date() + timedelta(days=1)
        moment = datetime.combine(day, self.cutoff, tzinfo=zone).astimezone(ZoneInfo("UTC"))
        return moment.replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class LanePerformance:
    """What Lanshou measured of one carrier to one destination."""

    carrier: str
    destination: str
    parcels: int  # delivered parcels measured
    pickup_on_time: float | None  # share of parcels scanned within the pickup limit of being shipped
    median_hours: float | None  # pickup → delivery
    p90_hours: float | None

    def as_json(self) -> dict[str, object]:
        return {
            "carrier": self.carrier,
            "destination": self.destination,
            "parcels": self.parcels,
            "pickup_on_time_rate": None if self.pickup_on_time is None else round(self.pickup_on_time, 4),
            "median_hours": None if self.median_hours is None else round(self.median_hours, 1),
            "p90_hours": None if self.p90_hours is None else round(self.p90_hours, 1),
        }


Lanes = Mapping[tuple[str, str], LanePerformance]  # (carrier, destination) → performance


@dataclass(frozen=True, slots=True)
class CarrierPlan:
    services: tuple[Service, ...]
    strategy: str = "cheapest"
    rules: RuleSet | None = None
    min_lane_parcels: int = 20  # a lane with fewer delivered parcels is not trusted by `best`

    def carrier_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.carrier for s in self.services))


@dataclass(frozen=True, slots=True)
class Choice:
    carrier: str
    service: str
    provider: str
    price: Decimal | None
    reason: str  # for the timeline, Chinese first


def destination_of(country: str, province: str) -> str:
    """The buyer's province (short name) at home, the country code abroad."""
    if country.strip().upper() in DOMESTIC:
        return province_of(province) or province.strip()
    return country.strip().upper()


def rule_order(shipment: ReadyShipment, now: datetime) -> RuleOrder:
    """The facts the rule language reads, from a ready shipment (its main order's view)."""
    lines = tuple(RuleLine(x.sku, x.category, x.quantity, 0, x.weight_g) for x in shipment.lines)
    return RuleOrder(
        platform=shipment.platform,
        shop=shipment.shop,
        order_id=shipment.order_nos[0] if shipment.keys else "",
        created_at=now,
        amount=shipment.amount or 0,
        country=shipment.country or "CN",
        province=province_of(shipment.province) or shipment.province,
        city=shipment.city,
        district=shipment.district,
        address=shipment.address,
        shipping_method=shipment.shipping_method,
        categories=tuple(dict.fromkeys(x.category for x in lines if x.category)),
        skus=tuple(dict.fromkeys(x.sku for x in lines)),
        lines=lines,
        total_quantity=sum(x.quantity for x in lines),
        weight_g=shipment.weight_g,
        remark=shipment.remark,
        promised_ship_by=shipment.promised_ship_by,
    )


def _money(value: Decimal | None) -> str:
    return "无价目 no price" if value is None else f"¥{value:.2f}"


def choose(
    plan: CarrierPlan,
    shipment: ReadyShipment,
    now: datetime,
    timezone: str,
    lanes: Lanes,
    forced: str | None = None,
    shop_rules: RuleSet | None = None,
) -> Choice:
    """The carrier for one shipment, or ChoiceRefused (nothing covers it, a forced carrier does not).
    `shop_rules`: the merchant's saved carrier rules for the shop, tried before the carrier file's."""
    destination = destination_of(shipment.country, shipment.province)
    weight = shipment.weight_g
    if forced:
        return _forced(plan, forced, destination, weight)
    notes: list[str] = []
    for rules in (shop_rules, plan.rules):
        if rules is None or not rules.rules:
            continue
        decision = rules.evaluate(rule_order(shipment, now), now)
        action = decision.carrier
        if action is not None:
            why = next(m.explain() for m in decision.matches if m.action == action)
            picked = _by_rule(plan, action, destination, weight, why, notes)
            if picked is not None:
                return picked
        notes.extend(f.explain() for f in decision.failures)
    covering = [s for s in plan.services if s.covers(destination)]
    if not covering:
        zh, en, where = "没有快递覆盖", "no configured carrier serves", destination or "(unknown)"
        raise ChoiceRefused(Bilingual(f"{zh} {where}", f"{en} {where}", f"{zh} {en} {where}"))
    deadline = shipment.pickup_deadline
    pickups = {s: s.next_pickup(now, timezone) for s in covering}
    meeting = [s for s in covering if deadline is None or pickups[s] <= deadline]
    if plan.strategy == "best":
        best = _best_measured(plan, meeting, destination, lanes)
        if best is not None:
            lane = lanes[(best.carrier, destination)]
            reason = (
                f"线路表现最好 best measured on lane {best.carrier}→{destination}: "
                f"揽收准时率 on-time {lane.pickup_on_time or 0:.0%}, "
                f"中位 median {lane.median_hours or 0:.0f} h"
            )
            return _choice(best, destination, weight, [*notes, reason])
        notes.append("线路数据不足 lane data too thin: cheapest instead")
    if meeting:
        cheapest = min(
            meeting, key=lambda s: (_sort_price(s, destination, weight), _p90(lanes, s, destination), s.label)
        )
        others = ", ".join(
            f"{s.label} {_money(s.price(destination, weight))}" for s in meeting if s is not cheapest
        )
        reason = f"最便宜且赶得上揽收时限 cheapest meeting the pickup deadline to {destination}, {weight} g"
        if others:
            reason += f" (others 其他: {others})"
        return _choice(cheapest, destination, weight, [*notes, reason])
    # Late whatever is chosen: the first day any carrier picks up, and the cheapest that picks up that day
    # (between two cutoffs of one afternoon the parcel is not less late by a few hours).
    zone = ZoneInfo(timezone)
    day = min(_local_day(pickups[s], zone) for s in covering)
    same_day = [s for s in covering if _local_day(pickups[s], zone) == day]
    earliest = min(same_day, key=lambda s: (_sort_price(s, destination, weight), pickups[s], s.label))
    reason = (
        f"都赶不上揽收时限 no carrier meets the pickup deadline {deadline:%Y-%m-%d %H:%M} UTC: "
        f"cheapest picking up first, on {day:%Y-%m-%d}"
    )
    return _choice(earliest, destination, weight, [*notes, reason])


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()


def _sort_price(service: Service, destination: str, weight: int) -> Decimal:
    price = service.price(destination, weight)
    return Decimal("Infinity") if price is None else price


def _p90(lanes: Lanes, service: Service, destination: str) -> float:
    lane = lanes.get((service.carrier, destination))
    return lane.p90_hours if lane is not None and lane.p90_hours is not None else math.inf


def _choice(service: Service, destination: str, weight: int, reasons: Sequence[str]) -> Choice:
    price = service.price(destination, weight)
    text = f"选 chose {service.label} ({_money(price)}): " + "; ".join(reasons)
    return Choice(service.carrier, service.service, service.provider, price, text)


def _forced(plan: CarrierPlan, code: str, destination: str, weight: int) -> Choice:
    mine = [s for s in plan.services if s.carrier == code]
    if not mine:  # not configured: no price table, but the pool may still have its numbers
        return Choice(code, "", "pool", None, f"选 chose {code}: 指定 given with --carrier {code}")
    covering = [s for s in mine if s.covers(destination)]
    if not covering:
        raise ChoiceRefused(
            Bilingual.slashed(
                f"{code} 不送 {destination}", f"{code} does not serve {destination} (--carrier {code})"
            )
        )
    return _choice(covering[0], destination, weight, [f"指定 given with --carrier {code}"])


def _by_rule(
    plan: CarrierPlan, action: CarrierAction, destination: str, weight: int, why: str, notes: list[str]
) -> Choice | None:
    named = [
        s
        for s in plan.services
        if s.carrier == action.code and (not action.service or s.service == action.service)
    ]
    if not named:
        return Choice(action.code, action.service, "pool", None, f"选 chose {action}: 规则 rule {why}")
    covering = [s for s in named if s.covers(destination)]
    if not covering:
        notes.append(f"规则指定 {action} 但不送 {destination} / rule's {action} does not serve {destination}")
        return None
    return _choice(covering[0], destination, weight, [f"规则 rule {why}"])


def _best_measured(
    plan: CarrierPlan, candidates: Sequence[Service], destination: str, lanes: Lanes
) -> Service | None:
    measured = [
        (s, lane)
        for s in candidates
        if (lane := lanes.get((s.carrier, destination))) is not None and lane.parcels >= plan.min_lane_parcels
    ]
    if not measured:
        return None
    return min(
        measured,
        key=lambda pair: (
            -(pair[1].pickup_on_time or 0.0),
            pair[1].median_hours if pair[1].median_hours is not None else math.inf,
            pair[0].label,
        ),
    )[0]
