"""Batch shipping for the dashboard and the API: the same `ship` use case `lanshou ship` runs, over the
caller's shops (optionally only some orders), with the labels PDF kept in the database for the browser.

The PDF is drawn into a temporary folder, then stored in `batch_labels` with the shops whose parcels it
holds and who printed it; it is served only to a user granted every one of those shops, by whichever API
process answers (several stateless processes on different machines share nothing but the database). The
id is random (128 bits), never a path. The run's other files go to `batch_files` under the same id and
rule: each platform's batch-ship upload file (what tells the marketplace, unless its API is used), and the
pick and packing lists for the warehouse.
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
from lanshou.platforms.shipping_api import ShippedNotifier
from lanshou.review.ready import ReadyShipment
from lanshou.shipping.ship import ShipOptions, ShipRefused, ShipReport, ShopRules
from lanshou.shipping.tables import batch_files, batch_labels
from lanshou.shipping.tell import notifiers_for

LABEL_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")


@dataclass(frozen=True)
class BatchRequest:
    shop_ids: tuple[int, ...]  # the caller's shops (already checked)
    order_nos: tuple[str, ...] | None = None  # None: every ready shipment of those shops
    carrier: str = "auto"  # auto, or a carrier code / name
    size: str = "100x180"
    actor: str = "system"
    limit: int | None = None
    notify: bool = False  # also tell the platforms by API, for shops with credentials (`ship --notify`)


PICK_LIST = "拣货单 pick list.pdf"
PACKING_LIST = "装箱单 packing list.pdf"


@dataclass(frozen=True)
class BatchResult:
    report: ShipReport
    label_id: str | None  # the run's id: None when nothing shipped
    files: tuple[str, ...] = ()  # names of the run's other files, by position (batch_files)

    def as_json(self, labels_url: str | None) -> dict[str, object]:
        """The report, with URLs (`labels_url` + /files/N) where the CLI prints the server's file paths."""
        body = self.report.as_json()
        body["labels"] = labels_url if self.report.pages else None
        body["label_id"] = self.label_id
        body["upload_files"] = [f"{labels_url}/files/{n}" for n, name in self.uploads()]
        body["files"] = [
            {"name": name, "url": f"{labels_url}/files/{n}"} for n, name in enumerate(self.files)
        ]
        return body

    def uploads(self) -> list[tuple[int, str]]:
        """(position, name) of the platforms' upload files among the run's files."""
        return [(n, name) for n, name in enumerate(self.files) if name not in (PICK_LIST, PACKING_LIST)]


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
    notifiers: dict[int | str, ShippedNotifier] = {}
    missing: list[str] = []
    if request.notify:
        notifiers, without = notifiers_for({i: shops[i] for i in request.shop_ids if i in shops})
        missing = [f"{name}: 无接口凭证 no API credentials, upload the batch-ship file" for name in without]
    with tempfile.TemporaryDirectory(prefix="lanshou-labels-") as folder:
        here = Path(folder)
        options = ShipOptions(
            here / f"{label_id}.pdf",
            size.name,
            forced,
            here / "upload",
            request.actor,
            here / PICK_LIST,
            here / PACKING_LIST,
        )
        providers = providers_from_environment(config.plan)
        report = ship(engine, chosen, config, shops, options, lanes, notifiers, providers, rules)
        if not report.shipped:
            return BatchResult(report, None)
        report.notes += missing
        pdf = report.labels.read_bytes() if report.labels and report.labels.is_file() else b""
        files = _run_files(here, report)
    report.upload_files = []  # the temporary paths are gone: BatchResult.as_json gives URLs
    _keep(engine, label_id, report, request.actor, now, pdf, files)
    return BatchResult(report, label_id, tuple(name for name, _ in files))


def _run_files(folder: Path, report: ShipReport) -> list[tuple[str, bytes]]:
    """(name, content) of the run's files other than its labels: upload files, then the lists."""
    paths = [Path(p) for p in report.upload_files]
    paths += [folder / name for name in (PICK_LIST, PACKING_LIST) if (folder / name).is_file()]
    return [(path.name, path.read_bytes()) for path in paths]


def _keep(
    engine: Engine,
    label_id: str,
    report: ShipReport,
    actor: str,
    now: datetime,
    pdf: bytes,
    files: Sequence[tuple[str, bytes]],
) -> None:
    owners = sorted({o.shipment.shop_id for o in report.shipped})
    with engine.begin() as conn:
        conn.execute(
            insert(batch_labels).values(
                label_id=label_id,
                shop_ids=",".join(str(shop_id) for shop_id in owners),
                created_by=actor[:64],
                created_at=now,
                pages=report.pages,
                pdf=pdf,
            )
        )
        rows = [
            {"label_id": label_id, "position": n, "name": name[:200], "data": data}
            for n, (name, data) in enumerate(files)
        ]
        if rows:
            conn.execute(insert(batch_files), rows)


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
    if not _may_open(conn, label_id, granted):
        return None
    pdf = conn.execute(select(batch_labels.c.pdf).where(batch_labels.c.label_id == label_id)).scalar_one()
    return bytes(pdf) or None  # a run whose labels could not be drawn kept none


def batch_file(
    conn: Connection, label_id: str, position: int, granted: Collection[int]
) -> tuple[str, bytes] | None:
    """(name, content) of a run's file, under the rule of its labels; else None (as if absent)."""
    if not _may_open(conn, label_id, granted):
        return None
    f = batch_files.c
    found = conn.execute(select(f.name, f.data).where(f.label_id == label_id, f.position == position)).first()
    return None if found is None else (found[0], bytes(found[1]))


def _may_open(conn: Connection, label_id: str, granted: Collection[int]) -> bool:
    """The run exists and every shop it holds parcels of is granted."""
    if not LABEL_ID.match(label_id):
        return False
    t = batch_labels.c
    found = conn.execute(select(t.shop_ids).where(t.label_id == label_id)).scalar()
    if found is None:
        return False
    shop_ids = {int(part) for part in found.split(",") if part}
    return bool(shop_ids) and shop_ids <= set(granted)
