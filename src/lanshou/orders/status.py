"""The order status lifecycle and the transitions it allows."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


S = OrderStatus

# Platforms publish snapshots, so an import may skip steps (paid -> delivered) but never go back.
ALLOWED_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED, S.CANCELLED, S.REFUNDED}),
    S.PAID: frozenset({S.SHIPPED, S.DELIVERED, S.COMPLETED, S.CANCELLED, S.REFUNDED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.COMPLETED, S.REFUNDED, S.CANCELLED}),
    S.DELIVERED: frozenset({S.COMPLETED, S.REFUNDED}),
    S.COMPLETED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

CLOSED_BEFORE_FULFILMENT = frozenset({S.CANCELLED, S.REFUNDED})


class IllegalTransition(ValueError):
    def __init__(self, current: OrderStatus, wanted: OrderStatus) -> None:
        super().__init__(f"illegal status change {current.value} -> {wanted.value}")
        self.current = current
        self.wanted = wanted


def can_transition(current: OrderStatus, wanted: OrderStatus) -> bool:
    return current == wanted or wanted in ALLOWED_TRANSITIONS[current]


def check_transition(current: OrderStatus, wanted: OrderStatus) -> None:
    if not can_transition(current, wanted):
        raise IllegalTransition(current, wanted)


_BY_VALUE = {status.value: status for status in OrderStatus}


def parse_status(text: str) -> OrderStatus:
    status = _BY_VALUE.get(text.strip().lower())
    if status is None:
        allowed = ", ".join(s.value for s in OrderStatus)
        raise ValueError(f"unknown status {text!r} (expected one of {allowed})")
    return status
