"""The composition root: the one place that knows every area. Faces (CLI, API, workers) call `start()`
once; it wires each area's event subscriptions onto the process's bus."""

from __future__ import annotations

from lanshou.events import EventBus, bus


def start(target: EventBus = bus) -> EventBus:
    """Wire every area's subscriptions (once per bus)."""
    if target.wired:
        return target
    from lanshou.aftersales import subscriptions as aftersales
    from lanshou.buyers import subscriptions as buyers
    from lanshou.followups import subscriptions as followups
    from lanshou.inventory import subscriptions as inventory
    from lanshou.metrics import subscriptions as metrics
    from lanshou.notifications import subscriptions as notifications
    from lanshou.review import subscriptions as review
    from lanshou.sla import subscriptions as sla
    from lanshou.stats import subscriptions as stats

    inventory.subscribe(target)
    metrics.subscribe(target)
    review.subscribe(target)
    sla.subscribe(target)
    notifications.subscribe(target)
    aftersales.subscribe(target)
    followups.subscribe(target)
    buyers.subscribe(target)
    stats.subscribe(target)  # after buyers: their order links tell repeat purchases
    target.wired = True
    return target
