"""Telling a marketplace that orders have shipped: by its API (a `ShippedNotifier`) or by its batch-ship file.

Both take the same `Shipment` rows: the platform's order id, Lanshou's own carrier code (`sf`, `zto`, …) and
the tracking number. What only one marketplace knows lives in its package's `shipping.toml`:
  [carrier_codes]  the company code its "shipped" API wants (TOP `company_code`, Douyin `company_code`, …)
  [carrier_names]  the carrier name its batch-ship upload file wants (顺丰速运, 中通快递, …)
  [ship_file]      the upload file's headers and encoding, and where they come from
A notifier lives in `platforms/<code>/api.py` (request builder + pure parser + the httpx call, the only I/O);
an upload-file writer in `platforms/<code>/ship_file.py`, found through `ship_file_writer(code)`.
"""

from __future__ import annotations

import csv
import io
import json
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import httpx

from lanshou.platforms.registry import load_platforms, resource_text

# Lanshou's internal carrier codes (PLATFORMS.md "Carrier identities").
CARRIERS = ("sf", "zto", "yto", "yunda", "sto", "jtexpress", "jd", "ems", "deppon", "best")


class ShippingRefused(ValueError):
    """One shipment (or one upload file) cannot be sent as given; the message says what and why."""


class UnmappedCarrier(ShippingRefused):
    pass


@dataclass(frozen=True)
class Shipment:
    order_id: str  # the platform's own order id (Taobao tid, Douyin shop order id, PDD order_sn)
    carrier: str  # Lanshou's internal carrier code, one of CARRIERS
    tracking_no: str


@dataclass(frozen=True)
class ShipResult:
    order_id: str
    ok: bool
    error: str = ""  # "拒绝 refused: …" in Chinese and English when not ok
    code: str = ""  # the platform's own error code (sub_code), for a support ticket

    @classmethod
    def success(cls, order_id: str) -> ShipResult:
        return cls(order_id, True)

    @classmethod
    def failure(cls, order_id: str, error: str, code: str = "") -> ShipResult:
        return cls(order_id, False, error, code)


class ShippedNotifier(Protocol):
    platform: str

    def notify_shipped(self, shipments: Sequence[Shipment]) -> list[ShipResult]:
        """One result per shipment, in order; a failed one never stops the others."""
        ...


def check_shipment(shipment: Shipment) -> None:
    """Refuse a shipment with an empty or multi-line order id or tracking number before anything is sent."""
    for label, value in (
        ("订单号 order id", shipment.order_id),
        ("运单号 tracking number", shipment.tracking_no),
    ):
        if not value.strip():
            raise ShippingRefused(f"拒绝 refused: {label} 为空 is empty")
        if any(ch in value for ch in "\r\n\t\x00"):
            raise ShippingRefused(f"拒绝 refused: {label} {value!r} 含控制字符 contains a control character")


def notify_each(
    shipments: Sequence[Shipment], send_one: Callable[[Shipment], ShipResult]
) -> list[ShipResult]:
    """Run `send_one` per shipment, turning a refusal or a network failure into that shipment's result."""
    results = []
    for shipment in shipments:
        try:
            check_shipment(shipment)
            results.append(send_one(shipment))
        except ShippingRefused as exc:
            results.append(ShipResult.failure(shipment.order_id, str(exc)))
        except httpx.HTTPError as exc:
            reason = f"网络错误 network error: {type(exc).__name__}: {exc}"
            results.append(ShipResult.failure(shipment.order_id, reason))
    return results


@dataclass
class HttpShippedNotifier:
    """A ShippedNotifier making one API call per shipment: build (pure), client.send (I/O), parse (pure)."""

    platform: str
    client: httpx.Client  # the only I/O; tests give it an httpx.MockTransport
    # shipment + the platform's carrier code -> signed request; order id, HTTP status, body -> result
    build: Callable[[Shipment, str], httpx.Request]
    parse: Callable[[str, int, bytes], ShipResult]
    codes_from: str  # whose shipping.toml [carrier_codes] to use (Tmall uses Taobao's)
    carrier_codes: Mapping[str, str] | None = None  # the shop's own codes, overriding shipping.toml

    def notify_shipped(self, shipments: Sequence[Shipment]) -> list[ShipResult]:
        return notify_each(shipments, self._send_one)

    def _send_one(self, shipment: Shipment) -> ShipResult:
        code = carrier_lookup(self.codes_from, "carrier_codes", shipment.carrier, self.carrier_codes)
        response = self.client.send(self.build(shipment, code))
        return self.parse(shipment.order_id, response.status_code, response.read())


def unix_now() -> int:
    """The clock Douyin and PDD timestamps use (seconds); notifiers take it as a parameter for tests."""
    return int(time.time())


def decode_reply(status_code: int, body: bytes) -> dict[str, Any]:
    """The JSON object a platform answered, or a refusal naming the HTTP status and what came back."""
    try:
        reply = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        reply = None
    if not isinstance(reply, dict):
        snippet = body[:120].decode("utf-8", "replace")
        raise ShippingRefused(f"平台应答无法解析 unreadable platform reply (HTTP {status_code}): {snippet!r}")
    return reply


