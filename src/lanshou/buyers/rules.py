"""Tiers and segments: CEL conditions (lanshou.rules) compiled against the buyer profile's facts. Pure."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from lanshou.buyers.profile import PROFILE_FACTS, Profile
from lanshou.rules.language import Condition, RuleError, RuleRuntimeError, compile_condition

ENV = "LANSHOU_BUYER_RULES"


@dataclass(frozen=True)
class BuyerRules:
    tiers: tuple[tuple[str, Condition], ...]  # first match wins
    segments: tuple[tuple[str, Condition], ...]  # every match
    # what people call a tier or segment, (zh, en), where the rules give it `label_zh` / `label_en`
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict, compare=False)

    def label(self, name: str, english: bool) -> str:
        """A tier's or segment's name for people: its label in that language, else the name the rules and
        the faces' filters use (which a merchant may well have written in words: "回头客")."""
        zh, en = self.labels.get(name, ("", ""))
        return (en if english else zh) or name

    def tier(self, profile: Profile, now: datetime) -> str:
        bound = PROFILE_FACTS.activation(profile, now)
        for name, condition in self.tiers:
            if _holds(condition, bound):
                return name
        return ""

    def segments_of(self, profile: Profile, now: datetime) -> tuple[str, ...]:
        bound = PROFILE_FACTS.activation(profile, now)
        return tuple(name for name, condition in self.segments if _holds(condition, bound))

    def classify(self, profile: Profile, now: datetime) -> tuple[str, tuple[str, ...]]:
        """Tier and segments from one binding of the profile's facts."""
        bound = PROFILE_FACTS.activation(profile, now)
        tier = next((name for name, condition in self.tiers if _holds(condition, bound)), "")
        return tier, tuple(name for name, condition in self.segments if _holds(condition, bound))

    def segment(self, name: str) -> Condition:
        for known, condition in self.segments:
            if known == name:
                return condition
        raise LookupError(
            f"没有这个分群 no segment {name!r} (known: {', '.join(n for n, _ in self.segments)})"
        )


def _holds(condition: Condition, bound: Any) -> bool:
    """A rule that cannot decide for a profile (e.g. days since the last order of a buyer with none) does
    not match it."""
    try:
        return condition.check(bound)
    except RuleRuntimeError:
        return False


def _compiled(name: str, source: object, where: str) -> tuple[str, Condition]:
    if not isinstance(source, str):
        raise RuleError(f"{where} {name!r}: 条件须为文本 the condition must be text")
    try:
        return name, compile_condition(source, facts=PROFILE_FACTS)
    except RuleError as exc:
        raise RuleError(f"{where} {name!r}: {exc.reason}", exc.position, exc.hint) from None


def _labels(name: str, entry: Mapping[str, Any], where: str) -> tuple[str, str]:
    zh, en = entry.get("label_zh", ""), entry.get("label_en", "")
    if not isinstance(zh, str) or not isinstance(en, str):
        raise RuleError(f"{where} {name!r}: label_zh / label_en 须为文本 must be text")
    return zh.strip(), en.strip()


def rules_from(data: Mapping[str, Any]) -> BuyerRules:
    """Tiers (`[[tiers]] name, when`) and segments (`[segments] name = "condition"`, or a table `when = …`),
    each compiled now: a misspelt fact or a wrong type is refused with the rule's name, line and column.
    Either may carry `label_zh` / `label_en`, what the pages call it."""
    tiers = data.get("tiers", [])
    segments = data.get("segments", {})
    if not isinstance(tiers, list) or not isinstance(segments, Mapping):
        raise RuleError("buyer rules: [[tiers]] is a list of {name, when}; [segments] a table of conditions")
    compiled_tiers, compiled_segments, labels = [], [], {}
    for tier in tiers:
        if not isinstance(tier, Mapping) or "name" not in tier:
            raise RuleError(f"buyer rules: tier {tier!r} needs a name and a when")
        compiled_tiers.append(_compiled(str(tier["name"]), tier.get("when"), "tier"))
        labels[str(tier["name"])] = _labels(str(tier["name"]), tier, "tier")
    for name, source in segments.items():
        entry = source if isinstance(source, Mapping) else {"when": source}
        compiled_segments.append(_compiled(str(name), entry.get("when"), "segment"))
        labels[str(name)] = _labels(str(name), entry, "segment")
    named = {name: pair for name, pair in labels.items() if any(pair)}
    return BuyerRules(tuple(compiled_tiers), tuple(compiled_segments), named)


@cache
def default_rules() -> BuyerRules:
    override = os.environ.get(ENV)
    text = (
        Path(override).read_text(encoding="utf-8")
        if override
        else resources.files("lanshou.buyers").joinpath("rules.toml").read_text(encoding="utf-8")
    )
    return rules_from(tomllib.loads(text))
