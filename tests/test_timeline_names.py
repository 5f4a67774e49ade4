"""Every kind of timeline entry the code writes has a name on the order's page, in both languages."""

from __future__ import annotations

import ast
from pathlib import Path

import lanshou
from lanshou.web.i18n import timeline_namer

SOURCE = Path(lanshou.__file__).parent


# kinds written through a variable: review's states, the alerts' steps, notification and campaign outcomes,
# an after-sales step (aftersale_<action>)
BY_VARIABLE = {
    "held",
    "accepted",
    "cancelled",
    "alert_opened",
    "alert_acked",
    "alert_resolved",
    "notification_queued",
    "notification_skipped",
    "campaign_queued",
    "aftersale_agree",
}


def written_kinds() -> set[str]:
    """The kinds written as constants: TimelineEntry(shop, order, at, "kind", …), the notifications'
    _entry(row, now, "kind", …) and _finish(engine, row, now, state, "kind", …)."""
    kinds: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            at = {"TimelineEntry": 3, "_entry": 2, "_finish": 4}.get(name)
            if at is not None and len(node.args) > at and isinstance(node.args[at], ast.Constant):
                kinds.add(node.args[at].value)
    kinds.discard("")  # sending.py: a delayed message (quiet hours) writes no entry
    return kinds


def test_every_written_kind_has_a_name() -> None:
    zh, en = timeline_namer("zh-CN"), timeline_namer("en")
    kinds = written_kinds()
    assert {
        "shipped",
        "carrier_chosen",
        "followup_opened",
        "notification_sent",
    } <= kinds  # the scan finds them
    unnamed = sorted(kind for kind in kinds | BY_VARIABLE if zh(kind) == kind or en(kind) == kind)
    assert unnamed == []
    assert zh("held") == "审单暂停" and en("aftersale_refund") == "After-sales" and zh("made_up") == "made_up"
