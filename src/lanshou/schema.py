"""Every table of every area in one namespace: for migrations, tests, benchmarks and the demo generator
(which writes them all). Area code imports its own `tables` module and reaches other areas' data through
their queries, never through this."""

from __future__ import annotations

from lanshou.accounts.tables import api_tokens, login_failures, user_changes, user_shop_grants, users
from lanshou.aftersales.tables import aftersale_cases, aftersale_history
from lanshou.buyers.tables import buyer_blacklist_log, buyer_dirty, buyer_orders, buyer_profiles
from lanshou.customers.tables import buyers, feedback
from lanshou.db.metadata import metadata
from lanshou.followups.tables import followups
from lanshou.inventory.tables import reservations, sku_mappings, stock, stock_ledger, warehouses
from lanshou.metrics.tables import (
    metric_dirty_orders,
    metric_dirty_tracking,
    metric_misses,
    metric_orders,
    metric_parcels,
    metric_queue,
    rollup_delivery,
    rollup_delivery_carrier,
    rollup_delivery_province,
    rollup_feedback,
    rollup_freshness,
    rollup_pickup,
    rollup_promise,
)
from lanshou.notifications.tables import (
    notify_campaign_messages,
    notify_campaigns,
    notify_optouts,
    notify_outbox,
    notify_rules,
    notify_settings,
    notify_templates,
)
from lanshou.orders.tables import order_events, order_lines, orders
from lanshou.review.tables import review_blacklist, review_state, shipment_parts
from lanshou.rules.tables import rules
from lanshou.shipping.tables import (
    batch_files,
    batch_labels,
    carrier_configs,
    ship_leases,
    shipment_waybills,
    waybill_numbers,
)
from lanshou.shops.tables import shops
from lanshou.sla.tables import alert_scans, alerts
from lanshou.stats.tables import (
    stats_carrier_damage,
    stats_case_facts,
    stats_category,
    stats_category_span,
    stats_daily,
    stats_dirty,
    stats_line_facts,
    stats_order_facts,
    stats_province,
    stats_province_span,
    stats_reason_span,
    stats_returns,
    stats_returns_span,
    stats_sku,
    stats_sku_span,
)
from lanshou.tracking.tables import (
    lane_stats,
    parcel_orders,
    parcel_state,
    parcels,
    tracking_events,
    tracking_inbox,
    tracking_subscriptions,
)

__all__ = [
    "aftersale_cases",
    "aftersale_history",
    "alert_scans",
    "alerts",
    "api_tokens",
    "batch_files",
    "batch_labels",
    "buyer_blacklist_log",
    "buyer_dirty",
    "buyer_orders",
    "buyer_profiles",
    "buyers",
    "carrier_configs",
    "feedback",
    "followups",
    "lane_stats",
    "login_failures",
    "metadata",
    "metric_dirty_orders",
    "metric_dirty_tracking",
    "metric_misses",
    "metric_orders",
    "metric_parcels",
    "metric_queue",
    "notify_campaign_messages",
    "notify_campaigns",
    "notify_optouts",
    "notify_outbox",
    "notify_rules",
    "notify_settings",
    "notify_templates",
    "order_events",
    "order_lines",
    "orders",
    "parcel_orders",
    "parcel_state",
    "parcels",
    "reservations",
    "review_blacklist",
    "review_state",
    "rollup_delivery",
    "rollup_delivery_carrier",
    "rollup_delivery_province",
    "rollup_feedback",
    "rollup_freshness",
    "rollup_pickup",
    "rollup_promise",
    "rules",
    "ship_leases",
    "shipment_parts",
    "shipment_waybills",
    "shops",
    "sku_mappings",
    "stats_carrier_damage",
    "stats_case_facts",
    "stats_category",
    "stats_category_span",
    "stats_daily",
    "stats_dirty",
    "stats_line_facts",
    "stats_order_facts",
    "stats_province",
    "stats_province_span",
    "stats_reason_span",
    "stats_returns",
    "stats_returns_span",
    "stats_sku",
    "stats_sku_span",
    "stock",
    "stock_ledger",
    "tracking_events",
    "tracking_inbox",
    "tracking_subscriptions",
    "user_changes",
    "user_shop_grants",
    "users",
    "warehouses",
    "waybill_numbers",
]
