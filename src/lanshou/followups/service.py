"""Follow-up use cases for the faces: list, assign, close (with an outcome). JSON shapes live here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from lanshou.db.engine import run_transaction
from lanshou.followups import store
from lanshou.orders.timeline import TimelineEntry, record
from lanshou.shops.model import select_shops
from lanshou.shops.store import load_shops

OUTCOMES = {
    "resolved": "已解决",
    "compensated": "已补偿",
    "refunded": "已退款",
    "reshipped": "已补发",
    "revised": "买家已改评",
    "unreachable": "联系不上",
    "no_action": "无需处理",
}


class FollowupRefused(ValueError):
    """A close or assign that cannot be done; the message says why (Chinese first, English beside)."""


def followup_json(row: dict[str, Any], shop_names: dict[int, str], now: datetime) -> dict[str, Any]:
    return {
        "id": row["id"],
        "shop": shop_names.get(row["shop_id"], ""),
        "order_no": row["order_no"],
        "feedback_at": row["feedback_at"].isoformat(sep=" "),
        "rating": row["rating"],
        "themes": [t for t in row["themes"].split("|") if t],
        "owner": row["owner"],
        "due_at": row["due_at"].isoformat(sep=" "),
        "overdue": row["status"] == "open" and row["due_at"] < now,
        "status": row["status"],
        "outcome": row["outcome"],
        "note": row["note"],
        "closed_by": row["closed_by"],
        "closed_at": row["closed_at"].isoformat(sep=" ") if row["closed_at"] else None,
    }


def list_json(
    engine: Engine,
    now: datetime,
    shop: str | None = None,
    include_closed: bool = False,
    owner: str | None = None,
    overdue: bool = False,
    limit: int = 500,
) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        shops = load_shops(conn)
        ids = None if shop is None else tuple(select_shops(shops, shop))
        rows = store.list_rows(conn, ids, include_closed, owner, now if overdue else None, limit)
    names = {i: f"{s.platform}/{s.shop}" for i, s in shops.items()}
    return [followup_json(row, names, now) for row in rows]


def close(
    engine: Engine, followup_id: int, outcome: str, actor: str, now: datetime, note: str = ""
) -> dict[str, Any]:
    if outcome not in OUTCOMES:
        raise FollowupRefused(f"未知结果 unknown outcome {outcome!r} (one of {', '.join(OUTCOMES)})")

    def work(conn: Connection) -> dict[str, Any]:
        row = _open(conn, followup_id)
        values = {"status": "closed", "outcome": outcome, "note": note, "closed_by": actor, "closed_at": now}
        store.change(conn, followup_id, **values)
        detail = f"回访完成 follow-up {followup_id} closed: {OUTCOMES[outcome]} {outcome}" + (
            f" — {note}" if note else ""
        )
        record(conn, [TimelineEntry(row["shop_id"], row["order_no"], now, "followup_closed", detail, actor)])
        return followup_json({**row, **values}, {}, now)

    return run_transaction(engine, work)


def assign(engine: Engine, followup_id: int, owner: str, actor: str, now: datetime) -> dict[str, Any]:
    def work(conn: Connection) -> dict[str, Any]:
        row = _open(conn, followup_id)
        store.change(conn, followup_id, owner=owner)
        detail = f"回访 follow-up {followup_id} 指派给 assigned to {owner}"
        record(
            conn, [TimelineEntry(row["shop_id"], row["order_no"], now, "followup_assigned", detail, actor)]
        )
        return followup_json({**row, "owner": owner}, {}, now)

    return run_transaction(engine, work)


def _open(conn: Connection, followup_id: int) -> dict[str, Any]:
    row = store.get(conn, followup_id, lock=True)
    if row is None:
        raise FollowupRefused(f"没有回访任务 no follow-up {followup_id}")
    if row["status"] != "open":
        raise FollowupRefused(
            f"回访 {followup_id} 已关闭 / follow-up {followup_id} was closed already "
            f"({row['outcome']}, by {row['closed_by']})"
        )
    return row
