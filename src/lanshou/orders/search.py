"""One search box over the orders: what a term may be, and the indexed look-up that finds each kind.

- an order number, whole, or its first PREFIX_MIN or more characters: the (shop_id, order_no) key;
- a tracking number (运单号), whole: parcel_orders' key, which starts with it;
- a SKU, whole or its first characters: ix_order_lines_sku (shop_id, sku), in each shop;
and only for a caller whose role may see buyer data (a match would reveal what the mask hides, one guess at
a time), as `GET /api/v1/orders?buyer=` is:
- the receiver's phone, whole or its last 4 digits (as buyers tell them on the phone): ix_orders_phone_tail;
- the receiver's name, whole: ix_orders_receiver_name.

Each kind is a select of order ids of its own, which the query (lanshou.orders.queries) narrows by the
other filters, takes newest first and limits; the page is the newest of their union. One OR across the
kinds would make both databases walk every order. A part in the middle of a number is not searched: no
index of either database finds it without reading every order.

A prefix is the range [term, term with its last character moved one on): an index range in the C / binary
collation SQLite always uses and Lanshou's PostgreSQL databases are created with; the LIKE beside it keeps
the answer exact whatever the collation.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select

from lanshou.orders import tables as ot
from lanshou.shops import tables as st
from lanshou.tracking.queries import orders_in_parcel

PREFIX_MIN = 4  # shorter terms match whole numbers and SKUs only: "3" would range over a third of them
TAIL = 4  # digits of a phone number buyers give
_PHONE = re.compile(r"\d{4}|\d{7,20}")  # its last 4 digits, or a whole number
_PHONE_SEPARATORS = re.compile(r"[\s-]")


def search_ids(term: str, receivers: bool) -> list[Select[Any]]:
    """Selects of orders.id, one per kind the term may be (none for a blank term). `receivers`: the
    caller's role may see buyer data, so phones and names are searched too."""
    text = term.strip()
    if not text:
        return []
    found = [_by_order_no(text), _by_tracking_no(text), _by_sku(text)]
    if receivers:
        found += [_by_phone(phone) for phone in _phone_of(text)]
        found.append(select(ot.orders.c.id).where(ot.orders.c.receiver_name == text))
    return found


def starts_with(column: Any, text: str) -> ColumnElement[bool]:
    """`column` is `text`, or starts with it when it is long enough, as an index range."""
    if len(text) < PREFIX_MIN:
        return column == text
    wanted = [column >= text, column.startswith(text, autoescape=True)]
    upper = _past_prefix(text)
    if upper is not None:
        wanted.append(column < upper)
    return and_(*wanted)


def _past_prefix(text: str) -> str | None:
    """The first text after every text starting with `text` (None past the last character)."""
    code = ord(text[-1]) + 1
    if 0xD800 <= code <= 0xDFFF:  # surrogates are not characters a database stores
        code = 0xE000
    return text[:-1] + chr(code) if code <= 0x10FFFF else None


def _by_order_no(text: str) -> Select[Any]:
    o, shops = ot.orders.c, _shop_ids()
    # naming the shops lets the (shop_id, order_no) key serve a search by number alone (SQLite reads the
    # callers' shop filter as `shop_id + 0`, which the key cannot serve: see lanshou.orders.queries)
    return select(o.id).where(o.shop_id.in_(shops), starts_with(o.order_no, text))


def _by_tracking_no(text: str) -> Select[Any]:
    o = ot.orders
    carried = orders_in_parcel(text).subquery("carried")
    on = and_(carried.c.shop_id == o.c.shop_id, carried.c.order_no == o.c.order_no)
    return select(o.c.id).select_from(o.join(carried, on))


def _by_sku(text: str) -> Select[Any]:
    o, ln = ot.orders, ot.order_lines
    on = and_(ln.c.shop_id == o.c.shop_id, ln.c.order_no == o.c.order_no)
    # the SKU index leads with the shop (the SKUs a shop sells are walked on it): naming the shops lets it
    # serve a search by SKU alone, a range in each shop
    wanted = and_(ln.c.shop_id.in_(_shop_ids()), starts_with(ln.c.sku, text))
    return select(o.c.id).select_from(o.join(ln, on)).where(wanted).distinct()


def _phone_of(text: str) -> list[str]:
    """The digits of a phone number or of its last 4 ("138 1234 5678", "5678"); none for other text."""
    digits = _PHONE_SEPARATORS.sub("", text)
    return [digits] if _PHONE.fullmatch(digits) else []


def _by_phone(digits: str) -> Select[Any]:
    o = ot.orders.c
    wanted = [ot.receiver_phone_tail == digits[-TAIL:]]  # the indexed expression, then the whole number:
    if len(digits) > TAIL:  # by LIKE (digits hold no wildcard), as SQLite folds `receiver_phone = '138…'`
        wanted.append(o.receiver_phone.like(digits))  # into the expression, which then matches no index
    return select(o.id).where(*wanted)


def _shop_ids() -> Any:
    return select(st.shops.c.id).scalar_subquery()
