"""Carrier push endpoints (FastAPI). Authenticated by the push's own signature, never by user tokens.

POST /api/v1/tracking/push/kuaidi100 — form fields `param` (JSON) + `sign` = UPPER(MD5(param + salt)),
  checked in constant time on the raw form value. Answers Kuaidi100's documented bodies: success
  `{"result":true,"returnCode":"200","message":"成功"}` once the raw push is committed to the inbox;
  otherwise `result:false` with the reason (401 bad signature, 400 unreadable, 503 not stored — Kuaidi100
  retries those).
POST /api/v1/tracking/push/generic — JSON `{"events": [{carrier, tracking_no, event_time, status, location,
  description}]}`, signed with headers `X-Lanshou-Timestamp` (unix seconds) and `X-Lanshou-Signature`
  (`sha256=` + hex HMAC-SHA256 of `timestamp + "." + raw body` with LANSHOU_TRACKING_PUSH_SECRET, ±5 min).
  200 `{"accepted": n, "rejected": [{"index", "error"}]}` (bad events listed, good ones stored);
  401 bad signature, 400 not JSON or wrong shape, 422 no event readable.
Nothing is stored from a refused push. Every refusal is logged (logger lanshou.tracking.push).
An accepted push is kept raw (lanshou.tracking.inbox) and ingested by the drain job moments later; reads
that must be current catch up first.
The app provides `app.state.engine`; `app.state.push_config` (PushConfig) overrides the environment;
`app.state.push_nudge` (a callable) replaces queueing the drain job.
"""

from __future__ import annotations

import asyncio
import codecs
import json
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from lanshou.carriers.kuaidi100.push import SUCCESS_BODY, failure_body, refusal
from lanshou.tracking.inbox import GENERIC, KUAIDI100, InboxWriter, enqueue_drain
from lanshou.tracking.push import PushConfig, PushRejected, log, read_generic_push
from lanshou.webhook_signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookSignatureError,
    verify_webhook,
)

PREFIX = "/api/v1/tracking/push"
STORE_TIMEOUT_SECONDS = 15.0  # Kuaidi100 gives up on an answer after 20 s


def _config(request: Request) -> PushConfig:
    config = getattr(request.app.state, "push_config", None)
    if config is None:
        config = PushConfig.from_environment()
        request.app.state.push_config = config
    return config


def push_inbox(request: Request) -> InboxWriter:
    """The app's one inbox writer (started on the first push; `app.state.push_inbox.close()` at shutdown)."""
    writer: InboxWriter | None = getattr(request.app.state, "push_inbox", None)
    if writer is None:  # requests run on one event loop: no other request is between these lines
        nudge = getattr(request.app.state, "push_nudge", enqueue_drain)
        writer = InboxWriter(request.app.state.engine, nudge)
        request.app.state.push_inbox = writer
    return writer


async def _store(request: Request, source: str, payload: str) -> bool:
    try:
        await asyncio.wait_for(push_inbox(request).append(source, payload), STORE_TIMEOUT_SECONDS)
    except Exception:
        log.exception("push not stored")
        return False
    return True


def read_form(body: bytes) -> dict[str, str]:
    """The fields of an `application/x-www-form-urlencoded` body, the first value of each, exactly as
    `urllib.parse.parse_qs(body.decode(), keep_blank_values=True)` reads them. A push's param is ~4 KB of
    %XX escapes (its Chinese text): urllib decodes those one byte at a time in Python (~1 ms a push); here
    C does it (each %XX becomes the \\xXX escape of codecs.escape_decode, every literal backslash doubled
    first), falling back to urllib for anything it would not read the same way."""
    fields: dict[str, str] = {}
    for pair in body.split(b"&"):
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        key, text = _unquote(name), _unquote(value)
        fields.setdefault(key, text)
    return fields


