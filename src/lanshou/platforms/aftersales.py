"""After-sales files: the generic columns, the Taobao/Tmall refund export, Douyin afterSale rows.

Each reader yields plain dicts (they travel pickled from the parsing child) or RowErrors. A dict's
`case_type` is a states.CaseType value, or "" for a refund-only case whose kind (before or after shipping)
the stored order decides; `status` is always one of ours, `raw_status` the platform's own words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from lanshou.aftersales.policy import reason_code
from lanshou.aftersales.states import CaseStatus, CaseType, PlatformCase, douyin_case, taobao_export_case
from lanshou.files.tabular import Table
from lanshou.orders.records import RowError
from lanshou.platforms.base import ReadContext, cell, require_columns
from lanshou.platforms.registry import platform_codes
from lanshou.platforms.values import clean_id, parse_money, parse_quantity, parse_time

GENERIC_REQUIRED = ("platform", "shop", "case_id", "order_id", "type", "status", "created_at")
GENERIC_TYPES: dict[str, str] = {
    "refund": "",  # before or after shipping: the order tells
    "refund_shipped": CaseType.REFUND_SHIPPED.value,
    "refund_unshipped": CaseType.REFUND_UNSHIPPED.value,
    "return_refund": CaseType.RETURN_REFUND.value,
    "exchange": CaseType.EXCHANGE.value,
    "reship": CaseType.RESHIP.value,
    "price_protect": CaseType.PRICE_PROTECTION.value,
    "price_protection": CaseType.PRICE_PROTECTION.value,
    "repair": CaseType.REPAIR.value,
}
TAOBAO_COLUMNS: dict[str, Sequence[str]] = {
    "case_id": ("退款编号",),
    "order_id": ("订单编号",),
    "amount": ("买家退款金额",),
    "created_at": ("退款的申请时间",),
    "status": ("退款状态",),
    "needs_return": ("是否需要退货",),
    "reason": ("买家退款原因",),
    "sku": ("商品编码",),
    "return_tracking_no": ("退货运单号", "发货物流信息"),
}
DOUYIN_REQUIRED = ("aftersale_id", "order_id", "aftersale_type", "aftersale_status", "apply_time")
FEN = Decimal("0.01")

Reader = Callable[[Table, ReadContext], Iterator[dict[str, Any] | RowError]]


class _Row:
    """Cells of one row by canonical name, remembering the column being read for the error message."""

    def __init__(self, row: list[str], pos: dict[str, int]) -> None:
        self.row, self.pos, self.column = row, pos, ""

    def __call__(self, name: str) -> str:
        self.column = name
        return cell(self.row, self.pos.get(name))

    def required(self, name: str) -> str:
        value = clean_id(self(name))
        if not value:
            raise ValueError(f"missing {name}")
        return value


def _money(text: str) -> str:
    return str(parse_money(text) or Decimal(0))


def _quantity(text: str) -> int:
    return parse_quantity(text) if text else 0


def _record(values: dict[str, Any], line: int, row: list[str]) -> dict[str, Any]:
    base = {"return_carrier": "", "return_tracking_no": "", "sku": "", "quantity": 0, "reason": ""}
    return {**base, **values, "line": line, "raw": row}


def read_generic(table: Table, ctx: ReadContext) -> Iterator[dict[str, Any] | RowError]:
    required = [c for c in GENERIC_REQUIRED if not (c == "shop" and ctx.shop)]
    pos = require_columns(table, required)
    for line, row in table.rows:
        get = _Row(row, pos)
        try:
            platform = get("platform").lower()
            if platform not in platform_codes():
                raise ValueError(
                    f"unknown platform {platform!r} (expected one of {', '.join(platform_codes())})"
                )
            shop = get("shop") or (ctx.shop or "")
            if not shop:
                raise ValueError("missing shop")
            kind = get("type").lower()
            if kind not in GENERIC_TYPES:
                raise ValueError(f"unknown type {kind!r} (expected one of {', '.join(GENERIC_TYPES)})")
            status = get("status").lower()
            if status not in {s.value for s in CaseStatus}:
                raise ValueError(
                    f"unknown status {status!r} (expected one of {', '.join(s.value for s in CaseStatus)})"
                )
            reason = get("reason")
            yield _record(
                {
                    "platform": platform,
                    "shop": shop,
                    "case_no": get.required("case_id"),
                    "order_no": get.required("order_id"),
                    "case_type": GENERIC_TYPES[kind],
                    "status": status,
                    "raw_status": status,
                    "reason": reason,
                    "reason_code": reason_code(reason),
                    "amount": _money(get("amount")),
                    "requested_at": parse_time(get.required("created_at"), ctx.tz_for(platform, shop)),
                    "return_carrier": get("return_carrier"),
                    "return_tracking_no": clean_id(get("return_tracking_no")),
                    "sku": get("sku"),
                    "quantity": _quantity(get("quantity")),
                },
                line,
                row,
            )
        except ValueError as exc:
            yield RowError(table.path.name, line, get.column, str(exc), row)


def _platform_row(found: PlatformCase, case_type: str | None = None) -> tuple[str, str]:
    if not found.known or found.status is None:
        raise ValueError(found.problem)
    kind = case_type if case_type is not None else (found.case_type.value if found.case_type else "")
    return kind, found.status.value


def read_taobao(table: Table, ctx: ReadContext) -> Iterator[dict[str, Any] | RowError]:
    """The seller-centre refund export (退款管理 → 导出). Its 退款状态 is the enum's Chinese text."""
    if not ctx.shop:
        from lanshou.files.tabular import FileRefused

        raise FileRefused(f"{table.path.name}: the Taobao refund export names no shop; give --shop")
    pos = require_columns(table, ["case_id", "order_id", "status", "created_at"], TAOBAO_COLUMNS)
    for line, row in table.rows:
        get = _Row(row, pos)
        try:
            status_text = get("status")
            needs_return = get("needs_return") in {"是", "1", "true", "需要"}
            found = taobao_export_case(status_text, needs_return=needs_return, shipped=True)
            # refund-only: shipped or not is the order's to tell, so leave the kind open
            kind, status = _platform_row(found, None if needs_return else "")
            reason = get("reason")
            yield _record(
                {
                    "platform": "taobao",
                    "shop": ctx.shop,
                    "case_no": get.required("case_id"),
                    "order_no": get.required("order_id"),
                    "case_type": kind,
                    "status": status,
                    "raw_status": status_text,
                    "reason": reason,
                    "reason_code": reason_code(reason),
                    "amount": _money(get("amount")),
                    "requested_at": parse_time(get.required("created_at"), ctx.tz_for("taobao", ctx.shop)),
                    "return_tracking_no": clean_id(get("return_tracking_no")),
                    "sku": get("sku"),
                },
                line,
                row,
            )
        except ValueError as exc:
            yield RowError(table.path.name, line, get.column, str(exc), row)


