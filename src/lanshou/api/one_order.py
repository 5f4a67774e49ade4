"""`GET /api/v1/orders?shop=…&order_id=…` answered in front of FastAPI's router: the read another system
polls thousands of times a minute.

Through FastAPI this read spent about three quarters of its CPU outside Lanshou's code: the route walk,
and the per-parameter work for the list route's eleven query parameters (bench/api: ~1 ms a read). Here a
request that is exactly the well-formed one-order form, with a bearer token and no cookie, is one
statement on the event loop (`LoopReads`): the order among the shops the token's active holder may see
(`accounts.service.shops_of_token`, the rule the route's token check applies), narrowed to the shop
`?shop=` names as the route's `pick_shops` reads it (`orders.queries.find_order_among`). Found, it is
answered as the route answers it (`OrderItem`, masked; `Page`); not found, a second statement tells "no
such order" (an empty list, answered here) from "no such shop among the holder's, or no holder" (the
route's 404 or 401). Anything else — another parameter, a malformed value, no token, a database error —
goes on to FastAPI untouched, which answers it as before: no error is answered here, so no error path
exists twice. `tests/test_api_one_order.py` holds the answers equal, byte for byte, to the route's, and
the route's parameters and dependencies to what this module assumes of them.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl

from sqlalchemy.exc import SQLAlchemyError
from starlette._utils import get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

from lanshou.accounts.service import shops_of_token, token_params
from lanshou.api.loop_reads import LoopReads
from lanshou.api.pagination import Page, encode_cursor
from lanshou.api.v1 import PREFIX
from lanshou.api.v1.orders import DEFAULT_LIMIT, OrderItem
from lanshou.orders.queries import find_order_among
from lanshou.shops.store import names_a_shop_among

log = logging.getLogger(__name__)
PATH = f"{PREFIX}/orders"
# the route's own limits on these two parameters (lanshou.api.v1.orders, lanshou.api.deps.shop_scope)
MAX_ORDER_ID, MAX_SHOP = 64, 200


class OneOrderReads:
    """Pure ASGI, between the security headers (which still wrap the answer) and the session middleware
    (an API token needs no session)."""

    def __init__(self, app: ASGIApp, reads: LoopReads) -> None:
        self.app = app
        self.reads = reads
        self._fallbacks = _Fallbacks()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self._answer(scope) if scope["type"] == "http" and get_route_path(scope) == PATH else None
        if body is None:
            await self.app(scope, receive, send)
            return
        headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _answer(self, scope: Scope) -> bytes | None:
        if scope["method"] != "GET":
            return None
        asked = _one_order_query(scope["query_string"])
        token = _bearer_without_cookie(scope["headers"])
        if asked is None or token is None:
            return None
        order_id, shop = asked
        try:
            return self._read(token, order_id, shop)
        except SQLAlchemyError as exc:
            self._fallbacks.note(exc)
            return None  # the route runs it again and answers the error as every route does

    def _read(self, token: str, order_id: str, shop: str | None) -> bytes | None:
        params = token_params(token)
        if params is None:
            return None  # 401 from the route
        # the caller's shops and the order in one statement
        rows = self.reads.run(
            lambda conn: find_order_among(conn, order_id, shops_of_token(), params, shop, DEFAULT_LIMIT + 1)
        )
        # nothing found: no such order is an empty list, when the token's holder has the shop named (or,
        # naming none, any shop); an unknown token (401), a shop not among theirs (404) are the route's
        if not rows and not self.reads.run(
            lambda conn: names_a_shop_among(conn, shops_of_token(), params, shop)
        ):
            return None
        page, more = rows[:DEFAULT_LIMIT], len(rows) > DEFAULT_LIMIT
        answer = Page[OrderItem](
            items=[OrderItem.of(row, False) for row in page],
            next=encode_cursor({"before": page[-1].row_id}) if more else None,
        )
        return answer.model_dump_json(by_alias=True).encode()


def _one_order_query(query_string: bytes) -> tuple[str, str | None] | None:
    """(order_id, shop) when the query is `order_id=` and perhaps `shop=`, each once, non-empty and within
    the route's limits; else None."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)  # as Starlette reads it
    given = dict(pairs)
    if len(given) != len(pairs) or not given.keys() <= {"order_id", "shop"}:
        return None
    order_id, shop = given.get("order_id", ""), given.get("shop")
    if not 0 < len(order_id) <= MAX_ORDER_ID or "\x00" in order_id:
        return None
    if shop is not None and (len(shop) > MAX_SHOP or "\x00" in shop):
        return None
    return order_id, shop


def _bearer_without_cookie(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The bearer token, when the request has one and no cookie (a browser's session is the pages' matter:
    the session middleware may answer it with a renewed cookie)."""
    authorization = None
    for name, value in headers:
        if name == b"cookie":
            return None
        if name == b"authorization" and authorization is None:  # the first, as Starlette's Headers.get
            authorization = value.decode("latin-1")
    scheme, _, credentials = (authorization or "").partition(" ")  # as FastAPI's HTTPBearer splits it
    return (credentials.strip() or None) if scheme.lower() == "bearer" else None


class _Fallbacks:
    """Reads the route answered after this one failed: logged at most once a minute, with their count (a
    failure only this statement meets would otherwise put every read back on the slower route unseen)."""

    def __init__(self, every_s: float = 60.0) -> None:
        self.every_s = every_s
        self.count = 0
        self._logged_at = -every_s

    def note(self, exc: Exception) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self._logged_at >= self.every_s:
            self._logged_at = now
            log.warning(
                "one-order read failed, the route answered (%d so far): %s", self.count, type(exc).__name__
            )
