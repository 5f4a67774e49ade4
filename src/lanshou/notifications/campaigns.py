"""Segment campaigns: one message per buyer of a segment (lanshou.buyers), with a template and maybe a coupon
code, through the outbox and channels every notification uses.

Queueing writes one outbox row per buyer in one transaction, keyed by (shop, campaign, buyer profile,
channel): running the same campaign again inserts nothing for a buyer already there, so nobody hears twice.
A buyer who opted out (of this channel or all, under any buyer key of their orders) gets a row in state
`opted_out`, one with no contact on the channel a row in state `skipped`: both are in the notification log
and the order's timeline, neither is ever sent. The rest are `pending`; the worker (or `lanshou notify
send-due`) sends them, with quiet hours, the rate limit and a last opt-out check as for any message. The
message is logged against the buyer's latest order in the shop; its template sees the order's facts, the
buyer profile (`buyer.tier`, `buyer.orders`, `buyer.spend`), `campaign` and `coupon`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, select

from lanshou.buyers.members import SegmentMember, segment_members
from lanshou.buyers.tables import buyer_profiles
from lanshou.db.bulk import insert_new
from lanshou.db.engine import run_transaction
from lanshou.notifications.compose import template_set
from lanshou.notifications.context import NotificationFacts
from lanshou.notifications.facts_store import OrderFacts, load_order_facts
from lanshou.notifications.model import ChannelKind, Stage
from lanshou.notifications.outbox import recipient_for
from lanshou.notifications.policy import idempotency_key
from lanshou.notifications.settings_store import load_settings
from lanshou.notifications.store import (
    ALL_CHANNELS,
    DEFAULT_TEMPLATE,
    NotifyInputError,
    parse_channel,
    parse_language,
    template_overrides,
)
from lanshou.notifications.tables import (
    notify_campaign_messages,
    notify_campaigns,
    notify_optouts,
    notify_outbox,
)
from lanshou.notifications.templates import TemplateError
from lanshou.orders.timeline import SYSTEM, TimelineEntry, record

COUPON = re.compile(r"[A-Za-z0-9_\-]{1,64}")
OPTED_OUT = "opted_out: 买家已退订 the buyer opted out of this channel"
NO_CONTACT = "no_recipient: 没有收件人 the buyer has no address on this channel"


class CampaignError(ValueError):
    """A campaign that cannot be queued as asked: nothing was written."""


@dataclass(frozen=True)
class Campaign:
    shop_id: int
    name: str
    segment: str
    template: str
    channel: ChannelKind
    language: str
    coupon: str = ""

    def settings(self) -> dict[str, str]:
        return {
            "segment": self.segment,
            "template": self.template,
            "channel": self.channel.value,
            "language": self.language,
            "coupon": self.coupon,
        }


@dataclass(frozen=True)
class CampaignReport:
    campaign: str
    segment: str
    channel: str
    template: str
    coupon: str
    members: int  # buyers of the segment with an order in the shop
    queued: int  # new messages waiting to be sent
    opted_out: int  # new rows for buyers who opted out: never sent
    no_contact: int  # new rows for buyers with no address on the channel: never sent
    already: int  # buyers this campaign already has a row for (nothing new for them)
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def campaign(
    shop_id: int,
    segment: str,
    template: str,
    channel: str,
    language: str = "zh-CN",
    coupon: str = "",
    name: str = "",
) -> Campaign:
    """Checks the parts (CampaignError naming the bad one); the name defaults to segment-template-channel
    (-coupon), so the same command names the same campaign."""
    try:
        kind, language = parse_channel(channel), parse_language(language)
    except NotifyInputError as exc:
        raise CampaignError(str(exc)) from None
    coupon = coupon.strip()
    if coupon and not COUPON.fullmatch(coupon):
        raise CampaignError(
            f"优惠码只含字母、数字、_ - (最多 64 个) a coupon code is 1–64 of A-Z a-z 0-9 _ -: {coupon!r}"
        )
    name = name.strip() or "-".join(filter(None, (segment, template, kind.value, coupon)))
    if len(name) > 100 or not name.isprintable():
        raise CampaignError("活动名过长或含控制字符 a campaign name is at most 100 printable characters")
    return Campaign(shop_id, name, segment, template, kind, language, coupon)


def queue_campaign(
    engine: Engine, wanted: Campaign, now: datetime, actor: str = "", dry_run: bool = False
) -> CampaignReport:
    """Queue (or with dry_run only count) the campaign's messages. Raises CampaignError or LookupError (an
    unknown segment) before anything is written."""
    with engine.connect() as conn:
        _check_template(conn, wanted)
    members = segment_members(engine, wanted.segment, wanted.shop_id, now)

    def work(conn: Connection) -> CampaignReport:
        campaign_id = _campaign_id(conn, wanted, now, actor, create=not dry_run)
        rows = _rows(conn, wanted, members, now)
        keys = [row["idempotency_key"] for row in rows]
        o = notify_outbox.c
        there = set(conn.execute(select(o.idempotency_key).where(o.idempotency_key.in_(keys))).scalars())
        fresh = [row for row in rows if row["idempotency_key"] not in there]
        if not dry_run and fresh:
            outbox_rows = [{k: v for k, v in row.items() if k != "profile_key"} for row in fresh]
            insert_new(conn, notify_outbox, outbox_rows, ["idempotency_key"])
            # what this run wrote: a run of the same campaign at the same moment may have written the rest
            fresh = _link(conn, wanted, campaign_id, fresh, now, actor)
        states = [row["state"] for row in fresh]
        return CampaignReport(
            wanted.name,
            wanted.segment,
            wanted.channel.value,
            wanted.template,
            wanted.coupon,
            len(members),
            states.count("pending"),
            states.count("opted_out"),
            states.count("skipped"),
            len(rows) - len(fresh),
            dry_run,
        )

    if dry_run:
        with engine.connect() as conn:
            return work(conn)
    return run_transaction(engine, work)


def _check_template(conn: Connection, wanted: Campaign) -> None:
    overrides = template_overrides(conn, wanted.shop_id, wanted.template, wanted.language)
    if wanted.template != DEFAULT_TEMPLATE and not overrides:
        raise CampaignError(
            f"没有这个模板 no template {wanted.template!r} in {wanted.language} for this shop "
            "(lanshou notify templates add …, or default)"
        )
    try:
        template_set(Stage.CAMPAIGN, wanted.language, overrides)
    except TemplateError as exc:
        raise CampaignError(str(exc)) from None


def _campaign_id(conn: Connection, wanted: Campaign, now: datetime, actor: str, create: bool) -> int | None:
    """The campaign's row (made on its first run); a name already used with other settings is refused."""
    c = notify_campaigns.c
    query = select(notify_campaigns).where(c.shop_id == wanted.shop_id, c.name == wanted.name)
    row = conn.execute(query).first()
    if row is None and create:
        values = {"shop_id": wanted.shop_id, "name": wanted.name, **wanted.settings()}
        insert_new(
            conn,
            notify_campaigns,
            [{**values, "created_by": actor[:64], "created_at": now}],
            ["shop_id", "name"],
        )
        row = conn.execute(query).one()
    if row is None:
        return None
    stored = {k: getattr(row, k) for k in wanted.settings()}
    if stored != wanted.settings():
        differ = ", ".join(f"{k} {stored[k]!r}" for k in stored if stored[k] != wanted.settings()[k])
        raise CampaignError(
            f"活动 {wanted.name!r} 已存在且设置不同 campaign {wanted.name!r} exists with {differ}: "
            "give another --campaign name"
        )
    return int(row.id)