def read_douyin(table: Table, ctx: ReadContext) -> Iterator[dict[str, Any] | RowError]:
    """Rows with the afterSale.List field names; refund_amount is in fen (分), apply_time a time or epoch."""
    required = [*DOUYIN_REQUIRED, *([] if ctx.shop else ["shop"])]
    pos = require_columns(table, required)
    for line, row in table.rows:
        get = _Row(row, pos)
        try:
            shop = get("shop") or (ctx.shop or "")
            found = douyin_case(get("aftersale_type"), get("aftersale_status"))
            get.column = "aftersale_status"
            kind, status = _platform_row(found)
            fen = get("refund_amount")
            amount = (Decimal(fen) * FEN).quantize(FEN) if fen else Decimal(0)
            applied = get.required("apply_time")
            tz = ctx.tz_for("douyin", shop)
            when = parse_time(_epoch(applied), tz) if applied.isdigit() else parse_time(applied, tz)
            reason = get("reason")
            yield _record(
                {
                    "platform": "douyin",
                    "shop": shop,
                    "case_no": get.required("aftersale_id"),
                    "order_no": get.required("order_id"),
                    "case_type": kind,
                    "status": status,
                    "raw_status": found.raw,
                    "reason": reason,
                    "reason_code": reason_code(reason),
                    "amount": str(amount),
                    "requested_at": when,
                    "return_tracking_no": clean_id(get("return_logistics_code")),
                },
                line,
                row,
            )
        except (ValueError, ArithmeticError) as exc:
            yield RowError(table.path.name, line, get.column, str(exc), row)


def _epoch(text: str) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(text), UTC).isoformat()


READERS: dict[str, Reader] = {"generic": read_generic, "taobao": read_taobao, "douyin": read_douyin}
