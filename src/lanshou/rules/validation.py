"""Checking a rule while it is typed (the rule editor): the JSON `{ok, field, line, column, reason}` the
page and the API share. `line`/`column` (1-based) are where the library found the problem, when it knows."""

from __future__ import annotations

from typing import Any

from lanshou.rules.actions import ActionError, parse_action
from lanshou.rules.language import RuleError, compile_condition
from lanshou.rules.store import SCOPES


def validate_rule(condition: str, action: str, scope: str | None = None) -> dict[str, Any]:
    """What is wrong with the first bad part (condition, then action), or `ok: true`."""
    try:
        compile_condition(condition)
    except RuleError as exc:
        reason = f"{exc.reason} ({exc.hint})" if exc.hint else exc.reason
        line, column = (exc.position.line, exc.position.column) if exc.position else (None, None)
        return {"ok": False, "field": "condition", "line": line, "column": column, "reason": reason}
    try:
        parsed = parse_action(action)
    except ActionError as exc:
        return {"ok": False, "field": "action", "line": None, "column": None, "reason": exc.reason}
    if scope is not None:
        allowed = SCOPES.get(scope)
        if allowed is None:
            reason = f"未知范围 unknown scope {scope!r}; use one of {', '.join(SCOPES)}"
            return {"ok": False, "field": "scope", "line": None, "column": None, "reason": reason}
        if not isinstance(parsed, allowed):
            kinds = ", ".join(kind.__name__.lower() for kind in allowed)
            reason = f"{scope} 规则只能 a {scope} rule can only: {kinds}"
            return {"ok": False, "field": "action", "line": None, "column": None, "reason": reason}
    return {"ok": True, "field": None, "line": None, "column": None, "reason": ""}
