"""The only I/O of the carrier connectors: POST a form, return status and body. No parsing, no retries."""

from __future__ import annotations

from types import TracebackType

import httpx

from lanshou.carriers.wire import FormRequest, HttpReply, TransportError


class FormTransport:
    def __init__(self, client: httpx.Client | None = None, timeout: float = 10.0) -> None:
        self._client = client or httpx.Client(timeout=timeout)

    def post(self, request: FormRequest) -> HttpReply:
        try:
            response = self._client.post(request.url, data=request.form)
        except httpx.HTTPError as exc:
            raise TransportError(f"网络错误 network error calling {request.url}: {exc}") from exc
        return HttpReply(response.status_code, response.text)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> FormTransport:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
