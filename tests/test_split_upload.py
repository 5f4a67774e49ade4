"""A split order (拆单) tells the platform it shipped once: its batch-ship upload file holds the order once,
with the first parcel's waybill; later parcels go to the additional-package file (追加包裹) and never to a
second "shipped" API call — in one run or over several."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from lanshou.platforms.shipping_api import Shipment, ShipResult
from lanshou.review.queries import ready_shipments
from lanshou.review.ready import ReadyShipment
from lanshou.review.splitting import split_order
from lanshou.shipping.config import parse_config
from lanshou.shipping.ship import ShipOptions, ShipReport, ship
from lanshou.shops.store import load_shops
from tests.inventory_data import NOW
from tests.ship_data import CARRIERS, load_pool
from tests.test_split_orders import CARRIER_RULES, needs_font, seed, timeline_of

UPLOAD = "tmall_批量发货.csv"  # seed() makes a Tmall shop: GB18030, like Taobao
MORE = "tmall_追加包裹.csv"


@dataclass
class RecordingNotifier:
    platform: str = "tmall"
    told: list[Shipment] = field(default_factory=list)

    def notify_shipped(self, shipments: Sequence[Shipment]) -> list[ShipResult]:
        self.told += shipments
        return [ShipResult.success(x.order_id) for x in shipments]


def ship_with_upload(
    engine: Engine,
    folder: Path,
    shipments: list[ReadyShipment] | None = None,
    notifier: RecordingNotifier | None = None,
) -> ShipReport:
    with engine.connect() as conn:
        chosen = shipments or ready_shipments(conn)
        shops = load_shops(conn)
    folder.mkdir(parents=True, exist_ok=True)
    options = ShipOptions(folder / "labels.pdf", upload_dir=folder)
    notifiers = {"tmall": notifier} if notifier else {}
    return ship(engine, chosen, parse_config(CARRIERS + CARRIER_RULES), shops, options, {}, notifiers)


def rows_of(path: Path) -> list[list[str]]:
    return [
        [cell.strip() for cell in row] for row in csv.reader(io.StringIO(path.read_bytes().decode("gb18030")))
    ]


@needs_font
def test_one_run_writes_the_order_once_and_the_second_parcel_as_an_additional_package(
    engine: Engine, tmp_path: Path
) -> None:
    key = seed(engine)
    split_order(engine, key, [[(3, 2)]], NOW, "王芳")
    load_pool(engine, "zto", 5)
    load_pool(engine, "ems", 5)
    notifier = RecordingNotifier()
    report = ship_with_upload(engine, tmp_path, notifier=notifier)
    assert len(report.shipped) == 2, [o.reason for o in report.failed]
    first, second = sorted(report.shipped, key=lambda o: o.additional)
    assert not first.additional and second.additional
    upload = rows_of(tmp_path / UPLOAD)
    assert upload[1:] == [["S100", "EMS", first.tracking_no]]  # the order once, its first parcel's waybill
    more = rows_of(tmp_path / MORE)
    assert more[0] == upload[0] and more[1:] == [["S100", "EMS", second.tracking_no]]  # both carry a BAG
    assert [(x.order_id, x.tracking_no) for x in notifier.told] == [("S100", first.tracking_no)]
    kinds = [e.kind for e in timeline_of(engine, key)]
    assert kinds.count("platform_notified") == 1 and kinds.count("platform_additional_package") == 1
    assert any(MORE in note for note in report.notes)


@needs_font
def test_a_part_shipped_in_a_later_run_is_only_an_additional_package(engine: Engine, tmp_path: Path) -> None:
    key = seed(engine)
    split_order(engine, key, [[1]], NOW, "王芳")
    load_pool(engine, "zto", 5)
    load_pool(engine, "ems", 5)
    with engine.connect() as conn:
        now, _later = ready_shipments(conn)
    notifier = RecordingNotifier()
    (first,) = ship_with_upload(engine, tmp_path / "a", [now], notifier).shipped
    assert rows_of(tmp_path / "a" / UPLOAD)[1:] == [["S100", "中通快递", first.tracking_no]]
    assert not (tmp_path / "a" / MORE).exists()
    (second,) = ship_with_upload(engine, tmp_path / "b", notifier=notifier).shipped
    assert second.additional and second.shipment.part == 2
    assert not (tmp_path / "b" / UPLOAD).exists()  # the platform has the order shipped already
    assert rows_of(tmp_path / "b" / MORE)[1:] == [["S100", "EMS", second.tracking_no]]
    assert [x.tracking_no for x in notifier.told] == [first.tracking_no]  # "shipped" once
    assert second.as_json()["additional_package"] is True
    assert [e.kind for e in timeline_of(engine, key)].count("platform_additional_package") == 1
