"""Notification rules, merchant templates, shop settings and opt-outs in the database.

Everything is checked before it is stored: a rule's condition compiles in the rule language and its
template exists; a template renders against the documented samples (else TemplateRefused, nothing stored);
quiet hours and rate limits parse. Bad input raises NotifyInputError with one clear line.
"""

from __future__ import annotations

import time as clock
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, select, update

from lanshou.db.bulk import insert_new, upsert
from lanshou.notifications.conditions import compile_notify_condition
from lanshou.notifications.model import LANGUAGES, ChannelKind, Stage
from lanshou.notifications.policy import OptOut
from lanshou.notifications.tables import (
    notify_optouts,
    notify_rules,
    notify_templates,
)
from lanshou.notifications.templates import TemplateFormat, compile_template
from lanshou.rules import RuleError

DEFAULT_TEMPLATE = "default"  # the built-in templates
ALL_CHANNELS = "*"


class NotifyInputError(ValueError):
    """A rule, template, setting or opt-out that cannot be stored as given."""


@dataclass(frozen=True)
class NotifyRule:
    id: int
    shop_id: int
    name: str
    stage: Stage
    condition: str
    template: str
    channel: ChannelKind
    language: str
    position: int
    enabled: bool


def parse_stage(text: str) -> Stage:
    try:
        return Stage(text)
    except ValueError:
        names = ", ".join(s.value for s in Stage)
        raise NotifyInputError(f"未知阶段 unknown stage {text!r} (one of: {names})") from None


def parse_channel(text: str) -> ChannelKind:
    try:
        return ChannelKind(text)
    except ValueError:
        names = ", ".join(c.value for c in ChannelKind)
        raise NotifyInputError(f"未知渠道 unknown channel {text!r} (one of: {names})") from None


def parse_language(text: str) -> str:
    if text not in LANGUAGES:
        raise NotifyInputError(f"不支持的语言 unsupported language {text!r} (one of: {', '.join(LANGUAGES)})")
    return text


# --- rules -----------------------------------------------------------------------------------------------

# Most databases have no notification rule: a parcel status change then costs no rule query. A "none"
# answer is trusted for NO_RULES_TTL seconds (rules added by this process clear it at once).
NO_RULES_TTL = 5.0
_no_rules_until: dict[str, float] = {}


def any_enabled_rules(conn: Connection) -> bool:
    key = conn.engine.url.render_as_string(hide_password=True)
    if _no_rules_until.get(key, 0.0) > clock.monotonic():
        return False
    found = bool(conn.execute(select(exists().where(notify_rules.c.enabled.is_(True)))).scalar())
    if not found:
        _no_rules_until[key] = clock.monotonic() + NO_RULES_TTL
    return found


def _rule(row: Any) -> NotifyRule:
    return NotifyRule(
        row.id,
        row.shop_id,
        row.name,
        Stage(row.stage),
        row.condition,
        row.template,
        ChannelKind(row.channel),
        row.language,
        row.position,
        bool(row.enabled),
    )


def add_rule(
    conn: Connection,
    shop_id: int,
    name: str,
    stage: str,
    condition: str,
    template: str,
    channel: str,
    language: str,
    position: int,
    now: datetime,
) -> NotifyRule:
    stage_value, channel_value = parse_stage(stage), parse_channel(channel)
    parse_language(language)
    if stage_value is Stage.CAMPAIGN:
        raise NotifyInputError(
            "campaign 不是事件阶段 is no event a rule can follow: send one with "
            "lanshou buyers segment NAME --send TEMPLATE"
        )
    if not name.strip():
        raise NotifyInputError("规则名不能为空 a rule needs a name")
    if condition.strip():
        try:
            compile_notify_condition(condition)
        except RuleError as exc:
            raise NotifyInputError(f"条件无效 invalid condition: {exc}") from None
    if template != DEFAULT_TEMPLATE and not template_exists(conn, shop_id, template, language):
        raise NotifyInputError(
            f"没有这个模板 no template {template!r} in {language} in this shop "
            f"(add it first, or use {DEFAULT_TEMPLATE!r})"
        )
    row = {
        "shop_id": shop_id,
        "name": name.strip(),
        "stage": stage_value.value,
        "condition": condition.strip(),
        "template": template,
        "channel": channel_value.value,
        "language": language,
        "position": position,
        "enabled": True,
        "created_at": now,
    }
    _no_rules_until.clear()
    if not insert_new(conn, notify_rules, [row], ["shop_id", "name"]):
        raise NotifyInputError(f"规则已存在 a rule named {name!r} exists in this shop")
    found = conn.execute(
        select(notify_rules).where(notify_rules.c.shop_id == shop_id, notify_rules.c.name == name.strip())
    ).one()
    return _rule(found)


