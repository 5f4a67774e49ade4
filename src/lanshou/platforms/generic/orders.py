"""The generic orders file of METRICS.md: one row per order line, order columns repeated."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import tzinfo
from operator import itemgetter

from lanshou.files.tabular import Table
from lanshou.orders.countries import country_code
from lanshou.orders.records import LineRecord, OrderRecord, ParcelRecord, RowError
from lanshou.orders.status import OrderStatus, parse_status
from lanshou.platforms.base import ReadContext, register, require_columns
from lanshou.platforms.limits import Limits, line_problem, order_problem, parcel_problem
from lanshou.platforms.registry import is_platform_code, platform_codes
from lanshou.platforms.values import (
    CellError,
    cell_reason,
    check,
    check_time,
    clean_id,
    is_masked,
    parse_bool,
    parse_email,
    parse_money,
    parse_quantity,
)

REQUIRED = ("platform", "shop", "order_id", "created_at", "sku", "quantity")
OPTIONAL = (
    "status",
    "paid_at",
    "is_presale",
    "promised_ship_by",
    "buyer_id",
    "buyer_name",
    "buyer_phone",
    "buyer_email",
    "province",
    "city",
    "district",
    "address",
    "buyer_message",
    "country",
    "seller_remark",
    "title",
    "category",
    "unit_price",
    "order_amount",
    "carrier",
    "tracking_no",
    "shipped_at",
)


LINE_COLUMNS = frozenset(
    {"sku", "title", "category", "quantity", "unit_price", "carrier", "tracking_no", "shipped_at"}
)
ABSENT = -1  # an absent optional column reads the empty cell appended to every row


@dataclass(frozen=True, slots=True)
class _Columns:
    """Each column's position in the row (ABSENT when the file lacks it): read positionally, because
    these loops run once per line of million-line files and a dict per row costs more than the parsing."""

    platform: int
    shop: int
    order_id: int
    status: int
    created_at: int
    paid_at: int
    is_presale: int
    promised_ship_by: int
    buyer_id: int
    buyer_name: int
    buyer_phone: int
    buyer_email: int
    province: int
    city: int
    district: int
    address: int
    buyer_message: int
    country: int
    seller_remark: int
    order_amount: int
    sku: int
    title: int
    category: int
    quantity: int
    unit_price: int
    carrier: int
    tracking_no: int
    shipped_at: int

    @classmethod
    def of(cls, pos: dict[str, int]) -> _Columns:
        return cls(*(pos.get(name, ABSENT) for name in cls.__slots__))


class GenericOrders:
    """Consecutive rows of one order are parsed once for the order's columns, then once per line."""

    name = "generic"

    def read(self, table: Table, ctx: ReadContext) -> Iterator[OrderRecord | RowError]:
        required = [c for c in REQUIRED if not (c == "shop" and ctx.shop)]
        pos = require_columns(table, required)
        # at least two order columns (platform, order_id…), so itemgetter returns tuples
        pick_order = itemgetter(*(i for name, i in pos.items() if name in ORDER_COLUMNS))
        width = max(pos.values()) + 1

        def keyed() -> Iterator[tuple[int, list[str], list[str], object]]:
            for line, raw in table.rows:
                row = raw + [""] * (width - len(raw)) if len(raw) < width else raw
                row = [*row, ""]  # what ABSENT reads
                yield line, raw, row, pick_order(row)

        yield from read_rows(keyed(), pos, ctx, table.path.name)


def read_rows(
    rows: Iterable[tuple[int, list[str], list[str], object]],
    pos: dict[str, int],
    ctx: ReadContext,
    source: str,
) -> Iterator[OrderRecord | RowError]:
    """Orders of (line, raw row, row, order key) tuples: consecutive rows with equal order keys (the order's
    cells) are one order's lines. `row` holds every column of `pos`, and "" at its end (what ABSENT reads).
    The generic file's reader and the API's batch ingest (which gives its rows without a file) share this.
    """
    c = _Columns.of(pos)
    ctx.absent = frozenset(name for name in ORDER_RECORD_FIELDS if getattr(c, name) == ABSENT)
    current: OrderRecord | None = None
    current_key: object = None
    tz: tzinfo | None = None
    # one object per distinct shop, place, product or carrier name: batches then pickle each once
    shared: dict[str, str] = {}
    share = shared.setdefault
    for line, raw, row, order_key in rows:
        try:
            if current is None or order_key != current_key:
                if current is not None and current.lines:
                    yield current
                current = current_key = None  # stays so if this row's order cells are bad
                current, tz = _order(row, c, ctx, line, share)
                current_key = order_key
            assert tz is not None
            _add_line(current, row, c, tz, share, ctx.limits)
        except CellError as exc:
            yield RowError(source, line, exc.column, exc.reason, raw)
    if current is not None and current.lines:
        yield current


