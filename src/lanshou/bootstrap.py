"""The composition root: the one place that knows every area. Faces (CLI, API, workers) call `start()`
once; it wires each area's event subscriptions onto the process's bus, when the bus is first used."""

from __future__ import annotations

from lanshou.events import EventBus, bus


def start(target: EventBus = bus) -> EventBus:
    """Wire every area's subscriptions (once per bus). The areas' handlers are imported when the bus is
    first used (EventBus.wire_later): a command that only reads starts without them. What another area
    reads without an event (the parcels tracking follows for after-sales) is named at once."""
    if target.wired:
        return target
    from lanshou.aftersales.followed import follow_awaited_returns

    follow_awaited_returns()
    target.wire_later(_subscribe_every_area)
    target.wired = True
    return target


def _subscribe_every_area(target: EventBus) -> None:
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