def list_rules(conn: Connection, shop_ids: Iterable[int] | None = None) -> list[NotifyRule]:
    query = select(notify_rules).order_by(notify_rules.c.shop_id, notify_rules.c.position, notify_rules.c.id)
    if shop_ids is not None:
        query = query.where(notify_rules.c.shop_id.in_(list(shop_ids)))
    return [_rule(r) for r in conn.execute(query)]


def rules_for(conn: Connection, shop_ids: Iterable[int], stage: Stage) -> dict[int, list[NotifyRule]]:
    """The enabled rules of each shop for one stage, in position order."""
    query = (
        select(notify_rules)
        .where(
            notify_rules.c.shop_id.in_(sorted(set(shop_ids))),
            notify_rules.c.stage == stage.value,
            notify_rules.c.enabled.is_(True),
        )
        .order_by(notify_rules.c.position, notify_rules.c.id)
    )
    found: dict[int, list[NotifyRule]] = {}
    for row in conn.execute(query):
        found.setdefault(row.shop_id, []).append(_rule(row))
    return found


def set_rule_enabled(conn: Connection, shop_id: int, name: str, enabled: bool) -> None:
    _no_rules_until.clear()
    changed = conn.execute(
        update(notify_rules)
        .where(notify_rules.c.shop_id == shop_id, notify_rules.c.name == name)
        .values(enabled=enabled)
    ).rowcount
    if not changed:
        raise NotifyInputError(f"没有这个规则 no rule named {name!r} in this shop")


# --- templates -------------------------------------------------------------------------------------------


def save_template(
    conn: Connection, shop_id: int, name: str, language: str, fmt: str, source: str, now: datetime
) -> None:
    """Compile and trial-render first (raises TemplateRefused: nothing is stored), then store."""
    if name == DEFAULT_TEMPLATE:
        raise NotifyInputError(
            f"{DEFAULT_TEMPLATE!r} 是内置模板 names the built-in templates; choose another"
        )
    if not name or len(name) > 64 or not all(c.isalnum() or c in "_.-" for c in name):
        raise NotifyInputError("模板名只含字母、数字、_ . - a template name is letters, digits, _ . or -")
    compiled = compile_template(source, fmt, parse_language(language))
    upsert(
        conn,
        notify_templates,
        [
            {
                "shop_id": shop_id,
                "name": name,
                "language": language,
                "format": compiled.fmt.value,
                "source": source,
                "updated_at": now,
            }
        ],
        ["shop_id", "name", "language", "format"],
        ["source", "updated_at"],
    )


def template_exists(conn: Connection, shop_id: int, name: str, language: str) -> bool:
    t = notify_templates.c
    query = select(t.id).where(t.shop_id == shop_id, t.name == name, t.language == language).limit(1)
    return conn.execute(query).first() is not None


def template_overrides(conn: Connection, shop_id: int, name: str, language: str) -> dict[TemplateFormat, str]:
    if name == DEFAULT_TEMPLATE:
        return {}
    t = notify_templates.c
    rows = conn.execute(
        select(t.format, t.source).where(t.shop_id == shop_id, t.name == name, t.language == language)
    )
    return {TemplateFormat(r.format): r.source for r in rows}


def list_templates(conn: Connection, shop_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    t = notify_templates.c
    query = select(t.shop_id, t.name, t.language, t.format, t.source, t.updated_at).order_by(
        t.shop_id, t.name, t.language, t.format
    )
    if shop_ids is not None:
        query = query.where(t.shop_id.in_(list(shop_ids)))
    return [
        {
            "shop_id": r.shop_id,
            "name": r.name,
            "language": r.language,
            "format": r.format,
            "source": r.source,
            "updated_at": r.updated_at.isoformat(),
        }
        for r in conn.execute(query)
    ]


# --- opt-outs --------------------------------------------------------------------------------------------


def add_optout(conn: Connection, buyer_key: str, channel: str | None, now: datetime, note: str = "") -> bool:
    """Record a buyer's refusal (of one channel, or all when channel is None); False if already there."""
    if not buyer_key.strip():
        raise NotifyInputError("需要买家标识 a buyer key is needed")
    kind = parse_channel(channel).value if channel else ALL_CHANNELS
    row = {"buyer_key": buyer_key, "channel": kind, "created_at": now, "note": note}
    return bool(insert_new(conn, notify_optouts, [row], ["buyer_key", "channel"]))


def remove_optout(conn: Connection, buyer_key: str, channel: str | None) -> bool:
    kind = parse_channel(channel).value if channel else ALL_CHANNELS
    t = notify_optouts.c
    return bool(
        conn.execute(delete(notify_optouts).where(t.buyer_key == buyer_key, t.channel == kind)).rowcount
    )


def optouts_of(conn: Connection, buyer_key: str) -> list[OptOut]:
    t = notify_optouts.c
    rows = conn.execute(select(t.buyer_key, t.channel).where(t.buyer_key == buyer_key))
    return [OptOut(r.buyer_key, None if r.channel == ALL_CHANNELS else r.channel) for r in rows]
