"""What a notification rule's condition may read: every order fact of the shared rule language, plus the
alert that made the message (`alert.kind`, "" for a stage that is no alert). So a shop can say, for the
exception stage, `alert.kind in ['failed_attempt', 'locker_waiting', 'returned']` or
`alert.kind == 'probably_lost' && amount > 200.0`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from cel_expr_python import cel

from lanshou.rules import FACTS, Fact, FactSet, RuleOrder, compile_condition
from lanshou.rules.context import Getter
from lanshou.rules.language import Condition

# The alert kinds (lanshou.sla.alerts.AlertKind) and the two carrier statuses that are exceptions without
# an alert of their own (see outbox.STAGE_OF_STATUS): what `alert.kind` can be on the exception stage.
ALERT_KINDS = (
    "failed_attempt",
    "returned",
    "locker_waiting",
    "stalled",
    "probably_lost",
    "delivery_late",
    "pickup_overdue",
    "exception",
    "lost",
)


@dataclass(frozen=True, slots=True)
class NotifyRecord:
    order: RuleOrder
    alert_kind: str = ""


def _on_order(get: Getter) -> Getter:
    return lambda record, now: get(record.order, now)


NOTIFY_FACTS = FactSet(
    "notification",
    (
        *(Fact(f.name, f.type, f.help, _on_order(f.get)) for f in FACTS),
        Fact(
            "alert.kind",
            cel.Type.STRING,
            "预警类型 alert kind on the exception stage: " + ", ".join(ALERT_KINDS) + " ('' otherwise)",
            lambda record, now: record.alert_kind,
        ),
    ),
)


def compile_notify_condition(text: str) -> Condition:
    """Type-check a notification rule's condition (raises RuleError with position and reason)."""
    return compile_condition(text, facts=NOTIFY_FACTS)


_compiled = lru_cache(maxsize=512)(compile_notify_condition)  # a rule's text compiles once per process


def bind(order: RuleOrder, alert_kind: str, now: datetime) -> Any:
    return NOTIFY_FACTS.activation(NotifyRecord(order, alert_kind), now)


def holds(condition: str, bound: Any) -> bool:
    """Raises RuleError when the condition cannot decide for this order."""
    return bool(_compiled(condition).check(bound))


__all__ = ["ALERT_KINDS", "NOTIFY_FACTS", "bind", "compile_notify_condition", "holds"]
