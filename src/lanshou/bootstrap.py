"""The composition root: the one place that knows every area. Faces (CLI, API, workers) call `start()`
once; it wires each area's event subscriptions onto the process's bus."""

from __future__ import annotations

from lanshou.events import EventBus, bus


def start(target: EventBus = bus) -> EventBus:
    """Wire every area's subscriptions (once per bus)."""
    if target.wired:
        return target
    from lanshou.inventory import subscriptions as inventory
    from lanshou.metrics import subscriptions as metrics
    from lanshou.review import subscriptions as review
    from lanshou.sla import subscriptions as sla

    inventory.subscribe(target)
    metrics.subscribe(target)
    review.subscribe(target)
    sla.subscribe(target)
    target.wired = True
    return target