def _opted_out(conn: Connection, buyer_keys: Sequence[str], channel: ChannelKind) -> set[str]:
    t = notify_optouts.c
    found: set[str] = set()
    for start in range(0, len(buyer_keys), 500):
        query = select(t.buyer_key).where(
            t.buyer_key.in_(buyer_keys[start : start + 500]), t.channel.in_((ALL_CHANNELS, channel.value))
        )
        found.update(conn.execute(query).scalars())
    return found


def _reachable(channel: ChannelKind, recipient: str) -> str:
    """The address, or "" when there is none to send to (a marketplace's masked phone 138****5678 is none)."""
    if channel is ChannelKind.SMS and "*" in recipient:
        return ""
    return recipient.strip()


def _rows(
    conn: Connection, wanted: Campaign, members: Sequence[SegmentMember], now: datetime
) -> list[dict[str, Any]]:
    facts = load_order_facts(conn, [m.order for m in members])
    refused = _opted_out(conn, sorted({k for m in members for k in m.buyer_keys}), wanted.channel)
    settings = load_settings(conn, wanted.shop_id, "UTC")
    webhook_url = str(settings.channel("webhook").get("url", ""))
    rows = []
    for member in members:
        order: OrderFacts | None = facts.get(member.order)
        if order is None:
            continue
        recipient = _reachable(wanted.channel, recipient_for(conn, wanted.channel, order, webhook_url))
        state, error = "pending", ""
        if refused & set(member.buyer_keys):
            state, error = "opted_out", OPTED_OUT
        elif not recipient:
            state, error = "skipped", NO_CONTACT
        rows.append(
            {
                "idempotency_key": message_key(wanted, member.profile_key),
                "shop_id": wanted.shop_id,
                "order_no": order.order_no,
                "tracking_no": "",
                "stage": Stage.CAMPAIGN.value,
                "channel": wanted.channel.value,
                "rule_id": None,
                "template": wanted.template,
                "language": wanted.language,
                "buyer_key": order.buyer_key,
                "recipient": recipient,
                "state": state,
                "attempts": 0,
                "next_attempt_at": now if state == "pending" else None,
                "last_error": error,
                "provider_id": "",
                "created_at": now,
                "updated_at": now,
                "profile_key": member.profile_key,
            }
        )
    return rows


