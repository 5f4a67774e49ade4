"""Keyset pages of the review queue and of the ready shipments, for the dashboard and the API lists.

Both lists have a total order ending in a unique column, and a page is "the rows after this position":
- review queue: held before accepted, priority high to low, ship-by (none last), then the order's id;
- ready shipments (one per 合单 group): priority high to low (the group's highest), the group's earliest
  ship-by, then earliest pickup deadline (none last), then the group's first order id.
A page never skips or repeats a row when rows before it change, as an offset would; every page is scoped
to the caller's shops in SQL, so a position (cursor) cannot reach another shop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    select,
)

from lanshou.db.keyset import ORDER_KEY, keyset
from lanshou.db.paging import naive_utc, rows_after
from lanshou.orders.tables import orders
from lanshou.review.queries import QUEUE_STATES, accepted_to_ship, build_shipments, reviewed, still_to_ship
from lanshou.review.ready import ReadyShipment
from lanshou.review.tables import review_state

NONE_YET = datetime(9999, 12, 31)  # a missing deadline sorts after every real one


def _when(column: Any) -> ColumnElement[Any]:
    return func.coalesce(column, bindparam(None, NONE_YET, type_=DateTime()))


@dataclass(frozen=True)
class QueuePosition:
    state: str
    priority: int
    ship_by: datetime
    id: int

    def as_cursor(self) -> dict[str, Any]:
        return {"s": self.state, "p": self.priority, "b": self.ship_by.isoformat(), "i": self.id}

    @classmethod
    def from_cursor(cls, value: dict[str, Any]) -> QueuePosition | None:
        """The position a decoded cursor holds; None when it is not one."""
        try:
            ship_by = naive_utc(
                datetime.fromisoformat(value["b"])
            )  # a hand-made offset: the instant it names
            return cls(str(value["s"]), int(value["p"]), ship_by, int(value["i"]))
        except (KeyError, TypeError, ValueError, OverflowError):
            return None


QUEUE_CURSOR = {"s": str, "p": int, "b": str, "i": int}


def review_queue_page(
    conn: Connection,
    shop_ids: Sequence[int],
    state: str | None,
    after: QueuePosition | None,
    limit: int,
) -> tuple[list[dict[str, Any]], QueuePosition | None]:
    """Up to `limit` rows of the review queue of these shops after `after`, and the position of the last
    one when more follow (else None)."""
    o, r = orders.c, review_state.c
    states = [state] if state in QUEUE_STATES else list(QUEUE_STATES)
    ship_by = _when(r.ship_by).label("ship_key")
    order: list[tuple[ColumnElement[Any], bool]] = [
        (r.state, True),
        (r.priority, True),
        (_when(r.ship_by), False),
        (o.id, False),
    ]
    query = (
        select(
            o.id,
            o.shop_id,
            o.order_no,
            r.state,
            r.reasons,
            r.priority,
            r.tags,
            r.warehouse,
            r.actor,
            o.paid_at,
        )
        .add_columns(ship_by)
        .join(review_state, and_(r.shop_id == o.shop_id, r.order_no == o.order_no))
        .where(o.status == "paid", r.state.in_(states), o.shop_id.in_(list(shop_ids)))
        .order_by(r.state.desc(), r.priority.desc(), ship_by, o.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(rows_after(order, (after.state, after.priority, after.ship_by, after.id)))
    found = conn.execute(query).all()
    rows = [{**reviewed(row), "paid_at": row.paid_at} for row in found[:limit]]
    if len(found) <= limit:
        return rows, None
    last = found[limit - 1]
    return rows, QueuePosition(last.state, last.priority, last.ship_key, last.id)


@dataclass(frozen=True)
class ReadyPosition:
    priority: int
    ship_by: datetime
    pickup: datetime
    lead: int

    def as_cursor(self) -> dict[str, Any]:
        return {
            "p": self.priority,
            "b": self.ship_by.isoformat(),
            "d": self.pickup.isoformat(),
            "i": self.lead,
        }

    @classmethod
    def from_cursor(cls, value: dict[str, Any]) -> ReadyPosition | None:
        try:
            ship_by = naive_utc(datetime.fromisoformat(value["b"]))
            pickup = naive_utc(datetime.fromisoformat(value["d"]))
            return cls(int(value["p"]), ship_by, pickup, int(value["i"]))
        except (KeyError, TypeError, ValueError, OverflowError):
            return None


READY_CURSOR = {"p": int, "b": str, "d": str, "i": int}


def _group_of() -> ColumnElement[str]:
    """An order's shipment within its shop: its 合单 group, or the order alone. The prefixes are literal
    SQL, not parameters: PostgreSQL must see the GROUP BY expression as the selected one."""
    r = review_state.c
    return case(
        (r.merge_group == literal_column("''", String()), literal_column("'o:'", String()) + r.order_no),
        else_=literal_column("'g:'", String()) + r.merge_group,
    )


def _ready_groups(shop_ids: Sequence[int]) -> Any:
    o, r = orders.c, review_state.c
    return (
        select(
            o.shop_id.label("shop_id"),
            _group_of().label("grp"),
            func.max(r.priority).label("priority"),
            _when(func.min(r.ship_by)).label("ship_by"),
            _when(func.min(r.pickup_deadline)).label("pickup"),
            func.min(o.id).label("lead"),
        )
        .join(review_state, and_(r.shop_id == o.shop_id, r.order_no == o.order_no))
        .where(r.state == "accepted", still_to_ship(), o.shop_id.in_(list(shop_ids)))
        .group_by(o.shop_id, _group_of())
        .subquery("groups")
    )


def ready_count(conn: Connection, shop_ids: Sequence[int]) -> int:
    """How many shipments are ready in these shops (合单 groups count once)."""
    return int(conn.execute(select(func.count()).select_from(_ready_groups(shop_ids))).scalar_one())


def ready_page(
    conn: Connection, shop_ids: Sequence[int], after: ReadyPosition | None, limit: int
) -> tuple[list[ReadyShipment], ReadyPosition | None]:
    """Up to `limit` ready shipments of these shops after `after` (the order of `ready_shipments`, with
    the group's first order id to break ties), and the position of the last one when more follow."""
    g = _ready_groups(shop_ids)
    columns: list[tuple[ColumnElement[Any], bool]] = [
        (g.c.priority, True),
        (g.c.ship_by, False),
        (g.c.pickup, False),
        (g.c.lead, False),
    ]
    query = select(g).order_by(g.c.priority.desc(), g.c.ship_by, g.c.pickup, g.c.lead).limit(limit + 1)
    if after is not None:
        query = query.where(rows_after(columns, (after.priority, after.ship_by, after.pickup, after.lead)))
    found = conn.execute(query).all()
    page = found[:limit]
    shipments = _shipments(conn, [(row.shop_id, row.grp) for row in page])
    if len(found) <= limit:
        return shipments, None
    last = page[-1]
    return shipments, ReadyPosition(last.priority, last.ship_by, last.pickup, last.lead)


def _shipments(conn: Connection, groups: list[tuple[int, str]]) -> list[ReadyShipment]:
    """The shipments of these groups, in the given order, built as `ready_shipments` builds them. Two
    steps (the merged groups' orders from review_state, then every order by key), each an index probe per
    key whatever the planner believes of the tables' sizes."""
    if not groups:
        return []
    o, r = orders.c, review_state.c
    group_of = {(shop_id, grp[2:]): (shop_id, grp) for shop_id, grp in groups if grp.startswith("o:")}
    merged = [(shop_id, grp[2:]) for shop_id, grp in groups if grp.startswith("g:")]
    if merged:  # the orders of each 合单 group, found on the (shop_id, merge_group) index
        named = keyset(conn, merged, (("shop_id", Integer()), ("merge_group", String())), "grp")
        # no state filter here (the order query below keeps the accepted ones): with one, SQLite would
        # walk the state index and scan the key list for each row
        members_query = select(r.shop_id, r.order_no, r.merge_group).join(
            named, and_(named.c.shop_id == r.shop_id, named.c.merge_group == r.merge_group)
        )
        for shop_id, order_no, group in conn.execute(members_query).all():
            group_of[(shop_id, order_no)] = (shop_id, f"g:{group}")
    keys = keyset(conn, group_of, ORDER_KEY, "member")
    query = (
        accepted_to_ship()
        .join(keys, and_(keys.c.shop_id == o.shop_id, keys.c.order_no == o.order_no))
        .order_by(r.priority.desc(), _when(r.ship_by), o.id)
    )
    rows = conn.execute(query).all()
    return build_shipments(conn, rows, lambda key, _merge_group: group_of[key], groups=groups)
