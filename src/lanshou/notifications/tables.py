"""Notification rules, merchant templates, per-shop settings, the outbox (delivery log) and opt-outs.

The outbox is also the delivery log: one row per message, written in the same transaction as the change
that caused it (a transactional outbox), keyed by a UNIQUE idempotency key (shop, order or `*`, parcel,
stage, channel). Inserting with ON CONFLICT DO NOTHING makes a replayed event, or the same event seen by
two processes, one message; a worker claims a row by a conditional UPDATE, so two workers never send it
twice.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lanshou.db.metadata import metadata

# event/stage + CEL condition → template → channel, per shop; the first enabled match (by position) per
# stage and channel is the one that sends.
notify_rules = Table(
    "notify_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("stage", String(32), nullable=False),  # notifications.model.Stage
    Column("condition", Text, nullable=False, server_default=""),  # CEL (lanshou.rules); "" = always
    Column("template", String(64), nullable=False, server_default="default"),
    Column("channel", String(16), nullable=False),  # notifications.model.ChannelKind
    Column("language", String(8), nullable=False, server_default="zh-CN"),
    Column("position", Integer, nullable=False, server_default="0"),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("shop_id", "name", name="uq_notify_rules_name"),
)
Index("ix_notify_rules_shop_stage", notify_rules.c.shop_id, notify_rules.c.stage)

# A merchant's template: one text per (name, language, format); formats it does not give come from the
# built-in templates. Stored only after it rendered against the documented samples.
notify_templates = Table(
    "notify_templates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("format", String(20), nullable=False),  # notifications.templates.TemplateFormat
    Column("source", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("shop_id", "name", "language", "format", name="uq_notify_templates_part"),
)

# Quiet hours, the per-buyer rate limit and channel settings (JSON per channel kind) of a shop.
notify_settings = Table(
    "notify_settings",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("quiet_start", String(5)),  # "22:00" shop-local; NULL = no quiet hours
    Column("quiet_end", String(5)),
    Column("rate_max", Integer),  # at most rate_max messages per buyer per rate_window_s; NULL = no limit
    Column("rate_window_s", Integer),
    Column("channels", Text, nullable=False, server_default="{}"),
    # personalisation the templates see (is_high_value, is_repeat_buyer); NULL = the built-in defaults
    Column("high_value", Numeric(14, 2)),
    Column("repeat_after", Integer),  # previous paid orders that make a buyer a repeat buyer
    Column("long_transit_h", Integer),  # in transit this long → the in_transit_long stage (default 72)
    # merchant-defined buyer segments: JSON {name: condition in the rule language}
    Column("segments", Text, nullable=False, server_default="{}"),
    Column("updated_at", DateTime, nullable=False),
)

notify_outbox = Table(
    "notify_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("idempotency_key", String(400), nullable=False),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("order_no", String(64), nullable=False),
    Column("tracking_no", String(64), nullable=False, server_default=""),  # "" for order stages
    Column("stage", String(32), nullable=False),
    # the exception stage: the alert kind (lanshou.sla) or carrier status that made it; "" otherwise
    Column("alert_kind", String(32), nullable=False, server_default=""),
    Column("channel", String(16), nullable=False),
    Column("rule_id", Integer),
    Column("template", String(64), nullable=False, server_default="default"),
    Column("language", String(8), nullable=False, server_default="zh-CN"),
    Column("buyer_key", String(200), nullable=False, server_default=""),
    Column("recipient", Text, nullable=False, server_default=""),  # stored whole, masked when shown
    # pending | held_quiet | rate_limited | sending | sent | failed | opted_out | skipped
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime),  # due time of pending / held rows
    Column("claimed_at", DateTime),  # when a worker took it (state sending)
    Column("last_error", Text, nullable=False, server_default=""),
    Column("provider_id", String(200), nullable=False, server_default=""),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    UniqueConstraint("idempotency_key", name="uq_notify_outbox_key"),
)
Index("ix_notify_outbox_due", notify_outbox.c.state, notify_outbox.c.next_attempt_at)
Index("ix_notify_outbox_buyer_sent", notify_outbox.c.buyer_key, notify_outbox.c.sent_at)
Index("ix_notify_outbox_shop_created", notify_outbox.c.shop_id, notify_outbox.c.created_at)

# A buyer's refusal, of one channel or of all ("*").
notify_optouts = Table(
    "notify_optouts",
    metadata,
    Column("buyer_key", String(200), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
)

# A message to a buyer segment with a template and maybe a coupon code (`lanshou buyers segment NAME
# --send TEMPLATE`): one per shop and name; running it again queues nothing twice.
notify_campaigns = Table(
    "notify_campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("segment", String(100), nullable=False),
    Column("template", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("language", String(8), nullable=False),
    Column("coupon", String(64), nullable=False, server_default=""),
    Column("created_by", String(64), nullable=False, server_default=""),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("shop_id", "name", name="uq_notify_campaigns_name"),
)

# Which outbox message belongs to which campaign, and to which buyer profile (lanshou.buyers).
notify_campaign_messages = Table(
    "notify_campaign_messages",
    metadata,
    Column("outbox_id", Integer, ForeignKey("notify_outbox.id"), primary_key=True),
    Column("campaign_id", Integer, ForeignKey("notify_campaigns.id"), nullable=False),
    Column("profile_key", String(80), nullable=False),
)
Index("ix_notify_campaign_messages_campaign", notify_campaign_messages.c.campaign_id)
