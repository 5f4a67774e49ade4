"""Follow-up use cases for the faces: list, assign, close (with an outcome). JSON shapes live here."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from lanshou.accounts.roles import Permission
from lanshou.accounts.service import users_of_shops, users_of_shops_over
from lanshou.bilingual import Bilingual
from lanshou.customers.masking import mask_name, mask_phone
from lanshou.customers.store import feedback_of
from lanshou.db.engine import run_transaction
from lanshou.db.paging import cut
from lanshou.followups import store
from lanshou.followups.store import FollowupPosition
from lanshou.orders.facts import receivers
from lanshou.orders.timeline import TimelineEntry, record
from lanshou.shops.model import ShopInfo, only_shops, select_shops
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


class FollowupNotFound(FollowupRefused):
    """No such follow-up, or one of a shop the caller is not granted: the two are not told apart."""


class UnknownOutcome(FollowupRefused):
    """An outcome that is not one of OUTCOMES."""


def buyer_json(receiver: tuple[str, str] | None, unmask: bool) -> dict[str, Any]:
    """Whom the follow-up calls: the order's receiver (name, phone), masked (张*, 138****5678) unless
    `unmask`."""
    name, phone = receiver or ("", "")
    if not unmask:
        name, phone = mask_name(name), mask_phone(phone)
    return {"name": name, "phone": phone, "masked": not unmask}


def _details(conn: Connection, rows: list[dict[str, Any]], unmask: bool) -> dict[int, dict[str, Any]]:
    """Per follow-up id, what the buyer wrote (the feedback that opened it) and whom to call back."""
    keys = sorted({(row["shop_id"], row["order_no"]) for row in rows})
    said = {(f["shop_id"], f["order_no"], f["created_at"]): f["content"] for f in feedback_of(conn, keys)}
    orders = receivers(conn, keys)
    return {
        row["id"]: {
            "feedback": said.get((row["shop_id"], row["order_no"], row["feedback_at"]), ""),
            "buyer": buyer_json(orders.get((row["shop_id"], row["order_no"])), unmask),
        }
        for row in rows
    }


def followup_json(
    row: dict[str, Any], shop_names: dict[int, str], now: datetime, details: dict[str, Any] | None = None
) -> dict[str, Any]:
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
        **(details or {"feedback": "", "buyer": buyer_json(None, False)}),
    }


def list_json(
    engine: Engine,
    now: datetime,
    shop: str | None = None,
    include_closed: bool = False,
    owner: str | None = None,
    overdue: bool = False,
    limit: int = 500,
    shop_ids: Collection[int] | None = None,
    after: FollowupPosition | None = None,
    unmask: bool = False,
) -> list[dict[str, Any]]:
    """Open follow-ups (closed ones too with `include_closed`, after the open), soonest due first; of the
    shop `shop` names, among `shop_ids` (a user's grants) when given; only those after `after` when given.
    Each with the feedback's text and the buyer, masked unless `unmask`."""
    with engine.connect() as conn:
        shops = load_shops(conn)
        granted = only_shops(shops, shop_ids)
        ids = None if shop is None and shop_ids is None else tuple(select_shops(granted, shop))
        rows = store.list_rows(conn, ids, include_closed, owner, now if overdue else None, limit, after)
        details = _details(conn, rows, unmask)
    names = _shop_names(shops)
    return [followup_json(row, names, now, details[row["id"]]) for row in rows]


def list_page(
    engine: Engine, now: datetime, limit: int, after: FollowupPosition | None = None, **filters: Any
) -> tuple[list[dict[str, Any]], FollowupPosition | None]:
    """Up to `limit` follow-ups after `after` (list_json's order and `filters`), and the position to go
    on from (None: no more)."""
    rows = list_json(engine, now, limit=limit + 1, after=after, **filters)
    return cut(rows, limit, FollowupPosition.of)


def _shop_names(shops: dict[int, ShopInfo]) -> dict[int, str]:
    return {i: f"{s.platform}/{s.shop}" for i, s in shops.items()}


def close(
    engine: Engine,
    followup_id: int,
    outcome: str,
    actor: str,
    now: datetime,
    note: str = "",
    shop_ids: Collection[int] | None = None,
) -> dict[str, Any]:
    """Close an open follow-up with its outcome; `shop_ids`: only one of these shops (else not found)."""
    if outcome not in OUTCOMES:
        zh, en, known = "未知结果", "unknown outcome", f"{outcome!r} (one of {', '.join(OUTCOMES)})"
        raise UnknownOutcome(Bilingual(f"{zh} {known}", f"{en} {known}", f"{zh} {en} {known}"))

    def work(conn: Connection) -> dict[str, Any]:
        row = _open(conn, followup_id, shop_ids)
        values = {"status": "closed", "outcome": outcome, "note": note, "closed_by": actor, "closed_at": now}
        store.change(conn, followup_id, **values)
        detail = f"回访完成 follow-up {followup_id} closed: {OUTCOMES[outcome]} {outcome}" + (
            f" — {note}" if note else ""
        )
        record(conn, [TimelineEntry(row["shop_id"], row["order_no"], now, "followup_closed", detail, actor)])
        closed = {**row, **values}
        return followup_json(
            closed, _shop_names(load_shops(conn)), now, _details(conn, [closed], False)[row["id"]]
        )

    return run_transaction(engine, work)


def assign(
    engine: Engine,
    followup_id: int,
    owner: str,
    actor: str,
    now: datetime,
    shop_ids: Collection[int] | None = None,
    users_only: bool = False,
) -> dict[str, Any]:
    """Give an open follow-up to `owner`; `shop_ids`: only one of these shops (else not found).
    `users_only`: the owner is an active user who may see the follow-up's shop and close it
    (owner_choices), or the
    owner it has (a name the shop's settings gave, kept)."""
    owner = owner.strip()
    if not owner:  # else a silent unassignment, "assigned to" no one in the timeline
        raise FollowupRefused(
            Bilingual("负责人不能为空", "the owner is empty: name who calls the buyer back")
        )

    def work(conn: Connection) -> dict[str, Any]:
        row = _open(conn, followup_id, shop_ids)
        if (
            users_only
            and owner != row["owner"]
            and owner not in users_of_shops_over(conn, [row["shop_id"]], WORKS_FOLLOWUPS)[row["shop_id"]]
        ):
            raise FollowupRefused(
                Bilingual(
                    f"{owner} 不是此店铺能处理回访的在用账号",
                    f"{owner} is not an active user of this shop who may work follow-ups",
                )
            )
        store.change(conn, followup_id, owner=owner)
        detail = f"回访 follow-up {followup_id} 指派给 assigned to {owner}"
        record(
            conn, [TimelineEntry(row["shop_id"], row["order_no"], now, "followup_assigned", detail, actor)]
        )
        given = {**row, "owner": owner}
        return followup_json(
            given, _shop_names(load_shops(conn)), now, _details(conn, [given], False)[row["id"]]
        )

    return run_transaction(engine, work)


# whom a follow-up may be given to: those who may close it (the pages' and the API's permission for it)
WORKS_FOLLOWUPS = Permission.AFTERSALES_MANAGE


def owner_names(engine: Engine, shop_ids: Sequence[int]) -> list[str]:
    """Every active user of these shops who may work follow-ups: what an owner filter suggests."""
    users = users_of_shops(engine, shop_ids, WORKS_FOLLOWUPS)
    return sorted({name for names in users.values() for name in names})


def owner_choices(
    engine: Engine, rows: list[dict[str, Any]], shop_ids: dict[str, int]
) -> dict[int, list[str]]:
    """Per follow-up id, whom it may be given to: the active users who may see its shop and close it
    (WORKS_FOLLOWUPS; `shop_ids`: the listed shop names' ids), and the owner it has when that is none of
    them (a name from the shop's settings: kept, not lost by re-saving the form)."""
    users = users_of_shops(engine, sorted(set(shop_ids.values())), WORKS_FOLLOWUPS)
    choices = {}
    for row in rows:
        names = list(users.get(shop_ids.get(row["shop"], 0), []))
        if row["owner"] and row["owner"] not in names:
            names.insert(0, row["owner"])
        choices[row["id"]] = names
    return choices


def _open(conn: Connection, followup_id: int, shop_ids: Collection[int] | None) -> dict[str, Any]:
    row = store.get(conn, followup_id, lock=True)
    if row is None or (shop_ids is not None and row["shop_id"] not in shop_ids):
        raise FollowupNotFound(f"没有回访任务 no follow-up {followup_id}")
    if row["status"] != "open":
        zh, by = f"回访 {followup_id} 已关闭", f"({row['outcome']}, by {row['closed_by']})"
        en = f"follow-up {followup_id} was closed already {by}"
        raise FollowupRefused(Bilingual(f"{zh} {by}", en, f"{zh} / {en}"))  # as it was: "中文 / English (…)"
    return row