# --- per-platform data ------------------------------------------------------------------------------------


@cache
def shipping_data(platform: str) -> dict[str, Any]:
    """The platform's `shipping.toml` (LookupError when it has none)."""
    return tomllib.loads(resource_text(platform, "shipping.toml"))


def carrier_lookup(
    platform: str, table: str, carrier: str, overrides: Mapping[str, str] | None = None
) -> str:
    """The platform's value for one of Lanshou's carriers in `table` ("carrier_codes" or "carrier_names")."""
    values: Mapping[str, Any] = overrides if overrides is not None else shipping_data(platform).get(table, {})
    found = values.get(carrier)
    if found in (None, ""):
        known = ", ".join(sorted(values)) or "none"
        raise UnmappedCarrier(
            f"拒绝 refused: 承运商 {carrier!r} 在 {platform} 没有对应 / carrier {carrier!r} is not in "
            f"{platform}'s [{table}] (mapped: {known})"
        )
    return str(found)


# --- batch-ship upload files ------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel shows digit strings longer than 11 as 1.23E+18 and keeps only 15 digits; a leading zero vanishes.
TEXT_MARK = "\t"  # the mark Douyin's own exports use; platforms.values.clean_id strips it on the way back


def is_digits(value: str) -> bool:
    """ASCII digits only (str.isdigit alone also accepts ² and full-width ３)."""
    return value.isascii() and value.isdigit()


def neutralise(cell: str) -> str:
    """Make a cell a spreadsheet will not run as a formula (a leading apostrophe, as OWASP advises)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def as_text_id(value: str) -> str:
    """An id cell a spreadsheet keeps as text: digit strings get a leading TAB, the rest is neutralised."""
    return TEXT_MARK + value if is_digits(value) else neutralise(value)


@dataclass(frozen=True)
class ShipFileSpec:
    platform: str  # whose orders, e.g. "tmall"
    data_from: str  # whose shipping.toml holds the headers and carrier names (Tmall uses Taobao's)
    headers: tuple[str, str, str]  # order id, carrier, tracking number, in the template's words
    encoding: str  # "gb18030" or "utf-8-sig"
    filename: str

    @classmethod
    def from_data(cls, platform: str, data_from: str | None = None) -> ShipFileSpec:
        source = data_from or platform
        section = shipping_data(source)["ship_file"]
        order_h, carrier_h, tracking_h = section["headers"]
        filename = f"{platform}_批量发货.csv"
        return cls(platform, source, (order_h, carrier_h, tracking_h), section["encoding"], filename)


class ShipFileRefused(ShippingRefused):
    """The whole upload file is refused: every bad row is named, and no partial file is written."""


def write_ship_csv(spec: ShipFileSpec, shipments: Sequence[Shipment]) -> bytes:
    """Rows in, bytes out: the platform's batch-ship CSV, or ShipFileRefused naming every bad row."""
    problems: list[str] = []
    rows: list[list[str]] = []
    for number, shipment in enumerate(shipments, start=1):
        try:
            check_shipment(shipment)
            carrier = carrier_lookup(spec.data_from, "carrier_names", shipment.carrier)
        except ShippingRefused as exc:
            problems.append(f"第 {number} 行 row {number} ({shipment.order_id or '-'}): {exc}")
            continue
        rows.append([as_text_id(shipment.order_id), neutralise(carrier), as_text_id(shipment.tracking_no)])
    if problems:
        raise ShipFileRefused(
            f"{spec.filename}: 未生成 not written, {len(problems)} 行有误 bad rows:\n" + "\n".join(problems)
        )
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")  # CRLF: what Excel on Windows writes and expects
    writer.writerow(spec.headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(spec.encoding)


class ShipFileWriter(Protocol):
    @property
    def platform(self) -> str: ...

    @property
    def filename(self) -> str: ...

    def write(self, shipments: Sequence[Shipment]) -> bytes: ...


@dataclass(frozen=True)
class CsvShipFile:
    """A batch-ship upload file that is a plain three-column CSV (every platform here, as far as known)."""

    spec: ShipFileSpec

    @property
    def platform(self) -> str:
        return self.spec.platform

    @property
    def filename(self) -> str:
        return self.spec.filename

    def write(self, shipments: Sequence[Shipment]) -> bytes:
        return write_ship_csv(self.spec, shipments)


_SHIP_FILES: dict[str, Callable[[], ShipFileWriter]] = {}


def register_ship_file(platform: str, factory: Callable[[], ShipFileWriter]) -> None:
    """Called by `platforms/<code>/ship_file.py` when its package is imported."""
    _SHIP_FILES[platform] = factory


def ship_file_platforms() -> tuple[str, ...]:
    load_platforms()
    return tuple(sorted(_SHIP_FILES))


def ship_file_writer(platform: str) -> ShipFileWriter:
    load_platforms()
    factory = _SHIP_FILES.get(platform)
    if factory is None:
        raise LookupError(
            f"平台 {platform!r} 没有批量发货文件 / no batch-ship file for {platform!r} "
            f"(known: {', '.join(ship_file_platforms())})"
        )
    return factory()
