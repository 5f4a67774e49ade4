"""The Jinja2 sandbox notification templates run in, with limits a hostile template cannot get past.

Jinja's sandbox stops a template reaching Python internals (underscored attributes, unsafe callables) and,
in its immutable form, mutating the context. It does not bound CPU or memory, so this module adds:
- a step budget and a wall-clock deadline, counted on the compiled template's own lines through a
  per-thread trace hook (so nested loops over `range` cannot spin forever);
- `range()` capped at MAX_RANGE items;
- value growth capped: `~`, `+`, `*` and `join` refuse results over MAX_VALUE_CHARS, numbers are kept
  small (`**` exponent, `*` of big ints), `%` formatting of strings is refused;
- only a list of filters that cannot pad or blow up output (no format/center/indent/wordwrap/batch/slice/
  safe), no string padding or formatting methods, no lipsum/cycler/joiner globals;
- the rendered text capped per call (checked while generating, not after).
"""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.filters import FILTERS, sync_do_join
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import pass_eval_context

MAX_RANGE = 1000
MAX_VALUE_CHARS = 100_000
MAX_STEPS = 200_000
MAX_SECONDS = 1.0
MAX_INT_BITS = 128
TEMPLATE_FILENAME = "<template>"

# Filters that cannot pad, repeat or reformat their way to a huge string (no format, center, indent,
# wordwrap, batch, slice, replace, safe, attr, random, lipsum...).
# fmt: off
SAFE_FILTERS = (
    "abs", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float", "int",
    "items", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "reverse",
    "round", "select", "selectattr", "sort", "string", "striptags", "title", "tojson", "trim", "truncate",
    "unique", "upper", "urlencode", "wordcount",
)
SAFE_STR_METHODS = frozenset({
    "capitalize", "casefold", "endswith", "isalnum", "isalpha", "isdigit", "islower", "isnumeric",
    "isspace", "istitle", "isupper", "lower", "lstrip", "rstrip", "split", "startswith", "strip", "title",
    "upper",
})
# fmt: on


class TemplateLimitExceeded(SecurityError):
    """A template tried to use more time, steps or memory than a notification may."""


class _LimitedCodeGenerator(CodeGenerator):
    """Wraps every `~` concatenation in a length check (Jinja compiles `~` without a hook)."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_value(")
        super().visit_Concat(node, frame)
        self.write(")")


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


class NotificationSandbox(ImmutableSandboxedEnvironment):
    code_generator_class = _LimitedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def checked_value(self, value: Any) -> Any:
        if _sized(value) > MAX_VALUE_CHARS:
            raise TemplateLimitExceeded(f"value longer than {MAX_VALUE_CHARS} characters")
        return value

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%" and isinstance(left, str):
            raise SecurityError("string % formatting is not allowed in notification templates")
        if operator == "**" and (_big(left, 32) or not isinstance(right, int | float) or abs(right) > 64):
            raise TemplateLimitExceeded("exponent too large")
        if operator == "*":
            seq, count = (left, right) if isinstance(left, str | list | tuple) else (right, left)
            if isinstance(seq, str | list | tuple) and isinstance(count, int):
                if len(seq) * max(count, 0) > MAX_VALUE_CHARS:
                    raise TemplateLimitExceeded(f"value longer than {MAX_VALUE_CHARS} characters")
            elif _big(left, MAX_INT_BITS // 2) or _big(right, MAX_INT_BITS // 2):
                raise TemplateLimitExceeded("number too large")
        result = super().call_binop(context, operator, left, right)
        if _big(result, MAX_INT_BITS):
            raise TemplateLimitExceeded("number too large")
        return self.checked_value(result)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and callable(value) and attr not in SAFE_STR_METHODS:
            return False  # no padding, formatting or joining methods: they can build huge strings
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> None:
        return None  # str.format is refused outright (is_safe_attribute), not sandboxed


def _big(value: Any, bits: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > bits


def _limited_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise TemplateLimitExceeded(f"range() longer than {MAX_RANGE}")
    return result


@pass_eval_context
def _limited_join(eval_ctx: EvalContext, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    joined = sync_do_join(eval_ctx, value, d, attribute)
    if len(joined) > MAX_VALUE_CHARS:
        raise TemplateLimitExceeded(f"value longer than {MAX_VALUE_CHARS} characters")
    return joined


def _money(value: Any, currency: str = "CNY") -> str:
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$"}.get(currency, currency + " ")
    return f"{symbol}{Decimal(str(value)):,.2f}"


def _date_filter(language: str) -> Callable[[Any], str]:
    def format_date(value: date | datetime | None) -> str:
        if value is None:
            return ""
        if language == "zh-CN":
            return f"{value.month}月{value.day}日"
        return f"{value.day} {value.strftime('%b')}"

    return format_date


@lru_cache(maxsize=8)
def sandbox(language: str, autoescape: bool) -> NotificationSandbox:
    env = NotificationSandbox(undefined=StrictUndefined, autoescape=autoescape, keep_trailing_newline=False)
    env.filters = {name: FILTERS[name] for name in SAFE_FILTERS}
    env.filters.update({"join": _limited_join, "money": _money, "date": _date_filter(language)})
    env.globals = {"range": _limited_range, "dict": dict, "namespace": env.globals["namespace"]}
    return env


@dataclass
class _Budget:
    steps: int
    deadline: float

    def tracer(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != TEMPLATE_FILENAME:
            return None  # only the template's own lines count; library code is trusted
        return self.count

    def count(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.steps -= 1
            if self.steps <= 0:
                raise TemplateLimitExceeded(f"template took more than {MAX_STEPS} steps")
            if self.steps % 1000 == 0 and time.monotonic() > self.deadline:
                raise TemplateLimitExceeded(f"template ran longer than {MAX_SECONDS} s")
        return self.count


def render_limited(template: Template, context: Mapping[str, Any], max_chars: int) -> str:
    """Render within the step, time and output limits; raises what the template raised."""
    budget = _Budget(MAX_STEPS, time.monotonic() + MAX_SECONDS)
    previous = sys.gettrace()
    sys.settrace(budget.tracer)
    try:
        parts: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > max_chars:
                raise TemplateLimitExceeded(f"output longer than {max_chars} characters")
            parts.append(chunk)
        return "".join(parts)
    finally:
        sys.settrace(previous)  # restore a debugger's or coverage's tracer
