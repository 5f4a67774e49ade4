"""`lanshou waybills import FILE --carrier CODE` and the pool's cancel: the use cases beside the CLI.

Importing is idempotent (a number already in the pool is counted, not added again); a bad row is reported
with its line and the good rows still go in, in one transaction.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, select

from lanshou.carriers.registry import identify
from lanshou.db.engine import write_transaction
from lanshou.files.tabular import FileRefused, open_table
from lanshou.orders.timeline import TimelineEntry, record
from lanshou.platforms.shipping_api import ShippingRefused
from lanshou.shipping.pool_store import AVAILABLE, USED, DbNumberPool, utc_now
from lanshou.shipping.providers import ProviderFactory
from lanshou.shipping.tables import shipment_waybills
from lanshou.shipping.waybills import PoolProblem, read_pool


class UnknownCarrier(ValueError):
    pass


def carrier_of(text: str) -> str:
    """The internal code of a carrier name or code, or UnknownCarrier naming what was given."""
    carrier = identify(text)
    if carrier is None:
        raise UnknownCarrier(f"未知快递公司 unknown carrier {text!r} (e.g. zto, yto, sf, ems)")
    return carrier.code


@dataclass(frozen=True, slots=True)
class PoolImport:
    carrier: str
    file: str
    added: int
    already: int
    problems: tuple[PoolProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, object]:
        return {
            "carrier": self.carrier,
            "file": self.file,
            "added": self.added,
            "already_in_pool": self.already,
            "rejected": [
                {"line": p.line, "tracking_no": p.number, "reason": p.reason} for p in self.problems
            ],
        }


def import_pool(engine: Engine, path: Path, carrier: str) -> PoolImport:
    """Load a pool file's numbers for `carrier` (UnknownCarrier, FileRefused for the whole file)."""
    code = carrier_of(carrier)
    table = open_table(path)
    pool_file = read_pool(table.header, table.rows)
    with write_transaction(engine) as conn:
        repeated = DbNumberPool(conn, source=path.name).add(code, pool_file.numbers)
    return PoolImport(
        code, str(path), len(pool_file.numbers) - len(repeated), len(repeated), pool_file.problems
    )


class WaybillActionRefused(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Cancelled:
    tracking_no: str
    was: str  # available | used (a pool number), or the provider that cancelled it (kuaidi100)
    orders: tuple[str, ...]  # the orders whose unshipped waybill it was (they will take a fresh one)


def cancel_number(
    engine: Engine,
    carrier: str,
    tracking_no: str,
    actor: str = "system",
    providers: ProviderFactory | None = None,
    reason: str = "",
) -> Cancelled:
    """Retire a waybill for good: a pool number here, a Kuaidi100 one by its cancel call (`providers`). A
    number on a shipment that has not shipped is taken off it (the next `lanshou ship` takes a fresh one,
    and the timeline says so); a shipped one is refused."""
    code = carrier_of(carrier)
    w = shipment_waybills.c
    with write_transaction(engine) as conn:
        held = conn.execute(
            select(
                w.shop_id, w.order_no, w.part, w.order_nos, w.shipped_at, w.provider, w.provider_ref
            ).where(w.carrier == code, w.tracking_no == tracking_no)
        ).all()
        if any(row.shipped_at is not None for row in held):
            raise WaybillActionRefused(
                f"已发货，不能作废 {tracking_no} is on a shipped parcel: "
                "cancel the shipment with the platform first"
            )
        online = [row for row in held if row.provider != "pool"]
        if online:
            status = _cancel_online(conn, code, tracking_no, online[0], providers, reason)
        else:
            status = _cancel_pooled(DbNumberPool(conn), code, tracking_no)
        now = utc_now()
        orders: list[str] = []
        for row in held:
            conn.execute(
                delete(shipment_waybills).where(
                    w.shop_id == row.shop_id, w.order_no == row.order_no, w.part == row.part
                )
            )
            detail = f"{code} {tracking_no} 作废 cancelled" + (f": {reason}" if reason else "")
            numbers = row.order_nos.split(",")
            record(
                conn,
                [TimelineEntry(row.shop_id, o, now, "waybill_cancelled", detail, actor) for o in numbers],
            )
            orders.extend(numbers)
    return Cancelled(tracking_no, status, tuple(orders))


def _cancel_pooled(pool: DbNumberPool, code: str, tracking_no: str) -> str:
    status = pool.status_of(code, tracking_no)
    if status is None:
        raise WaybillActionRefused(f"单号不在池中 {tracking_no} is not in the {code} pool")
    if status == AVAILABLE:
        pool.cancel_unused(code, tracking_no)
    elif status == USED:
        pool.void(code, tracking_no)
    else:
        raise WaybillActionRefused(f"单号已作废 {tracking_no} is already cancelled")
    return status


def _cancel_online(
    conn: Connection, code: str, tracking_no: str, row: Any, providers: ProviderFactory | None, reason: str
) -> str:
    """The provider's own cancel (Kuaidi100 needs what its order call returned: the stored provider_ref)."""
    if providers is None:
        raise WaybillActionRefused(f"{row.provider} 未配置 no {row.provider} account to cancel {tracking_no}")
    try:
        provider = providers(conn, row.provider, code)
    except ShippingRefused as exc:
        raise WaybillActionRefused(str(exc)) from None
    refs = getattr(provider, "refs", None)
    if isinstance(refs, MutableMapping):
        refs[tracking_no] = row.provider_ref
    done = provider.cancel(tracking_no, reason)
    if not done.ok:
        raise WaybillActionRefused(done.error)
    return str(row.provider)


__all__ = ["FileRefused", "PoolImport", "UnknownCarrier", "cancel_number", "carrier_of", "import_pool"]
