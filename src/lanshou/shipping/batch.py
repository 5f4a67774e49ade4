"""Batch shipping for the dashboard and the API: the same `ship` use case `lanshou ship` runs, over the
caller's shops (optionally only some orders), with the labels PDF kept in the database for the browser.

The PDF is drawn into a temporary folder, then stored in `batch_labels` with the shops whose parcels it
holds and who printed it; it is served only to a user granted every one of those shops, by whichever API
process answers (several stateless processes on different machines share nothing but the database). The
id is random (128 bits), never a path.
"""

from __future__ import annotations

import importlib
import re
import secrets
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select

from lanshou.bilingual import Bilingual
from lanshou.review.ready import ReadyShipment
from lanshou.shipping.ship import ShipOptions, ShipRefused, ShipReport, ShopRules
from lanshou.shipping.tables import batch_labels

LABEL_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")


@dataclass(frozen=True)
class BatchRequest:
    shop_ids: tuple[int, ...]  # the caller's shops (already checked)
    order_nos: tuple[str, ...] | None = None  # None: every ready shipment of those shops
    carrier: str = "auto"  # auto, or a carrier code / name
    size: str = "100x180"
    actor: str = "system"
    limit: int | None = None


@dataclass(frozen=True)
class BatchResult:
    report: ShipReport
    label_id: str | None  # None when no label was drawn

    def as_json(self, labels_url: str | None) -> dict[str, object]:
        body = self.report.as_json()
        body["labels"] = labels_url  # never the server's file path
        body["label_id"] = self.label_id
        return body


def ship_batch(engine: Engine, request: BatchRequest) -> BatchResult:
    """Ship the ready shipments of `request.shop_ids` (those holding one of `order_nos`, if given).
    ShipRefused (nothing done) for a bad carrier or size, or without a carrier configuration."""
    from lanshou.review.queries import ready_shipments
    from lanshou.shipping.labels import LabelError, LabelSize
    from lanshou.shipping.pool_import import UnknownCarrier, carrier_of
    from lanshou.shipping.providers import providers_from_environment
    from lanshou.shipping.ship import ship
    from lanshou.shipping.store import config_in_force, lane_table, measured_lanes
    from lanshou.shops.store import load_shops

    try:
        size = LabelSize.parse(request.size)
        forced = None if request.carrier.strip().lower() in ("", "auto") else carrier_of(request.carrier)
    except (LabelError, UnknownCarrier) as exc:
        raise ShipRefused(str(exc)) from None
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.connect() as conn:
        config = config_in_force(conn)
        if config is None:
            raise ShipRefused(
                Bilingual("未配置快递", "no carrier configuration: run `lanshou carriers load FILE` first")
            )
        shops = load_shops(conn)
        lanes = lane_table(measured_lanes(conn, now)) if config.plan.strategy == "best" else {}
        rules = saved_carrier_rules(conn)
        shipments = ready_shipments(conn, shop_ids=list(request.shop_ids))
    chosen = pick(shipments, request.order_nos)[: request.limit]
    if not chosen:
        return BatchResult(ShipReport(), None)
    label_id = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="lanshou-labels-") as folder:
        options = ShipOptions(Path(folder) / f"{label_id}.pdf", size.name, forced, None, request.actor)
        report = ship(
            engine,
            chosen,
            config,
            shops,
            options,
            lanes,
            None,
            providers_from_environment(config.plan),
            rules,
        )
        if not report.labels or not report.labels.is_file():
            return BatchResult(report, None)
        pdf = report.labels.read_bytes()
    owners = sorted({o.shipment.shop_id for o in report.shipped})
    with engine.begin() as conn:
        conn.execute(
            insert(batch_labels).values(
                label_id=label_id,
                shop_ids=",".join(str(shop_id) for shop_id in owners),
                created_by=request.actor[:64],
                created_at=now,
                pages=report.pages,
                pdf=pdf,
            )
        )
    return BatchResult(report, label_id)


def pick(shipments: Sequence[ReadyShipment], order_nos: Collection[str] | None) -> list[ReadyShipment]:
    if order_nos is None:
        return list(shipments)
    wanted = set(order_nos)
    return [s for s in shipments if wanted.intersection(s.order_nos)]


def saved_carrier_rules(conn: object) -> ShopRules | None:
    """The merchant's saved rules of scope "carrier", where the rules area has them (as `lanshou ship`)."""
    try:
        store = importlib.import_module("lanshou.rules.store")
    except ModuleNotFoundError:
        return None
    rules: ShopRules = store.ShopRuleSets(conn, "carrier")
    return rules


def labels_pdf(conn: Connection, label_id: str, granted: Collection[int]) -> bytes | None:
    """The labels PDF of this id, if every shop it holds parcels of is granted; else None (as if absent)."""
    if not LABEL_ID.match(label_id):
        return None
    t = batch_labels.c
    found = conn.execute(select(t.shop_ids, t.pdf).where(t.label_id == label_id)).first()
    if found is None:
        return None
    shop_ids = {int(part) for part in found.shop_ids.split(",") if part}
    return bytes(found.pdf) if shop_ids and shop_ids <= set(granted) else None