ORDER_COLUMNS = frozenset((*REQUIRED, *OPTIONAL)) - LINE_COLUMNS
# optional order columns named as the OrderRecord fields they fill
ORDER_RECORD_FIELDS = tuple(name for name in OPTIONAL if name not in LINE_COLUMNS)


Share = Callable[[str, str], str]


def _order(
    row: list[str], c: _Columns, ctx: ReadContext, line: int, share: Share
) -> tuple[OrderRecord, tzinfo]:
    platform = check(row[c.platform].strip().lower(), "platform", _platform)
    shop = row[c.shop].strip() or (ctx.shop or "")
    shop = share(shop, shop)
    if not shop:
        raise CellError("shop", "missing shop")
    order_no = check(row[c.order_id].strip(), "order_id", _required_id)
    tz = ctx.tz_for(platform, shop)
    created = check_time(row[c.created_at].strip(), "created_at", tz)
    if created is None:
        raise CellError("created_at", "missing created_at")
    status_text = row[c.status].strip()
    status = check(status_text, "status", parse_status) if status_text else OrderStatus.PAID
    name, address = row[c.buyer_name].strip(), row[c.address].strip()
    province, city, district = row[c.province].strip(), row[c.city].strip(), row[c.district].strip()
    phone = clean_id(row[c.buyer_phone].strip())
    country = country_code(row[c.country])
    record = OrderRecord(
        platform=platform,
        shop=shop,
        order_no=order_no,
        created_at=created,
        status=status,
        paid_at=check_time(row[c.paid_at].strip(), "paid_at", tz),
        is_presale=check(row[c.is_presale], "is_presale", parse_bool),
        promised_ship_by=check_time(row[c.promised_ship_by].strip(), "promised_ship_by", tz),
        buyer_id=clean_id(row[c.buyer_id].strip()),
        buyer_name=name,
        buyer_phone=phone,
        province=share(province, province),
        city=share(city, city),
        district=share(district, district),
        address=address,
        buyer_message=row[c.buyer_message].strip(),
        country=share(country, country),
        seller_remark=row[c.seller_remark].strip(),
        order_amount=check(row[c.order_amount], "order_amount", parse_money),
        buyer_data_masked=is_masked(name) or is_masked(phone) or is_masked(address),
        buyer_email=check(row[c.buyer_email], "buyer_email", parse_email),
        source_line=line,
    )
    problem = order_problem(record, ctx.limits)  # no lines or parcels yet: the order's own values
    if problem is not None:
        raise CellError(GENERIC_NAMES.get(problem[0], problem[0]), problem[1])
    return record, tz


GENERIC_NAMES = {"order_no": "order_id", "line_key": "sku"}  # record field -> this file's column


def _add_line(
    record: OrderRecord, row: list[str], c: _Columns, tz: tzinfo, share: Share, limits: Limits
) -> None:
    column = "sku"
    try:  # one handler for the line's cells
        sku = _required_id(row[c.sku].strip())
        sku = share(sku, sku)
        column = "quantity"
        quantity = parse_quantity(row[c.quantity])
        column = "unit_price"
        unit_price = parse_money(row[c.unit_price])
    except ValueError as exc:
        raise CellError(column, cell_reason(column, exc)) from None
    shipped_text = row[c.shipped_at].strip()
    shipped = check_time(shipped_text, "shipped_at", tz) if shipped_text else None
    title, category = row[c.title].strip(), row[c.category].strip()
    line = LineRecord(sku, sku, quantity, share(title, title), share(category, category), unit_price)
    tracking_no = clean_id(row[c.tracking_no].strip())
    parcel = None
    if tracking_no:
        carrier = row[c.carrier].strip()
        parcel = ParcelRecord(tracking_no, share(carrier, carrier), shipped)
    problem = line_problem(line, limits) or (parcel_problem(parcel, limits) if parcel else None)
    if problem is not None:
        raise CellError(GENERIC_NAMES.get(problem[0], problem[0]), problem[1])
    record.add_line(line)
    if len(line.line_key) > limits.lengths["order_lines.line_key"]:  # made unique with a #n suffix
        record.lines.pop()
        raise CellError("sku", f"sku repeated in the order and too long to number ({len(sku)} characters)")
    if parcel is not None:
        record.add_parcel(parcel)


def _required(text: str) -> str:
    if not text:
        raise ValueError("missing value")
    return text


def _required_id(text: str) -> str:
    return _required(clean_id(text))


def _platform(text: str) -> str:
    if not is_platform_code(text):
        raise ValueError(f"unknown platform {text!r} (expected one of {', '.join(platform_codes())})")
    return text


register("generic")(GenericOrders)
