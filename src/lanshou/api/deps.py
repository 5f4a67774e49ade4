"""Dependencies every API route uses: the engine, the Bearer-token user, permissions, the shop scope.

Scope rule (the same on every route): a shop the caller is not granted is treated exactly like a shop that
does not exist — 404 `shop_not_found` for `?shop=`, and never a row of it in any answer. A role that lacks a
permission gets 403 `forbidden`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from lanshou.accounts.model import ShopRef, User, holds_every_shop, pick_shops
from lanshou.accounts.roles import Permission, not_allowed
from lanshou.accounts.service import token_holder_and_shops_over, user_for_token_over
from lanshou.api.errors import ApiError, forbidden, unauthorized
from lanshou.api.loop_reads import LoopReads

# PostgreSQL refuses NUL in text: a NUL in any text parameter is a 422, never a database error
NO_NUL = r"^[^\x00]*$"

bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="lsk_…",
    description="`lanshou users token NAME` prints a token; send it as `Authorization: Bearer lsk_…`.",
)


# Dependencies are `async def`: FastAPI runs a plain `def` in a worker thread, and each such hop cost about
# a millisecond per request on a busy machine. The token check is one indexed statement, run on the loop
# itself (`LoopReads`); nothing that may take longer belongs in a dependency.


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def loop_reads(request: Request) -> LoopReads:
    """The app's connection for short indexed reads on the event loop (see `lanshou.api.loop_reads`)."""
    reads: LoopReads = request.app.state.loop_reads
    return reads


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None:
        raise unauthorized("需要令牌 missing token: send Authorization: Bearer <token>")
    return credentials.credentials


def _invalid_token() -> ApiError:
    return unauthorized("令牌无效 invalid token, or its user is disabled")


async def api_user(request: Request, credentials: Credentials) -> User:
    token = _token(credentials)
    user = loop_reads(request).run(lambda conn: user_for_token_over(conn, token))
    if user is None:
        raise _invalid_token()
    return user


ApiUser = Annotated[User, Depends(api_user)]


def require(permission: Permission) -> Callable[[User], Awaitable[User]]:
    """A dependency: the caller, if their role has `permission`; else 403."""

    async def check(user: ApiUser) -> User:
        if not user.may(permission):
            raise forbidden(not_allowed(user.role, permission))
        return user

    return check


@dataclass(frozen=True)
class ShopScope:
    """The caller and the shops a request may touch: all granted ones, or those `?shop=` names."""

    user: User
    granted: tuple[ShopRef, ...]
    selected: tuple[ShopRef, ...]

    @property
    def shop_ids(self) -> tuple[int, ...]:
        return tuple(shop.id for shop in self.selected)

    @property
    def every_shop(self) -> bool:
        """Every shop, present and future (data of no shop yet included), not narrowed by `?shop=`."""
        return holds_every_shop(self.user, self.granted, self.selected)

    def unmasked(self, unmask: bool) -> bool:
        """`?unmask=`, once the caller's role may see buyer data (403 when it asks and may not)."""
        if unmask and not self.user.may(Permission.BUYER_DATA_VIEW):
            raise forbidden(f"无权查看买家信息 the {self.user.role.value} role may not see buyer data")
        return unmask


async def shop_scope(
    request: Request,
    credentials: Credentials,
    shop: Annotated[
        str | None,
        Query(max_length=200, pattern=NO_NUL, description="shop name or platform/name; default: all yours"),
    ] = None,
) -> ShopScope:
    """The caller and their shops, narrowed by `?shop=`. Authenticates by itself (not through `api_user`):
    the token and the grants are one statement, run on the loop (no worker-thread hop)."""
    token = _token(credentials)
    found = loop_reads(request).run(lambda conn: token_holder_and_shops_over(conn, token))
    if found is None:
        raise _invalid_token()
    user, shops = found
    granted = tuple(shops)
    selected = pick_shops(granted, shop)
    if not selected and shop and shop.strip():
        message = f"店铺不存在或无权访问 no such shop among yours: {shop.strip()!r}"
        raise ApiError(404, "shop_not_found", message)
    return ShopScope(user, granted, selected)


Scope = Annotated[ShopScope, Depends(shop_scope)]


def require_in_scope(permission: Permission) -> Callable[[ShopScope], Awaitable[ShopScope]]:
    """`Scope`, if the caller's role has `permission`; else 403. For routes that act on a shop's data
    (`scope: Annotated[ShopScope, Depends(require_in_scope(Permission.ORDERS_SHIP))]`): one token check."""

    async def check(scope: Scope) -> ShopScope:
        if not scope.user.may(permission):
            raise forbidden(not_allowed(scope.user.role, permission))
        return scope

    return check


def timezone_param(name: str | None) -> str | None:
    """A timezone name checked against the tz database; 422 when it is not one."""
    if name is None:
        return None
    from lanshou.platforms.values import zone

    try:
        zone(name)
    except (ValueError, OSError):  # OSError: a directory of the tz database, such as "Asia"
        raise ApiError(422, "invalid_request", f"时区无效 unknown timezone {name!r}") from None
    return name


async def known_query_only(request: Request) -> None:
    """422 for a query parameter the route does not take, or one it takes once given several times: a
    misspelt filter (`?stauts=paid`) or an ambiguous one (`?shop=A&shop=`) must not silently widen a list."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    single, multiple = _route_query_names(route, dependant)
    unknown = sorted(set(request.query_params) - single - multiple)
    if unknown:
        names = ", ".join(repr(name[:40]) for name in unknown[:5])
        known = ", ".join(sorted(single | multiple)) or "none"
        raise ApiError(422, "invalid_request", f"未知参数 unknown query parameter {names}; known: {known}")
    repeated = sorted(name for name in single if len(request.query_params.getlist(name)) > 1)
    if repeated:
        raise ApiError(
            422, "invalid_request", f"参数重复 query parameter given more than once: {repeated[0]}"
        )


def _route_query_names(route: Any, dependant: Dependant) -> tuple[frozenset[str], frozenset[str]]:
    """`_query_names` of a route, worked out on its first request and kept on the route object: a route's
    parameters never change, and the walk cost a fifth of a millisecond on every request."""
    kept: _KeptNames | None = getattr(route, "_lanshou_query_names", None)
    if kept is None or kept.dependant is not dependant:
        kept = _KeptNames(dependant, *_query_names(dependant))
        route._lanshou_query_names = kept
    return kept.single, kept.multiple


@dataclass(frozen=True)
class _KeptNames:
    dependant: Dependant
    single: frozenset[str]
    multiple: frozenset[str]


def _query_names(dependant: Dependant) -> tuple[frozenset[str], frozenset[str]]:
    """(single-valued, list-valued) query parameters of a route and all its dependencies (a short walk)."""
    single: set[str] = set()
    multiple: set[str] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        for param in current.query_params:
            (multiple if _is_list(param.field_info.annotation) else single).add(param.alias)
        stack.extend(current.dependencies)
    return frozenset(single), frozenset(multiple)


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    return any(_is_list(arg) for arg in get_args(annotation)) if origin is not None else False
