"""The delivery log: each message with its state, newest first (the JSON shape the CLI and API share).
Recipients are masked (138****5678, a***@example.com) unless the caller asks otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from lanshou.notifications.model import mask_recipient
from lanshou.notifications.tables import notify_outbox

STATES = ("pending", "held_quiet", "rate_limited", "sending", "sent", "failed", "opted_out", "skipped")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def delivery_log(
    conn: Connection,
    shop_ids: Iterable[int] | None = None,
    *,
    state: str | None = None,
    order_no: str | None = None,
    limit: int = 200,
    unmask: bool = False,
) -> list[dict[str, Any]]:
    o = notify_outbox.c
    query = select(notify_outbox).order_by(o.created_at.desc(), o.id.desc()).limit(limit)
    if shop_ids is not None:
        query = query.where(o.shop_id.in_(list(shop_ids)))
    if state is not None:
        query = query.where(o.state == state)
    if order_no is not None:
        query = query.where(o.order_no == order_no)
    return [
        {
            "id": r.id,
            "shop_id": r.shop_id,
            "order_no": r.order_no,
            "tracking_no": r.tracking_no,
            "stage": r.stage,
            "alert_kind": r.alert_kind,  # the exception stage: which alert; "" otherwise
            "channel": r.channel,
            "template": r.template,
            "language": r.language,
            "recipient": r.recipient if unmask else mask_recipient(r.recipient) if r.recipient else "",
            "state": r.state,
            "attempts": r.attempts,
            "next_attempt_at": _iso(r.next_attempt_at),
            "last_error": r.last_error,
            "created_at": _iso(r.created_at),
            "sent_at": _iso(r.sent_at),
            "key": r.idempotency_key,
        }
        for r in conn.execute(query)
    ]
