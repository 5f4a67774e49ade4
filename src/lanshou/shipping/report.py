"""What one `lanshou ship` run did: each shipment's outcome (carrier, waybill, or why it failed) and the run's
labels, upload files and notes, as the CLI, the API and the dashboard show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lanshou.review.ready import ReadyShipment


@dataclass
class Outcome:
    shipment: ReadyShipment
    ok: bool = False
    carrier: str = ""
    tracking_no: str = ""
    sorting_code: str = ""
    reason: str = ""  # why this carrier, or why it failed
    reused: bool = False  # the waybill was taken by an earlier run
    # a later part of a split order (拆单): the platform already has the order shipped with the first
    # part's waybill, so this one is an additional package (追加包裹), not a second "shipped" row
    additional: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "shop_id": self.shipment.shop_id,
            "orders": list(self.shipment.order_nos),
            "part": self.shipment.part,  # 0: the whole order; n: part n of a split order (拆单)
            "ok": self.ok,
            "carrier": self.carrier,
            "tracking_no": self.tracking_no,
            "reused_waybill": self.reused,
            "additional_package": self.additional,
            "reason" if self.ok else "error": self.reason,
        }


@dataclass
class ShipReport:
    outcomes: list[Outcome] = field(default_factory=list)
    labels: Path | None = None
    pages: int = 0
    upload_files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # upload files or notifications that failed

    @property
    def shipped(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def as_json(self) -> dict[str, object]:
        return {
            "shipped": len(self.shipped),
            "failed": len(self.failed),
            "labels": str(self.labels) if self.labels else None,
            "pages": self.pages,
            "upload_files": self.upload_files,
            "notes": self.notes,
            "shipments": [o.as_json() for o in self.outcomes],
        }
