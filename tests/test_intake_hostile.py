"""Hostile cells: every value is checked against its column before writing, the same on SQLite and
PostgreSQL; a bad value rejects its own row (named in the rejects file), never the batch.

The fuzz test gives each row its own order, so a row's fate depends on its own cells only: a row with a
hostile cell from BAD is rejected naming the column, every other row is stored whole.
"""

from __future__ import annotations

import csv
import itertools
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from lanshou import schema as s
from lanshou.files.export import safe_cell
from lanshou.intake.feedback import import_feedback
from lanshou.intake.limits import from_tables
from lanshou.intake.orders import import_orders
from lanshou.platforms.limits import DEFAULT
from lanshou.platforms.values import parse_money, parse_quantity, parse_rating
from lanshou.shops.store import ShopDirectory

HEADER = [
    "platform",
    "shop",
    "order_id",
    "created_at",
    "buyer_name",
    "province",
    "address",
    "sku",
    "title",
    "quantity",
    "unit_price",
    "order_amount",
    "carrier",
    "tracking_no",
]
LONG = "长" * (128 * 1024 + 7)  # over csv's default field limit (128 KiB): read, and stored in a Text column

# column -> values its column cannot hold (each rejects its row naming the column)
BAD: dict[str, list[str]] = {
    "quantity": [
        "Infinity",
        "sNaN",
        "NaN",
        "1e3",
        "4.5",
        "0",
        "-2",
        "99999999999999999999",
        "2147483648",
        "9" * 5000,
        "",
        LONG,
    ],
    "unit_price": ["1e30", "Infinity", "-Infinity", "sNaN", "-1", "1000000000000", "999999999999.995", "x"],
    "order_amount": ["1e30", "sNaN", "12,34,,x", "1E+12"],
    "order_id": ["o" * 65, "a\x00b", ""],
    "sku": ["s" * 129, "", "k\x00"],
    "created_at": ["0001-01-01 00:00:00", "9999-12-31 23:59:59", "2026-13-01 00:00", LONG],
    "buyer_name": ["n" * 201],
    "province": ["p" * 65],
    "address": ["\x00"],
    "tracking_no": ["t" * 65],
    "carrier": ["c" * 65],
}
# values that look odd but fit: stored
ODD_GOOD: dict[str, list[str]] = {
    "title": [LONG, 'a "quoted", multi\nline title', "=1+1", "Ω≈ç√∫"],
    "address": [LONG, "x" * 300],
    "quantity": ["3.0", "+2", "007", "2147483647"],
    "unit_price": ["999999999999.99", "¥1,234.50", "1e-9", ""],
    "order_id": ["o" * 64, '="123456789012345678"'],
    "sku": ["s" * 128],
}

_shops = itertools.count()


def good_row(shop: str, n: int) -> dict[str, str]:
    return {
        "platform": "taobao",
        "shop": shop,
        "order_id": f"O{n:06d}",
        "created_at": "2026-11-01 10:00:00",
        "buyer_name": "张三",
        "province": "浙江省",
        "address": "文三路1号",
        "sku": f"SKU-{n}",
        "title": "保温杯",
        "quantity": "2",
        "unit_price": "12.50",
        "order_amount": "25.00",
        "carrier": "圆通速递",
        "tracking_no": f"YT{n:010d}",
    }


Spoil = tuple[str, str] | None  # (column, value) or a good row
spoils = st.one_of(
    st.none(),
    st.sampled_from([(c, v) for c, values in BAD.items() for v in values]).map(lambda x: ("bad", *x)),
    st.sampled_from([(c, v) for c, values in ODD_GOOD.items() for v in values]).map(lambda x: ("odd", *x)),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=st.lists(spoils, min_size=1, max_size=12))
def test_hostile_cells_reject_their_row_only(
    engine: Engine, tmp_path: Path, plan: list[tuple[str, str, str] | None]
) -> None:
    shop = f"店{next(_shops)}"
    rows, bad_rows = [], []
    order_ids = iter(range(10**6))
    for spoil in plan:
        n = next(order_ids)
        row = good_row(shop, n)
        if spoil is not None:
            kind, column, value = spoil
            if (kind, column) == ("odd", "order_id"):  # still one order per row
                value = value[:-7] + f"{n:06d}" + value[-1]
            row[column] = value
            if kind == "bad":
                bad_rows.append((row, column))
        rows.append(row)
    path = tmp_path / f"{shop}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows([[r[c] for c in HEADER] for r in rows])
    report = import_orders(engine, path)

    good_ids = {r["order_id"] for r in rows if all(r is not b for b, _ in bad_rows)}
    with engine.connect() as conn:
        shop_id = conn.execute(select(s.shops.c.id).where(s.shops.c.name == shop)).scalar()
        stored = set(conn.execute(select(s.orders.c.order_no).where(s.orders.c.shop_id == shop_id)).scalars())
        lines = conn.execute(
            select(func.count()).select_from(s.order_lines).where(s.order_lines.c.shop_id == shop_id)
        ).scalar()
    assert stored == {i.removeprefix('="').removesuffix('"') for i in good_ids}, [
        (c, r[c][:80]) for r, c in bad_rows
    ]
    assert lines == len(good_ids)
    assert report.rejected_count == len(bad_rows)
    assert report.rows == len(rows) and report.kept == len(good_ids)
    rejects = path.with_name(f"{shop}.rejected.csv")
    if not bad_rows:
        assert not rejects.exists()
        return
    with rejects.open(encoding="utf-8-sig", newline="") as f:
        written = list(csv.reader(f))
    assert written[0] == [*HEADER, "reason"]
    assert [w[:-1] for w in written[1:]] == [[safe_cell(r[c]) for c in HEADER] for r, _ in bad_rows]
    for w, (_, column) in zip(written[1:], bad_rows, strict=True):
        assert f"[{column}]" in w[-1], (column, w[-1][:200])


