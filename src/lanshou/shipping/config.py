"""The carrier configuration file (TOML): carriers and services with price tables, coverage exclusions and
daily pickup cutoffs, the strategy, the merchant's carrier rules and the sender. Pure: text in, a checked
`ShippingConfig` out, or `ConfigError` naming the place and the reason. The example: `EXAMPLE_CONFIG`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lanshou.carriers.registry import identify
from lanshou.rules import ActionError, Carrier, RuleError, RuleSet, make_rule
from lanshou.shipping.choice import ANY, STRATEGIES, CarrierPlan, Price, Service
from lanshou.shipping.waybills import Address, Party
from lanshou.tracking.provinces import province_of

# The example configuration, shipped inside the package (package data) so that an installed Lanshou has it:
# the demo loads it, and the README points a checkout at it.
EXAMPLE_CONFIG = Path(__file__).with_name("carriers.example.toml")
PROVIDERS = ("pool", "kuaidi100")
# [carriers.kuaidi100]: the carrier account's fields as Kuaidi100's label/order takes them (LabelSettings)
KUAIDI100_FIELDS = (
    "partner_id",
    "partner_key",
    "partner_secret",
    "partner_name",
    "net",
    "code",
    "tb_net",
    "print_type",
    "siid",
    "temp_id",
    "child_temp_id",
    "pay_type",
    "exp_type",
)


class ConfigError(ValueError):
    """The configuration cannot be used; the message names where and why."""


@dataclass(frozen=True, slots=True)
class ShippingConfig:
    plan: CarrierPlan
    sender: Party | None  # None: every shop must name its own (shop settings "sender")
    mask_receiver: bool = True  # 隐私面单 unless turned off
    source: str = ""


def parse_config(text: str) -> ShippingConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"TOML 格式错误 not valid TOML: {exc}") from None
    strategy = str(data.get("strategy", "cheapest"))
    if strategy not in STRATEGIES:
        raise ConfigError(f"strategy: 未知策略 unknown strategy {strategy!r}; one of {', '.join(STRATEGIES)}")
    raw_services = data.get("carriers", [])
    if not isinstance(raw_services, list) or not raw_services:
        raise ConfigError("[[carriers]]: 至少配置一个快递 configure at least one carrier")
    services = tuple(_service(i, raw) for i, raw in enumerate(raw_services, start=1))
    labels = [s.label for s in services]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"[[carriers]]: 重复的快递/产品 a carrier:service appears twice: {labels}")
    rules = _rules(data.get("rules", []))
    min_parcels = data.get("min_lane_parcels", 20)
    if not isinstance(min_parcels, int) or min_parcels < 1:
        raise ConfigError(f"min_lane_parcels: 须为正整数 must be a whole number ≥ 1, got {min_parcels!r}")
    plan = CarrierPlan(services, strategy, rules, min_parcels)
    sender = sender_from(data["sender"], "[sender]") if "sender" in data else None
    mask = data.get("labels", {}).get("mask_receiver", True)
    if not isinstance(mask, bool):
        raise ConfigError("[labels] mask_receiver: true 或 false / must be true or false")
    return ShippingConfig(plan, sender, mask, text)


def _service(index: int, raw: Any) -> Service:
    where = f"[[carriers]] #{index}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 应为表 must be a table")
    code_text = str(raw.get("code", "")).strip()
    known = identify(code_text) if code_text else None
    if known is None:
        raise ConfigError(f"{where}: 未知快递 unknown carrier code {code_text!r} (e.g. zto, sf, ems)")
    where = f"[[carriers]] {known.code}"
    provider = str(raw.get("provider", "pool"))
    if provider not in PROVIDERS:
        raise ConfigError(f"{where}: provider 须为 one of {', '.join(PROVIDERS)}, got {provider!r}")
    cutoff = _cutoff(where, raw.get("cutoff"))
    prices = {
        _place(key): _price(f"{where} prices.{key}", value) for key, value in raw.get("prices", {}).items()
    }
    exclude = frozenset(_place(str(p)) for p in raw.get("exclude", []))
    account = raw.get("kuaidi100", {})
    unknown = sorted(set(account) - set(KUAIDI100_FIELDS)) if isinstance(account, Mapping) else ["?"]
    if unknown:
        raise ConfigError(
            f"{where} kuaidi100: 未知字段 unknown fields {unknown}; known: {', '.join(KUAIDI100_FIELDS)}"
        )
    return Service(
        known.code,
        str(raw.get("service", "")),
        str(raw.get("name", known.name_zh)),
        provider,
        cutoff,
        prices,
        exclude,
        {k: str(v) for k, v in account.items()},
    )


def _place(text: str) -> str:
    """A destination key: "*" stays; a province its short name (新疆维吾尔自治区 → 新疆); else a country."""
    value = text.strip()
    if value == ANY:
        return ANY
    if value.isascii():
        return value.upper()  # a country code, e.g. US, ES
    return province_of(value) or value


def _cutoff(where: str, value: Any) -> time | None:
    if value is None:
        return None
    try:
        hour, minute = str(value).split(":")
        return time(int(hour), int(minute))
    except ValueError:
        raise ConfigError(f"{where}: cutoff 应为 HH:MM, got {value!r}") from None


def _price(where: str, value: Any) -> Price:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: 应为 {{ first_g, first, extra_g, extra }} / must be an inline table")
    try:
        price = Price(
            int(value.get("first_g", 1000)),
            Decimal(str(value["first"])),
            int(value.get("extra_g", 1000)),
            Decimal(str(value.get("extra", 0))),
        )
    except KeyError:
        raise ConfigError(f"{where}: 缺少首重价 missing first (the first-weight price)") from None
    except (InvalidOperation, ValueError, TypeError):
        raise ConfigError(
            f"{where}: 价格须为数字 prices and weights must be numbers, got {dict(value)}"
        ) from None
    if price.first_g < 1 or price.extra_g < 1 or price.first < 0 or price.extra < 0:
        raise ConfigError(f"{where}: 重量须 ≥ 1 g，价格不可为负 weights ≥ 1 g, prices ≥ 0")
    return price


def _rules(raw: Any) -> RuleSet | None:
    if not raw:
        return None
    if not isinstance(raw, list):
        raise ConfigError("[[rules]]: 应为表数组 must be an array of tables")
    made = []
    for position, item in enumerate(raw, start=1):
        name = str(item.get("name", f"rule {position}"))
        action = item.get("action") or (f"carrier:{item['carrier']}" if "carrier" in item else "")
        try:
            rule = make_rule(name, str(item.get("when", "")), str(action), position)
        except RuleError as exc:
            where = f" at line {exc.position.line} column {exc.position.column}" if exc.position else ""
            raise ConfigError(f"[[rules]] {name!r}{where}: {exc}") from None
        except ActionError as exc:
            raise ConfigError(f"[[rules]] {name!r}: {exc}") from None
        if not isinstance(rule.action, Carrier):
            raise ConfigError(
                f"[[rules]] {name!r}: 只能指定快递 only carrier:CODE actions here, got {rule.action}"
            )
        made.append(rule)
    try:
        return RuleSet(made)
    except RuleError as exc:
        raise ConfigError(f"[[rules]]: {exc}") from None


def sender_from(raw: Any, where: str) -> Party:
    """A sender from a table {name, phone, province, city, district, address, company}."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: 应为表 must be a table with name, phone, address")
    missing = [k for k in ("name", "phone", "address") if not str(raw.get(k, "")).strip()]
    if missing:
        raise ConfigError(f"{where}: 缺少寄件人 missing sender {', '.join(missing)}")
    address = Address(
        str(raw.get("province", "")),
        str(raw.get("city", "")),
        str(raw.get("district", "")),
        "",
        str(raw["address"]),
    )
    return Party(str(raw["name"]), str(raw["phone"]), address, str(raw.get("company", "")))
