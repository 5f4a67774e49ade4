"""The alert list every face shows: newest problems first, with their age and the orders they touch."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

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
) -> list[dict[str, Any]]:
    """Alerts as JSON-ready dicts (times naive UTC ISO); `age_hours` = now - since (negative: not yet due).

    With `shop_ids` (a user's grants): only the alerts of those shops' parcels, naming only their orders."""
    a = alerts
    query = select(a).order_by(a.c.since.desc(), a.c.id.desc()).limit(limit)
    if not include_resolved:
        query = query.where(a.c.resolved_at.is_(None))
    if kind:
        query = query.where(a.c.kind == kind)
    if shop_ids is not None:
        query = query.where(a.c.tracking_no.in_(numbers_of_shops(shop_ids)))
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
