"""Telling the marketplaces what shipped: each platform's batch-ship upload file (订单号 + 物流公司 + 运单号
in its own format) and the platforms' "shipped" API through their notifiers (platforms.shipping_api).

A split order (拆单) ships in several parcels but a platform marks an order shipped once: its batch-ship
file has one row per order (订单号 is the row's key; a second row for the same order is refused as already
shipped, or replaces the first waybill), and "shipped" is one call per order. So only the order's first
parcel goes there; each later part is an additional package (追加包裹/多包裹) written to its own file,
`<platform>_追加包裹.csv` (same columns and encoding), for the seller centre's add-package function, and
noted in the order's timeline instead of a second "shipped" call."""

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
from lanshou.shops.model import ShopInfo


@dataclass(frozen=True, slots=True)
class ShippedRow:
    key: OrderKey
    platform: str
    carrier: str
    tracking_no: str
    additional: bool = False  # a later parcel of a split order: an additional package, not "shipped"

    def shipment(self) -> Shipment:
        return Shipment(self.key[1], self.carrier, self.tracking_no)


ADDITIONAL_NAME = "{platform}_追加包裹.csv"


def write_upload_files(rows: Sequence[ShippedRow], folder: Path) -> tuple[list[str], list[str]]:
    """One batch-ship file per platform in `folder` (each order once), and one file of additional packages
    per platform that has some; returns (files written, problems)."""
    by_file: dict[tuple[str, bool], list[Shipment]] = defaultdict(list)
    for row in rows:
        by_file[(row.platform, row.additional)].append(row.shipment())
    folder.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    notes: list[str] = []
    for (platform, additional), shipments in sorted(by_file.items()):
        try:
            writer = ship_file_writer(platform)
            data = writer.write(shipments)
        except (LookupError, ShippingRefused) as exc:
            notes.append(f"{platform}: {exc}")
            continue
        path = folder / (ADDITIONAL_NAME.format(platform=platform) if additional else writer.filename)
        path.write_bytes(data)
        files.append(str(path))
        if additional:
            notes.append(
                f"{platform}: {len(shipments)} 个追加包裹 additional packages of split orders (拆单) in "
                f"{path.name}: add them in the seller centre, they are not in the batch-ship file"
            )
    return files, notes


Notifiers = Mapping[int | str, ShippedNotifier]  # by shop id, or by platform for every shop of it


def notify_platforms(
    engine: Engine, rows: Sequence[ShippedRow], notifiers: Notifiers, actor: str
) -> list[str]:
    """Call each shop's notifier (its own, else its platform's) with its shipped orders; every answer goes
    to the order's timeline. Returns the failures, one line each."""
    groups: dict[int, tuple[ShippedNotifier, list[ShippedRow]]] = {}
    told = [row for row in rows if notifiers.get(row.key[0]) or notifiers.get(row.platform)]
    entries, notes = _additional_packages([row for row in told if row.additional], actor)
    for row in told:
        if not row.additional:
            notifier = notifiers.get(row.key[0]) or notifiers[row.platform]
            groups.setdefault(id(notifier), (notifier, []))[1].append(row)
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


def _additional_packages(rows: Sequence[ShippedRow], actor: str) -> tuple[list[TimelineEntry], list[str]]:
    """Later parcels of split orders: the platform API has no "shipped again"; say so where staff look."""
    entries: list[TimelineEntry] = []
    notes: list[str] = []
    now = utc_now()
    for row in rows:
        detail = (
            f"{row.platform} 追加包裹 additional package {row.carrier} {row.tracking_no}: "
            f'not sent as "shipped" again: add it in the seller centre '
            f"({ADDITIONAL_NAME.format(platform=row.platform)})"
        )
        entries.append(
            TimelineEntry(row.key[0], row.key[1], now, "platform_additional_package", detail, actor)
        )
        notes.append(
            f"{row.platform} {row.key[1]}: 追加包裹 additional package {row.tracking_no} to add by hand"
        )
    return entries, notes


def notifiers_for(shops: Mapping[int, ShopInfo]) -> tuple[dict[int | str, ShippedNotifier], list[str]]:
    """Each shop's "shipped" API client from its settings, and the names of the shops that have none
    (their orders go to the batch-ship upload file only)."""
    found: dict[int | str, ShippedNotifier] = {}
    without: list[str] = []
    for shop_id, info in shops.items():
        notifier = notifier_from_settings(info.platform, info.settings)
        if notifier is None:
            without.append(info.shop)
        else:
            found[shop_id] = notifier
    return found, without


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
