"""Telling the marketplaces what shipped: each platform's batch-ship upload file (订单号 + 物流公司 + 运单号
in its own format) and the platforms' "shipped" API through their notifiers (platforms.shipping_api)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine

from lanshou.db.engine import run_transaction
from lanshou.orders.keys import OrderKey
from lanshou.orders.timeline import TimelineEntry, record
from lanshou.platforms.douyin.api import DoudianCredentials, doudian_notifier
from lanshou.platforms.shipping_api import Shipment, ShippedNotifier, ShippingRefused, ship_file_writer
from lanshou.platforms.taobao.api import TopCredentials, top_notifier
from lanshou.shipping.pool_store import utc_now


@dataclass(frozen=True, slots=True)
class ShippedRow:
    key: OrderKey
    platform: str
    carrier: str
    tracking_no: str

    def shipment(self) -> Shipment:
        return Shipment(self.key[1], self.carrier, self.tracking_no)


def write_upload_files(rows: Sequence[ShippedRow], folder: Path) -> tuple[list[str], list[str]]:
    """One upload file per platform in `folder`; returns (files written, problems)."""
    by_platform: dict[str, list[Shipment]] = defaultdict(list)
    for row in rows:
        by_platform[row.platform].append(row.shipment())
    folder.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    notes: list[str] = []
    for platform, shipments in sorted(by_platform.items()):
        try:
            writer = ship_file_writer(platform)
            data = writer.write(shipments)
        except (LookupError, ShippingRefused) as exc:
            notes.append(f"{platform}: {exc}")
            continue
        path = folder / writer.filename
        path.write_bytes(data)
        files.append(str(path))
    return files, notes


Notifiers = Mapping[int | str, ShippedNotifier]  # by shop id, or by platform for every shop of it


def notify_platforms(
    engine: Engine, rows: Sequence[ShippedRow], notifiers: Notifiers, actor: str
) -> list[str]:
    """Call each shop's notifier (its own, else its platform's) with its shipped orders; every answer goes
    to the order's timeline. Returns the failures, one line each."""
    groups: dict[int, tuple[ShippedNotifier, list[ShippedRow]]] = {}
    for row in rows:
        notifier = notifiers.get(row.key[0]) or notifiers.get(row.platform)
        if notifier is not None:
            groups.setdefault(id(notifier), (notifier, []))[1].append(row)
    entries: list[TimelineEntry] = []
    notes: list[str] = []
    now = utc_now()
    for notifier, mine in groups.values():
        results = notifier.notify_shipped([row.shipment() for row in mine])
        for row, result in zip(mine, results, strict=True):
            shop_id, order_no = row.key
            platform = row.platform
            if result.ok:
                detail = f"{platform} 已回传发货 told the platform: {row.carrier} {row.tracking_no}"
                entries.append(TimelineEntry(shop_id, order_no, now, "platform_notified", detail, actor))
                continue
            notes.append(f"{platform} {order_no}: {result.error}")
            detail = f"{platform} 回传失败 platform not told: {result.error} {result.code}".strip()
            entries.append(TimelineEntry(shop_id, order_no, now, "platform_notify_failed", detail, actor))
    if entries:
        run_transaction(engine, lambda conn: record(conn, entries))
    return notes


def notifier_from_settings(platform: str, settings: Mapping[str, object]) -> ShippedNotifier | None:
    """The shop's "shipped" API client from its settings {"api": {"app_key", "app_secret", "session"}}
    (Douyin: "access_token"), or None when it has none (then upload the batch-ship file)."""
    api = settings.get("api")
    if not isinstance(api, Mapping) or not api.get("app_key") or not api.get("app_secret"):
        return None
    key, secret = str(api["app_key"]), str(api["app_secret"])
    client = httpx.Client(timeout=15.0)
    if platform in ("taobao", "tmall"):
        creds = TopCredentials(key, secret, str(api.get("session", "")))
        return top_notifier(creds, client, platform=platform)
    if platform == "douyin":
        return doudian_notifier(DoudianCredentials(key, secret, str(api.get("access_token", ""))), client)
    return None
