"""The alert list every face shows: newest problems first, with their age and the orders they touch."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, func, select

from lanshou.db.paging import Moment, rows_after
from lanshou.shops.store import load_shops
from lanshou.sla.tables import alerts
from lanshou.tracking.queries import numbers_of_shops, orders_by_parcel


def list_alerts(
    engine: Engine,
    now: datetime,
    *,
    include_resolved: bool = False,
    kind: str | None = None,
    limit: int = 500,
    shop_ids: Collection[int] | None = None,
    after: Moment | None = None,
) -> list[dict[str, Any]]:
    """Alerts as JSON-ready dicts (times naive UTC ISO); `age_hours` = now - since (negative: not yet due).

    With `shop_ids` (a user's grants): only the alerts of those shops' parcels, naming only their orders.
    `after`: only the alerts that follow that position (`position_of` a row), the next page's."""
    a = alerts
    query = _chosen(select(a), include_resolved, kind, shop_ids)
    query = query.order_by(a.c.since.desc(), a.c.id.desc()).limit(limit)
    if after is not None:
        query = query.where(rows_after([(a.c.since, True), (a.c.id, True)], (after.at, after.id)))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        orders = orders_by_parcel(conn, {r.tracking_no for r in rows})
        shops = load_shops(conn) if orders else {}
    return [
        {
            "id": r.id,
            "tracking_no": r.tracking_no,
            "carrier": r.carrier,
            "kind": r.kind,
            "metric": r.metric,
            "reason": r.reason,
            "since": r.since.isoformat(),
            "due_at": r.due_at.isoformat() if r.due_at else None,
            "age_hours": round((now - r.since).total_seconds() / 3600, 1),
            "state": "resolved" if r.resolved_at else "acked" if r.acked_at else "open",
            "acked_by": r.acked_by or None,
            "resolved_by": r.resolved_by or None,
            "note": r.note,
            "orders": [
                {"platform": shops[s].platform, "shop": shops[s].shop, "order_no": o}
                for s, o in orders.get(r.tracking_no, ())
                if shop_ids is None or s in shop_ids
            ],
        }
        for r in rows
    ]


def position_of(row: dict[str, Any]) -> Moment:
    """Where a page ending with this alert (one of `list_alerts`) stops."""
    return Moment(datetime.fromisoformat(row["since"]), row["id"])


def count_by_kind(
    engine: Engine, *, include_resolved: bool = False, shop_ids: Collection[int] | None = None
) -> dict[str, int]:
    """How many alerts of each kind the same filters find: the page's kind filter says what each holds."""
    a = alerts.c
    query = _chosen(select(a.kind, func.count()), include_resolved, None, shop_ids).group_by(a.kind)
    with engine.connect() as conn:
        return {kind: count for kind, count in conn.execute(query)}


def _chosen(
    query: Select[Any], include_resolved: bool, kind: str | None, shop_ids: Collection[int] | None
) -> Select[Any]:
    a = alerts.c
    if not include_resolved:
        query = query.where(a.resolved_at.is_(None))
    if kind:
        query = query.where(a.kind == kind)
    if shop_ids is not None:
        query = query.where(a.tracking_no.in_(numbers_of_shops(shop_ids)))
    return query