def _unquote(raw: bytes) -> str:
    raw = raw.replace(b"+", b" ")
    if b"%" not in raw and b"\\" not in raw:
        return raw.decode("utf-8", "replace")
    try:
        decoded = codecs.escape_decode(raw.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
    except ValueError:  # a % not followed by two hex digits: urllib keeps it as it is
        decoded = unquote_to_bytes(raw)
    return decoded.decode("utf-8", "replace")


def _kuaidi100_answer(body: str, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/json")


def _refused(request: Request, source: str, reason: str) -> None:
    client = request.client.host if request.client else "?"
    log.warning("拒绝推送 refused %s push from %s: %s", source, client, reason)


_KUAIDI100_ANSWER = {
    "description": "Kuaidi100's own answer body: {result, returnCode, message}",
    "content": {"application/json": {"example": {"result": False, "returnCode": "500", "message": "…"}}},
}
_ERROR = {
    "description": "Refused: {error: {code, message}}",
    "content": {"application/json": {"example": {"error": {"code": "bad_signature", "message": "…"}}}},
}
KUAIDI100_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {**_KUAIDI100_ANSWER, "description": "malformed push (Kuaidi100's answer body)"},
    401: {**_KUAIDI100_ANSWER, "description": "bad or missing signature (Kuaidi100's answer body)"},
    503: {**_KUAIDI100_ANSWER, "description": "not stored in time: Kuaidi100 retries later"},
}
GENERIC_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {**_ERROR, "description": "not JSON, or not a push"},
    401: {**_ERROR, "description": "bad or missing signature"},
    422: {"description": "every event was rejected: {accepted, rejected}"},
    503: {**_ERROR, "description": "not stored in time: retry later"},
}


def _error(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def push_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["tracking push 物流推送"])

    @router.post(
        "/kuaidi100", summary="Kuaidi100 push callback (快递100 推送)", responses=KUAIDI100_RESPONSES
    )
    async def kuaidi100_push(request: Request) -> Response:
        body = await request.body()
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            _refused(request, "kuaidi100", "body is not UTF-8")
            return _kuaidi100_answer(failure_body("请求不是 UTF-8 body is not UTF-8"), 400)
        form = read_form(body)
        refused = refusal(form, _config(request).kuaidi100_salt)
        if refused is not None:
            _refused(request, "kuaidi100", refused.message)
            bad_sign = "sign" in refused.message or "salt" in refused.message
            return _kuaidi100_answer(refused.body, 401 if bad_sign else 400)
        if not await _store(request, KUAIDI100, form["param"]):
            return _kuaidi100_answer(failure_body("暂时无法保存 not stored, retry later"), 503)
        return _kuaidi100_answer(SUCCESS_BODY)

    @router.post("/generic", summary="Generic signed JSON push (通用推送)", responses=GENERIC_RESPONSES)
    async def generic_push(request: Request) -> Response:
        body = await request.body()
        secret = _config(request).generic_secret
        try:
            if not secret:
                raise WebhookSignatureError(
                    "未配置密钥 no secret configured: set LANSHOU_TRACKING_PUSH_SECRET"
                )
            verify_webhook(
                secret, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER), body
            )
        except WebhookSignatureError as exc:
            _refused(request, "generic", str(exc))
            return _error("bad_signature", f"拒绝 refused: {exc}", 401)
        try:
            text = body.decode("utf-8")  # kept as text in the inbox
            push = read_generic_push(json.loads(text))
        except (ValueError, RecursionError) as exc:  # Unicode/JSONDecodeError, PushRejected: ValueErrors
            reason = str(exc) if isinstance(exc, PushRejected) else f"不是 JSON not JSON: {exc}"
            _refused(request, "generic", reason)
            return _error("bad_request", reason, 400)
        answer: dict[str, Any] = {"accepted": len(push.rows), "rejected": push.rejected}
        if not push.rows:
            status = 422 if push.rejected else 200
            return JSONResponse(answer, status_code=status)
        if not await _store(request, GENERIC, text):
            return _error("not_stored", "暂时无法保存 not stored, retry", 503)
        return JSONResponse(answer)

    return router