def message_key(wanted: Campaign, profile_key: str) -> str:
    """One message per campaign, buyer and channel."""
    return idempotency_key(wanted.shop_id, wanted.name, profile_key, Stage.CAMPAIGN, wanted.channel.value)


def _link(
    conn: Connection,
    wanted: Campaign,
    campaign_id: int | None,
    rows: list[dict[str, Any]],
    now: datetime,
    actor: str,
) -> list[dict[str, Any]]:
    """Tie this call's new outbox rows to the campaign, and say in each order's timeline what happened;
    returns those rows (of `rows`, the ones this call inserted)."""
    assert campaign_id is not None
    o = notify_outbox.c
    profile_of = {row["idempotency_key"]: row for row in rows}
    query = select(o.id, o.idempotency_key).where(
        o.idempotency_key.in_(list(profile_of)), o.created_at == now
    )
    mine = [(r.id, profile_of[r.idempotency_key]) for r in conn.execute(query)]
    links = [
        {"outbox_id": i, "campaign_id": campaign_id, "profile_key": row["profile_key"]} for i, row in mine
    ]
    insert_new(conn, notify_campaign_messages, links, ["outbox_id"])
    kinds = {
        "pending": "campaign_queued",
        "opted_out": "notification_skipped",
        "skipped": "notification_skipped",
    }
    entries = []
    for _, row in mine:
        what = f"campaign {wanted.name} via {row['channel']}, template {row['template']}"
        detail = "queued 已排队" if row["state"] == "pending" else row["last_error"]
        entries.append(
            TimelineEntry(
                row["shop_id"],
                row["order_no"],
                now,
                kinds[row["state"]],
                f"{what}: {detail}",
                actor[:64] or SYSTEM,
            )
        )
    record(conn, entries)
    return [row for _, row in mine]


def campaign_facts(conn: Connection, outbox_id: int, facts: NotificationFacts) -> NotificationFacts:
    """The facts of a campaign message: its order's, plus the campaign, its coupon and the buyer profile."""
    m, c, p = notify_campaign_messages.c, notify_campaigns.c, buyer_profiles.c
    row = conn.execute(
        select(c.name, c.coupon, p.tier, p.orders, p.spend)
        .select_from(notify_campaign_messages.join(notify_campaigns, c.id == m.campaign_id))
        .outerjoin(buyer_profiles, p.key == m.profile_key)
        .where(m.outbox_id == outbox_id)
    ).first()
    if row is None:
        return facts
    buyer = replace(
        facts.buyer, tier=row.tier or "", orders=int(row.orders or 0), spend=Decimal(str(row.spend or 0))
    )
    return replace(facts, campaign=row.name, coupon=row.coupon, buyer=buyer)