def test_limits_are_the_tables_column_types() -> None:
    assert from_tables() == DEFAULT
    assert DEFAULT.money_max == Decimal("999999999999.99")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Infinity", "whole number"),
        ("sNaN", "whole number"),
        ("1e3", "whole number"),
        ("99999999999999999999", "1-2147483647"),
        ("2147483648", "1-2147483647"),
        ("-3", "must be positive"),
        ("abc", "not a number"),
    ],
)
def test_quantity_is_a_whole_number_in_range(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_quantity(text)


def test_ratings_and_money() -> None:
    assert parse_quantity("3.0") == 3 and parse_quantity(" 12 ") == 12
    for text in ("4.9", "Infinity", "0", "6", "1e0", "sNaN"):
        with pytest.raises(ValueError, match="rating"):
            parse_rating(text)
    assert parse_rating("5") == 5 and parse_rating("") is None
    assert parse_money("999999999999.99") == Decimal("999999999999.99")
    for text in ("1e30", "1000000000000", "999999999999.995", "Infinity", "sNaN"):
        with pytest.raises(ValueError):
            parse_money(text)


def test_feedback_hostile_ratings_reject_their_rows(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        ShopDirectory(conn).ensure(conn, "douyin", "抖音小店")
    path = tmp_path / "feedback.csv"
    ratings = ["5", "Infinity", "4.9", "1e0", "99999999999", "1"]
    lines = [f"douyin,抖音小店,9{n},2026-11-05 10:00:00,{r},,ok" for n, r in enumerate(ratings)]
    path.write_text("platform,shop,order_id,created_at,rating,tags,content\n" + "\n".join(lines) + "\n")
    report = import_feedback(engine, path)
    assert (report.inserted, report.rejected_count) == (2, 4)
    assert {e.column for e in report.rejected} == {"rating"}
    assert report.unmatched == 2  # no such orders yet: kept, counted


def test_tracking_values_checked_on_both_databases(engine: Engine, tmp_path: Path) -> None:
    from lanshou.intake.tracking import import_tracking

    lines = [
        ["yto", "YT1", "2026-11-01 18:30:00", "103", "杭州", "已揽收"],
        ["yto", "YT2", "2026-11-01 18:30:00", "103", "地" * 201, "long place"],
        ["yto", "YT3", "2026-11-01 18:30:00", "103", "杭州", "nul \x00 here"],
        ["yto", "Y" * 65, "2026-11-01 18:30:00", "103", "杭州", "long number"],
        ["c" * 65, "YT5", "2026-11-01 18:30:00", "103", "杭州", "long carrier"],
        ["yto", "YT6", "2026-11-01 18:30:00", "103", "杭州", LONG],  # a long description fits its Text
    ]
    path = tmp_path / "t.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [["carrier", "tracking_no", "event_time", "status", "location", "description"]]
        )
        csv.writer(f).writerows(lines)
    report = import_tracking(engine, path)
    assert (report.inserted, report.rejected_count) == (2, 4)
    assert [e.column for e in report.rejected] == ["location", "description", "tracking_no", "carrier"]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("订单编号", "9" * 65, "at most 64"),
        ("买家实际支付金额", "1e30", "amount too large"),
        ("收货人姓名", "名" * 201, "at most 200"),
        ("物流单号", "Y" * 65, "at most 64"),
    ],
)
def test_platform_exports_check_the_limits_too(
    engine: Engine, tmp_path: Path, column: str, value: str, reason: str
) -> None:
    from tests.test_platform_readers import TAOBAO_ORDERS, TAOBAO_SHOP, rewrite_csv

    def spoil(rows: list[list[str]]) -> None:
        rows[1][rows[0].index(column)] = value

    path = rewrite_csv(TAOBAO_ORDERS, tmp_path / "bad.csv", spoil)
    report = import_orders(engine, path, "taobao", shop=TAOBAO_SHOP)
    assert report.rejected_count == 1 and report.inserted >= 1
    error = report.rejected[0]
    assert (error.line, error.column) == (2, column) and reason in error.reason
