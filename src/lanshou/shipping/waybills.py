"""Carrier-neutral waybills (电子面单): the request and result model, the masked-data guard, the provider
protocol and the offline number pool.

The model covers the Cainiao `cainiao.waybill.ii.get` DTO (WIRE-FORMATS.md 2): an `object_id` echoed
back per item, the order ids, the package (items, weight in g, volume in ml), a recipient as plain
text or as a platform token (`oaid` Taobao/Tmall, `caid` elsewhere), parent/child waybills. A batch
partly fails: every request gets its own result, refused ones carry the reason and are never sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from lanshou.files.tabular import FileRefused
from lanshou.platforms.values import clean_id, is_masked


@dataclass(frozen=True, slots=True)
class Address:
    province: str = ""
    city: str = ""
    district: str = ""
    town: str = ""
    detail: str = ""

    def parts(self) -> tuple[str, str, str, str, str]:
        return (self.province, self.city, self.district, self.town, self.detail)

    def one_line(self) -> str:
        return "".join(part.strip() for part in self.parts())


@dataclass(frozen=True, slots=True)
class Party:
    """A plain contact: the sender, or a recipient whose data the merchant holds in clear."""

    name: str
    phone: str
    address: Address
    company: str = ""


@dataclass(frozen=True, slots=True)
class Recipient:
    """Plain name/phone/address, or a platform token the waybill service resolves to the real address.

    With a token, name/phone/detail are only the platform's masked display values: they are never sent.
    The province/city/district stay, as the carrier routes by them.
    """

    name: str = ""
    phone: str = ""
    address: Address = field(default_factory=Address)
    oaid: str = ""  # Taobao/Tmall Open Addressee ID
    caid: str = ""  # Cainiao address id for other platforms' encrypted orders

    @property
    def token(self) -> str:
        return self.oaid or self.caid


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    count: int = 1


ORDER_ID = re.compile(r"[A-Za-z0-9_-]+")  # Cainiao: digits, letters, _ and - only
MAX_ORDER_IDS = 100


@dataclass(frozen=True, slots=True)
class WaybillRequest:
    object_id: str  # the request's own id, echoed back in its result; unique within a batch
    carrier: str  # internal carrier code
    order_ids: tuple[str, ...]
    recipient: Recipient
    sender: Party
    items: tuple[Item, ...] = ()
    weight_g: int | None = None
    volume_ml: int | None = None
    package_count: int = 1  # > 1: one parent waybill and package_count - 1 children (子母件)
    channel: str = ""  # Cainiao order_channels_type: TB, TM, JD, PDD, DY, OTHERS ...
    product: str = ""  # the carrier's product / service, e.g. 标准快递
    remark: str = ""


@dataclass(frozen=True, slots=True)
class WaybillResult:
    object_id: str
    ok: bool
    waybill_no: str = ""
    parent_waybill_no: str = ""  # set on a child: ship and track with the parent
    child_waybill_nos: tuple[str, ...] = ()  # set on a parent
    sorting_code: str = ""  # 三段码 / destination sorting code
    package_center: str = ""  # 集包地
    short_address: str = ""  # 大头笔
    print_data: str = ""  # what the printing component takes (Cainiao print_data, a label link ...)
    provider_ref: str = ""  # what the provider needs later for this waybill (Kuaidi100 taskId)
    error: str = ""

    @classmethod
    def failed(cls, object_id: str, reason: str) -> WaybillResult:
        return cls(object_id, ok=False, error=reason)


@dataclass(frozen=True, slots=True)
class WaybillAction:
    """The outcome of a cancel or a reprint."""

    waybill_no: str
    ok: bool
    print_data: str = ""
    error: str = ""


class WaybillProvider(Protocol):
    def issue(self, requests: Sequence[WaybillRequest]) -> list[WaybillResult]:
        """One result per request, in order; a refused or failed item does not stop the others."""
        ...

    def cancel(self, waybill_no: str, reason: str = "") -> WaybillAction: ...

    def reprint(self, waybill_no: str) -> WaybillAction: ...


class WaybillRefused(ValueError):
    """One request cannot be sent as it stands; the message says which field and why."""


def masking_in(text: str) -> str:
    """Why a value is masked ("" when it is not): couriers refuse `*` runs and Douyin ciphertext."""
    if "*" in text or "＊" in text:
        return "含脱敏字符 * (masked with *)"
    if is_masked(text):
        return "是抖音密文 (Douyin ciphertext ##/$$)"
    return ""


def _refuse_masked(zh: str, en: str, value: str) -> None:
    reason = masking_in(value)
    if reason:
        raise WaybillRefused(
            f"拒绝 refused: {zh} {en} {reason}; 请先解密或改用 oaid/caid (decrypt or send a token)"
        )


def _require(zh: str, en: str, value: str) -> None:
    if not value.strip():
        raise WaybillRefused(f"拒绝 refused: 缺少{zh} (missing {en})")


def _check_party(zh: str, en: str, name: str, phone: str, address: Address) -> None:
    fields = (("姓名", "name", name), ("电话", "phone", phone), ("地址", "address", address.detail))
    for field_zh, field_en, value in fields:
        _require(zh + field_zh, f"{en} {field_en}", value)
    for field_zh, field_en, value in fields[:2] + tuple(("地址", "address", p) for p in address.parts()):
        _refuse_masked(zh + field_zh, f"{en} {field_en}", value)


def _clear(value: str) -> str:
    return "" if masking_in(value) else value


def _without_masked(recipient: Recipient) -> Recipient:
    return replace(
        recipient,
        name=_clear(recipient.name),
        phone=_clear(recipient.phone),
        address=Address(*(_clear(p) for p in recipient.address.parts())),
    )


def screen(request: WaybillRequest) -> WaybillRequest:
    """The request as it may be sent, or WaybillRefused with the reason.

    A token recipient's masked display values are dropped, never sent (the token brings the real
    ones); a plain recipient's must be real.
    """
    _require("object_id", "object_id", request.object_id)
    if not request.order_ids or len(request.order_ids) > MAX_ORDER_IDS:
        raise WaybillRefused(f"拒绝 refused: 订单号须 1–{MAX_ORDER_IDS} 个 (1 to {MAX_ORDER_IDS} order ids)")
    for order_id in request.order_ids:
        if not ORDER_ID.fullmatch(order_id):
            raise WaybillRefused(
                f"拒绝 refused: 订单号 {order_id!r} 只能含字母数字_- (letters, digits, _ and -)"
            )
    if request.package_count < 1:
        raise WaybillRefused(f"拒绝 refused: 包裹数 package_count must be ≥ 1, got {request.package_count}")
    for what, amount in (("weight_g", request.weight_g), ("volume_ml", request.volume_ml)):
        if amount is not None and amount < 0:
            raise WaybillRefused(f"拒绝 refused: {what} must not be negative, got {amount}")
    sender = request.sender
    _check_party("寄件人", "sender", sender.name, sender.phone, sender.address)
    recipient = request.recipient
    if recipient.token:
        _refuse_masked("收件人 oaid/caid", "recipient token", recipient.token)
        return replace(request, recipient=_without_masked(recipient))
    _check_party("收件人", "recipient", recipient.name, recipient.phone, recipient.address)
    return request


def screen_batch(requests: Sequence[WaybillRequest], carrier: str) -> list[WaybillRequest | WaybillResult]:
    """Each request screened for a provider of `carrier`, in order: the request ready to send, or its
    refusal as a result."""
    seen: set[str] = set()
    out: list[WaybillRequest | WaybillResult] = []
    for request in requests:
        try:
            if request.carrier != carrier:
                raise WaybillRefused(
                    f"拒绝 refused: 快递公司不符 carrier {request.carrier!r}, provider is {carrier!r}"
                )
            if request.object_id in seen:
                raise WaybillRefused(
                    f"拒绝 refused: 重复的 object_id {request.object_id!r} (duplicate in batch)"
                )
            seen.add(request.object_id)
            out.append(screen(request))
        except WaybillRefused as exc:
            out.append(WaybillResult.failed(request.object_id, str(exc)))
    return out


# ---- the offline number pool: numbers a merchant bought from the carrier's local office -------------

POOL_COLUMNS = ("tracking_no", "运单号", "快递单号", "物流单号")  # the first one present is read
TRACKING_NO = re.compile(r"[A-Za-z0-9]{8,32}")


@dataclass(frozen=True, slots=True)
class PoolProblem:
    line: int
    number: str
    reason: str

    def __str__(self) -> str:
        return f"第 {self.line} 行 line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class PoolFile:
    numbers: tuple[str, ...]
    problems: tuple[PoolProblem, ...]


def read_pool(header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]]) -> PoolFile:
    """The numbers of a pool file (rows as `files.tabular` yields them); blank, malformed and repeated
    numbers become problems with their line numbers. FileRefused when no column holds the numbers."""
    names = [h.strip().lower() for h in header]
    at = next((names.index(c) for c in POOL_COLUMNS if c in names), None)
    if at is None:
        raise FileRefused(
            f"拒绝 refused: 没有 tracking_no 列 (no tracking_no column; header: {list(header)})"
        )
    numbers: list[str] = []
    problems: list[PoolProblem] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        number = clean_id(row[at]) if at < len(row) else ""
        if not number:
            problems.append(PoolProblem(line, number, "空单号 blank tracking_no"))
        elif not TRACKING_NO.fullmatch(number):
            problems.append(
                PoolProblem(line, number, f"单号格式不对 malformed {number!r}: 8–32 letters/digits")
            )
        elif number in first_line:
            problems.append(
                PoolProblem(line, number, f"重复单号 duplicate {number!r} of line {first_line[number]}")
            )
        else:
            first_line[number] = line
            numbers.append(number)
    return PoolFile(tuple(numbers), tuple(problems))


class NumberPool(Protocol):
    """Where pool numbers live: in memory here; a table with a conditional claim in the store."""

    def add(self, carrier: str, numbers: Sequence[str]) -> list[str]:
        """Load numbers; returns those already in the pool (not added twice)."""
        ...

    def claim(self, carrier: str, object_ids: Sequence[str]) -> dict[str, str]:
        """A free number for each object id, atomically; an id that already holds one gets it again
        (a retried batch never burns a second number). Ids left out: the pool ran dry."""
        ...

    def void(self, carrier: str, waybill_no: str) -> bool:
        """Retire an issued number for good (its label may exist); its object may then claim a fresh
        one. False if the number is not issued."""
        ...

    def is_issued(self, carrier: str, waybill_no: str) -> bool: ...


class MemoryNumberPool:
    def __init__(self) -> None:
        self._free: dict[str, list[str]] = {}
        self._known: dict[str, set[str]] = {}
        self._held: dict[tuple[str, str], str] = {}  # (carrier, object id) -> number issued and not voided
        self._holder: dict[tuple[str, str], str] = {}  # (carrier, number) -> object id

    def add(self, carrier: str, numbers: Sequence[str]) -> list[str]:
        known = self._known.setdefault(carrier, set())
        repeated = [n for n in numbers if n in known]
        fresh = list(dict.fromkeys(n for n in numbers if n not in known))
        known.update(fresh)
        self._free.setdefault(carrier, []).extend(fresh)
        return repeated

    def claim(self, carrier: str, object_ids: Sequence[str]) -> dict[str, str]:
        free = self._free.setdefault(carrier, [])
        given: dict[str, str] = {}
        for object_id in object_ids:
            number = self._held.get((carrier, object_id))
            if number is None and free:
                number = free.pop(0)
                self._held[(carrier, object_id)] = number
                self._holder[(carrier, number)] = object_id
            if number is not None:
                given[object_id] = number
        return given

    def void(self, carrier: str, waybill_no: str) -> bool:
        object_id = self._holder.pop((carrier, waybill_no), None)
        if object_id is None:
            return False
        del self._held[(carrier, object_id)]  # the object may be issued again, with a fresh number
        return True

    def is_issued(self, carrier: str, waybill_no: str) -> bool:
        return (carrier, waybill_no) in self._holder

    def free_count(self, carrier: str) -> int:
        return len(self._free.get(carrier, []))


class PoolWaybillProvider:
    """Issues waybills from a merchant-loaded number pool: works offline, labels are printed locally."""

    def __init__(self, carrier: str, pool: NumberPool) -> None:
        self.carrier = carrier
        self.pool = pool

    def issue(self, requests: Sequence[WaybillRequest]) -> list[WaybillResult]:
        screened = screen_batch(requests, self.carrier)
        ready = [r.object_id for r in screened if isinstance(r, WaybillRequest)]
        numbers = self.pool.claim(self.carrier, ready)
        return [self._result(item, numbers) for item in screened]

    def _result(self, item: WaybillRequest | WaybillResult, numbers: dict[str, str]) -> WaybillResult:
        if isinstance(item, WaybillResult):
            return item
        number = numbers.get(item.object_id)
        if number is None:
            return WaybillResult.failed(
                item.object_id, f"单号池已用完 number pool of {self.carrier} is empty"
            )
        return WaybillResult(item.object_id, ok=True, waybill_no=number)

    def cancel(self, waybill_no: str, reason: str = "") -> WaybillAction:
        if self.pool.void(self.carrier, waybill_no):
            return WaybillAction(waybill_no, ok=True)
        return WaybillAction(
            waybill_no, ok=False, error=f"单号未发出 {waybill_no} was not issued from this pool"
        )

    def reprint(self, waybill_no: str) -> WaybillAction:
        """Nothing to fetch: the label is drawn locally from the stored waybill."""
        if self.pool.is_issued(self.carrier, waybill_no):
            return WaybillAction(waybill_no, ok=True)
        return WaybillAction(
            waybill_no, ok=False, error=f"单号未发出 {waybill_no} was not issued from this pool"
        )
