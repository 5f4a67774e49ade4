"""lanshou.db.driver_reads.tuples: a batch read's rows as plain tuples hold exactly what SQLAlchemy's Rows
hold (values and their types: times, days, booleans, NULLs, floats), on both databases; a read of a type
it would not parse as SQLAlchemy does is refused before it runs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, String, func, insert, select, type_coerce
from sqlalchemy.exc import DBAPIError

from lanshou.db.bulk import time_text
from lanshou.db.driver_reads import tuples
from lanshou.metrics import tables as mt
from lanshou.orders import tables as ot
from lanshou.orders.rows import LINE_FIELDS, ORDER_FIELDS, money_text
from lanshou.orders.store import read_as_stored
from lanshou.tracking.tables import parcel_state

NEVER = date(9999, 12, 31)
NOW = datetime(2026, 12, 3, 12, 0)


def _typed(rows: Any) -> list[tuple[tuple[type, Any], ...]]:
    return [tuple((type(value), value) for value in row) for row in rows]


def _same_as_rows(engine: Engine, query: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        fast, rows = tuples(conn, query), conn.execute(query).all()
    assert _typed(fast) == _typed(rows)
    assert all(type(row) is tuple for row in fast)
    return fast


def test_times_days_booleans_and_nulls_read_as_sqlalchemy_reads_them(engine: Engine) -> None:
    order = {"shop_id": 1, "negative_eday": NEVER, "extra_m1": "{}", "carrier": ""}
    parcel = {"shop_id": 1, "order_no": "A", "bucket": 2}
    with engine.begin() as conn:
        conn.execute(
            insert(mt.metric_orders),
            [
                {**order, "order_no": "A", "pay_day": date(2026, 11, 30), "limit_hours": 24,
                 "pickup_on_time": True, "closed": False},
                {**order, "order_no": "B", "pay_day": None, "limit_hours": None, "pickup_on_time": None,
                 "closed": None, "carrier": "顺丰"},
            ],
        )  # fmt: skip
        conn.execute(
            insert(mt.metric_parcels),
            [{**parcel, "tracking_no": "SF1", "duration_s": 5400.5},
             {**parcel, "tracking_no": "SF2", "duration_s": None}],
        )  # fmt: skip
        conn.execute(
            insert(parcel_state),
            [{"tracking_no": "SF1", "updated_at": datetime(2026, 12, 1, 8, 30, 5, 120),
              "pickup_at": datetime(2026, 12, 1, 9), "finished": True},
             {"tracking_no": "SF2", "updated_at": datetime(2026, 12, 1, 8, 30), "pickup_at": None,
              "finished": False}],
        )  # fmt: skip
    orders = _same_as_rows(engine, select(mt.metric_orders).order_by(mt.metric_orders.c.order_no))
    assert [(row[0], row[1], row[2]) for row in orders] == [(1, "A", date(2026, 11, 30)), (1, "B", None)]
    assert orders[0][7] is True
    parcels = _same_as_rows(engine, select(mt.metric_parcels).order_by(mt.metric_parcels.c.tracking_no))
    assert [row[-2] for row in parcels] == [5400.5, None]
    states = select(parcel_state.c.tracking_no, parcel_state.c.updated_at, parcel_state.c.pickup_at,
                    parcel_state.c.finished).order_by(parcel_state.c.tracking_no)  # fmt: skip
    assert _same_as_rows(engine, states) == [
        ("SF1", datetime(2026, 12, 1, 8, 30, 5, 120), datetime(2026, 12, 1, 9), True),
        ("SF2", datetime(2026, 12, 1, 8, 30), None, False),
    ]


def test_a_streamed_read_gives_the_same_tuples(engine: Engine) -> None:
    states = [
        {"tracking_no": f"SF{i}", "updated_at": datetime(2026, 12, 1, 8, i), "finished": i % 2 == 0}
        for i in range(7)
    ]
    with engine.begin() as conn:
        conn.execute(insert(parcel_state), states)
    query = select(parcel_state.c.tracking_no, parcel_state.c.updated_at, parcel_state.c.finished)
    ordered = query.order_by(parcel_state.c.tracking_no)
    with engine.connect() as conn:
        plain = tuples(conn, ordered)
        streamed = tuples(conn, ordered.execution_options(yield_per=2))
        by_connection = tuples(conn.execution_options(stream_results=True), ordered)
    assert _typed(streamed) == _typed(plain) == _typed(by_connection)
    assert len(plain) == 7 and plain[0][2] is True


def test_no_row_is_an_empty_list(engine: Engine) -> None:
    assert _same_as_rows(engine, select(mt.metric_orders)) == []


def test_a_type_it_would_not_parse_is_refused_before_the_read(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(TypeError, match="order_amount"):
        tuples(conn, select(ot.orders.c.order_no, ot.orders.c.order_amount))


def test_an_error_while_stepping_through_the_rows_is_sqlalchemys(sqlite_engine: Engine) -> None:
    rows = [{"tracking_no": number, "updated_at": datetime(2026, 12, 1)} for number in ('["a"]', "not json")]
    with sqlite_engine.begin() as conn:  # the first row reads, the second fails (SQLite steps in fetchall)
        conn.execute(insert(parcel_state), rows)
    first = type_coerce(func.json_extract(parcel_state.c.tracking_no, "$[0]"), String)
    with sqlite_engine.connect() as conn, pytest.raises(DBAPIError, match="JSON"):
        tuples(conn, select(first).order_by(parcel_state.c.tracking_no))


def _as_order_rows_hold_it(value: Any) -> Any:
    """The oracle: a value SQLAlchemy read, in the form OrderRows hold it (times and money as text)."""
    if isinstance(value, datetime):
        return time_text(value)
    if isinstance(value, Decimal):
        return money_text(value)
    return value


def test_the_order_store_reads_what_is_stored_as_order_rows_hold_it(engine: Engine) -> None:
    order = {"shop_id": 1, "status": "paid", "created_at": datetime(2026, 12, 1, 8, 30), "updated_at": NOW}
    amounts = [None, Decimal("0"), Decimal("-0.00"), Decimal("100"), Decimal("99.9"), Decimal("0.07"),
               Decimal("123456789012.34"), Decimal("-5.5")]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            insert(ot.orders),
            [{**order, "order_no": f"N{i}", "order_amount": amount, "is_presale": i % 2 == 0,
              "paid_at": None if i % 3 == 0 else datetime(2026, 12, 1, 9, 0, 5, i * 1000),
              "promised_ship_by": datetime(2026, 12, 3, 23, 59, 59, 999999)}
             for i, amount in enumerate(amounts)],
        )  # fmt: skip
        conn.execute(
            insert(ot.order_lines),
            [{"shop_id": 1, "order_no": "N1", "line_key": sku, "sku": sku, "quantity": 2, "unit_price": price}
             for sku, price in (("A", Decimal("19.90")), ("B", None), ("C", Decimal("3")))],
        )  # fmt: skip
        if engine.dialect.name == "sqlite":  # a time written by hand, in another text form
            conn.exec_driver_sql("UPDATE orders SET paid_at = '2026-12-01 10:00:00' WHERE order_no = 'N0'")
            conn.exec_driver_sql(
                "UPDATE orders SET paid_at = '2026-12-01T10:00:00.000000' WHERE order_no = 'N1'"
            )  # 26 characters too, in ISO's other form
    o, li = ot.orders, ot.order_lines
    orders = _same_as_stored(
        engine, select(o.c.shop_id, o.c.order_no, *[o.c[name] for name in ORDER_FIELDS]).order_by(o.c.id)
    )
    _same_as_stored(engine, select(li.c.order_no, *[li.c[name] for name in LINE_FIELDS]).order_by(li.c.id))
    amount = ORDER_FIELDS.index("order_amount") + 2
    assert [row[amount] for row in orders][:4] == [None, "0.00", "0.00", "100.00"]  # -0.00 is 0.00


def _same_as_stored(engine: Engine, query: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        fast, rows = read_as_stored(conn, query), conn.execute(query).all()
    assert _typed(fast) == _typed([tuple(map(_as_order_rows_hold_it, row)) for row in rows])
    return fast
