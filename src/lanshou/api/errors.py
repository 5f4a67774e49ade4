"""Every error as `{"error": {"code": ..., "message": ...}}` under /api, as a plain page elsewhere.

No handler ever sends a stack trace: unexpected exceptions are logged here and answered with a generic 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("lanshou.api")

API_PREFIX = "/api"

# an error page for the browser: (request, status, message) -> response
HtmlErrorRenderer = Callable[[Request, int, str], Response]


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """An expected refusal: a status, a stable machine code and a message for people (中文 English)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


# declared on every API router so the published OpenAPI tells clients what errors look like
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "missing or invalid token 未登录"),
        (403, "not allowed for this role 无权限"),
        (404, "not found, or not in the caller's shops 不存在或无权访问"),
        (422, "invalid parameters 参数无效"),
    )
}

# routes that read a JSON body also answer 400 for a body that is not JSON at all
BODY_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "the body is not JSON 请求体无效"}
}

_CODES = {
    400: ("bad_request", "请求无效 bad request"),
    401: ("unauthorized", "需要登录 authentication required"),
    403: ("forbidden", "无权限 forbidden"),
    404: ("not_found", "不存在 not found"),
    405: ("method_not_allowed", "不支持此方法 method not allowed"),
    406: ("not_acceptable", "无法提供此格式 not acceptable"),
    413: ("too_large", "请求太大 request too large"),
    415: ("unsupported_media_type", "不支持的内容类型 unsupported media type"),
    429: ("too_many_requests", "请求太频繁 too many requests"),
}


def install_error_handlers(app: FastAPI, html_error: HtmlErrorRenderer) -> None:
    def answer(request: Request, status: int, code: str, message: str, headers: Any = None) -> Response:
        if request.url.path.startswith(API_PREFIX):
            body = ErrorBody(error=ErrorDetail(code=code, message=message))
            return JSONResponse(body.model_dump(), status_code=status, headers=headers)
        response = html_error(request, status, message)
        if headers:
            response.headers.update(headers)
        return response

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return answer(request, exc.status, exc.code, exc.message, exc.headers)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code, message = _CODES.get(exc.status_code, ("http_error", f"HTTP {exc.status_code}"))
        if exc.status_code >= 500:
            code, message = "internal_error", "服务器内部错误 internal server error"
        return answer(request, exc.status_code, code, message, exc.headers)

    async def on_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        message = "参数无效 invalid request: " + describe_validation(exc.errors())
        return answer(request, 422, "invalid_request", message)

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return answer(request, 500, "internal_error", "服务器内部错误 internal server error")

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(Exception, on_crash)


def describe_validation(errors: Sequence[Any]) -> str:
    """'query.limit: Input should be less than or equal to 500; ...' (the first few problems)."""
    parts = []
    for error in list(errors)[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid"
