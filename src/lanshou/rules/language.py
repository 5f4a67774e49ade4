"""Compile a rule condition once, check it against many orders.

The language is CEL (Common Expression Language) through `cel-expr-python`, the CEL project's own binding of
cel-cpp: its parser and type checker see the declared facts (`context.FACTS`), so a misspelt name, a wrong
type or a syntax error is refused when the rule is saved, with the line and column the library reports.

Limits against hostile rules (all enforced before or by the library, none by a home-made parser):
- `MAX_SOURCE_CHARS` characters of source; longer rules are refused before parsing.
- The parser refuses nesting deeper than 32 levels and the checker more than 100,000 nodes (cel-cpp limits).
- CEL has no loops or recursion; its macros (`exists`, `all`, `map`, `filter`) walk finite lists, and the
  runtime stops one evaluation after 10,000 macro iterations in all (cel-cpp's comprehension budget): that
  evaluation fails with `RuleRuntimeError`, it does not hang.
- Regular expressions (`matches`) are RE2: linear time, no backtracking. The binding does not turn on
  cel-cpp's regex precompilation, so a pattern is compiled on every check (tens of microseconds, about as
  much as ten plain comparisons): prefer `contains`, `startsWith` or `in` where they say the same thing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cel_expr_python import cel

from lanshou.rules.context import ENVIRONMENT, FACT_NAMES, ORDER_FACTS, FactSet
from lanshou.rules.references import referenced_names

MAX_SOURCE_CHARS = 2_000

# cel-cpp reports each problem as "ERROR: <input>:LINE:COLUMN: reason"; LINE and COLUMN are 1-based
# (the column counts characters, not bytes) and -1 when the library has no position.
_ISSUE = re.compile(r"ERROR: <input>:(-?\d+):(-?\d+): (.*)")
_STATUS_PREFIX = re.compile(r"^[A-Z_]+: ")
_STATUS_SUFFIX = re.compile(r" \[[A-Z_]+\]$")
_UNDECLARED = re.compile(r"undeclared reference to '([^']+)'")
_NO_CONTAINER = re.compile(r" \(in container ''\)")
_UNBOUND = re.compile(r'No value with name "([^"]+)" found')
_MIXED_NUMBERS = re.compile(r"no matching overload for '[^']+' applied to '\((?:double, int|int, double)\)'")


class Position(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based, in characters

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}"


class RuleError(ValueError):
    """A rule that cannot be used: refused when saved, with where (if the library knows) and why."""

    def __init__(self, reason: str, position: Position | None = None, hint: str = "") -> None:
        self.reason = reason
        self.position = position
        self.hint = hint
        where = f" at {position}" if position else ""
        tail = f" ({hint})" if hint else ""
        super().__init__(f"规则无效 invalid rule{where}: {reason}{tail}")


class RuleRuntimeError(RuleError):
    """A valid rule that could not decide for one order (a missing fact, a bad regex, a division by zero)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.position = None
        self.hint = ""
        ValueError.__init__(self, f"规则运行出错 rule failed on this order: {reason}")


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled, type-checked condition; equal when the source is. Store its `source`, compile on load."""

    source: str
    facts: frozenset[str] = field(compare=False)  # the fact names it reads (what an activation must bind)
    _program: Any = field(compare=False, repr=False, default=None)

    def check(self, activation: Any) -> bool:
        """True when the bound order meets the condition; `RuleRuntimeError` when it cannot tell."""
        try:
            result = self._program.eval(activation)
        except RuntimeError as exc:  # the library raises for budget overruns, returns error values otherwise
            raise RuleRuntimeError(_runtime_reason(str(exc))) from None
        value = result.value()
        if value is True or value is False:
            return value
        if result.type() == cel.Type.ERROR:
            raise RuleRuntimeError(_runtime_reason(str(value)))
        raise RuleRuntimeError(f"条件结果不是布尔值 condition gave {result.type().name().lower()}, not bool")

    def __str__(self) -> str:
        return self.source


def compile_condition(source: str, facts: FactSet = ORDER_FACTS) -> Condition:
    """Parse and type-check `source` once against `facts` (an order's, unless another declared set is
    given); raise `RuleError` with position and reason if it is not usable."""
    if not isinstance(source, str):
        raise RuleError(f"条件必须是文本 condition must be text, got {type(source).__name__}")
    if not source.strip():
        raise RuleError("条件为空 empty condition")
    if len(source) > MAX_SOURCE_CHARS:
        raise RuleError(
            f"条件太长 condition too long: {len(source):,} characters, at most {MAX_SOURCE_CHARS:,}"
        )
    try:
        program = facts.environment.compile(source)
    except RuntimeError as exc:
        raise _compile_error(str(exc), facts.names) from None
    result_type = program.return_type()
    if result_type not in (cel.Type.BOOL, cel.Type.DYN):
        raise RuleError(
            f"条件必须是真/假 condition must be true or false, but it gives {result_type.name().lower()}",
            _first_character(source),
            "比较一下 compare it, e.g. amount > 100.0",
        )
    return Condition(source, _facts_read(program, facts.names), program)


def _facts_read(program: Any, declared: frozenset[str] = FACT_NAMES) -> frozenset[str]:
    names = referenced_names(program.serialize())
    return declared if names is None else names & declared


class ConditionBatch:
    """Several conditions evaluated as one CEL list, so one order costs one call into the library.

    The list `[(c1), (c2), ...]` is only built from conditions that compiled on their own, each on its own
    lines (a trailing `//` comment cannot swallow the closing parenthesis). When the list does not compile
    (the nesting limit counts the list too) or an order makes any element fail, `check_all` returns None and
    the caller checks that order rule by rule, which finds out which rule failed and why.
    """

    def __init__(self, conditions: Sequence[Condition]) -> None:
        source = "[" + ",".join(f"(\n{condition.source}\n)" for condition in conditions) + "]"
        try:
            self._program: Any = ENVIRONMENT.compile(source) if conditions else None
        except RuntimeError:
            self._program = None

    def check_all(self, activation: Any) -> list[bool] | None:
        if self._program is None:
            return None
        try:
            result = self._program.eval(activation)
        except RuntimeError:  # e.g. the shared iteration budget; one by one each rule has its own
            return None
        values = result.plain_value()  # an error comes back as its message, not a list
        if type(values) is not list or not all(value is True or value is False for value in values):
            return None
        return values


def _compile_error(text: str, declared: frozenset[str] = FACT_NAMES) -> RuleError:
    """Turn the library's report into one `RuleError` for its first problem."""
    for line in text.splitlines():
        found = _ISSUE.search(line)
        if found:
            row, column = int(found[1]), int(found[2])
            reason = _NO_CONTAINER.sub("", _STATUS_SUFFIX.sub("", found[3]))
            position = Position(row, column) if row > 0 and column > 0 else None
            return RuleError(reason, position, _hint(reason, declared))
    return RuleError(_clean(text))


def _hint(reason: str, declared: frozenset[str] = FACT_NAMES) -> str:
    undeclared = _UNDECLARED.search(reason)
    if undeclared:
        close = difflib.get_close_matches(undeclared[1], sorted(declared), n=1)
        return f"你是不是想写 did you mean '{close[0]}'?" if close else "可用的名称见 see the list of facts"
    if _MIXED_NUMBERS.search(reason):
        return "小数要和小数比较 compare decimals with decimals: write 2000.0, not 2000"
    return ""


def _runtime_reason(text: str) -> str:
    reason = _clean(text)
    unbound = _UNBOUND.search(reason)
    if unbound:
        return f"订单没有这项信息 the order has no value for '{unbound[1]}'"
    if "Iteration budget exceeded" in reason:
        return "超出计算上限 too much work: more than 10,000 list steps in one check"
    return reason


def _clean(text: str) -> str:
    """The library's message without its status code wrapper, on one line."""
    first = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return _STATUS_SUFFIX.sub("", _STATUS_PREFIX.sub("", first))


def _first_character(source: str) -> Position:
    """Where the expression starts: the first non-blank character."""
    for row, line in enumerate(source.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped:
            return Position(row, len(line) - len(stripped) + 1)
    return Position(1, 1)
