"""What a matching rule does: a small closed set of typed actions, and their short text form.

Text forms (a full-width colon `：` works too): `accept`, `hold:大额订单`, `tag:vip`, `priority:2`,
`carrier:sf`, `carrier:sf:次日达` (code and service), `notify:shipped_late`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TEXT = 200
PRIORITY_LEVELS = range(0, 10)  # larger is more urgent; the highest matching level wins
_CARRIER_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_TEMPLATE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
_TAG_FORBIDDEN = re.compile(r"[\s,，;；]")


class ActionError(ValueError):
    """An action text that is not one of the known forms."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"动作无效 invalid action {text!r}: {reason}")


@dataclass(frozen=True, slots=True)
class Accept:
    def __str__(self) -> str:
        return "accept"


@dataclass(frozen=True, slots=True)
class Hold:
    reason: str

    def __str__(self) -> str:
        return f"hold:{self.reason}"


@dataclass(frozen=True, slots=True)
class Tag:
    name: str

    def __str__(self) -> str:
        return f"tag:{self.name}"


@dataclass(frozen=True, slots=True)
class Priority:
    level: int

    def __str__(self) -> str:
        return f"priority:{self.level}"


@dataclass(frozen=True, slots=True)
class Carrier:
    code: str
    service: str = ""

    def __str__(self) -> str:
        return f"carrier:{self.code}:{self.service}" if self.service else f"carrier:{self.code}"


@dataclass(frozen=True, slots=True)
class Notify:
    template: str

    def __str__(self) -> str:
        return f"notify:{self.template}"


Action = Accept | Hold | Tag | Priority | Carrier | Notify

KINDS = ("accept", "hold", "tag", "priority", "carrier", "notify")


def parse_action(text: str) -> Action:
    """Read the short text form; `str(action)` gives it back. Raises `ActionError` naming what is wrong."""
    if not isinstance(text, str):
        raise ActionError(repr(text), "动作必须是文本 an action is text such as hold:大额订单")
    kind, _, argument = text.strip().replace("：", ":").partition(":")
    kind, argument = kind.strip().lower(), argument.strip()
    if kind == "accept":
        if argument:
            raise ActionError(text, "accept 不带参数 accept takes no argument")
        return Accept()
    if kind not in KINDS:
        raise ActionError(text, f"未知动作 unknown action {kind!r}; use one of {', '.join(KINDS)}")
    if not argument:
        raise ActionError(text, f"缺少参数 {kind} needs an argument, e.g. {_EXAMPLES[kind]}")
    if len(argument) > MAX_TEXT:
        raise ActionError(text, f"参数太长 argument longer than {MAX_TEXT} characters")
    return _PARSERS[kind](text, argument)


def _hold(text: str, reason: str) -> Action:
    return Hold(reason)


def _tag(text: str, name: str) -> Action:
    if len(name) > 32 or _TAG_FORBIDDEN.search(name):
        raise ActionError(
            text, "标签最多32字，不含空格或逗号 a tag is at most 32 characters, no spaces or commas"
        )
    return Tag(name)


def _priority(text: str, level: str) -> Action:
    if not level.isascii() or not level.isdigit() or int(level) not in PRIORITY_LEVELS:
        raise ActionError(text, "优先级是 0–9 的整数 priority is a whole number from 0 to 9 (9 most urgent)")
    return Priority(int(level))


def _carrier(text: str, argument: str) -> Action:
    code, _, service = argument.partition(":")
    code, service = code.strip().lower(), service.strip()
    if not _CARRIER_CODE.fullmatch(code):
        raise ActionError(
            text, "快递编码只含小写字母、数字、-、_ a carrier code is letters, digits, - or _, e.g. sf"
        )
    return Carrier(code, service)


def _notify(text: str, template: str) -> Action:
    if not _TEMPLATE.fullmatch(template):
        raise ActionError(text, "模板名只含字母、数字、_ . - a template name is letters, digits, _ . or -")
    return Notify(template)


_PARSERS = {"hold": _hold, "tag": _tag, "priority": _priority, "carrier": _carrier, "notify": _notify}
_EXAMPLES = {
    "hold": "hold:大额订单",
    "tag": "tag:vip",
    "priority": "priority:2",
    "carrier": "carrier:sf",
    "notify": "notify:shipped_late",
}
