"""What every request passes through before the app, as one plain ASGI middleware (no
per-request task or body buffering): the bearer token, the bounds on a request's size, and one
log line per request (method, path, the query's names without their values, status, ms), with
no customer data in it."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from segcli.serve.errors import envelope

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/api/health"})  # answered without the token
MAX_QUERY_BYTES = 4096
MAX_BODY_BYTES = 0  # a read-only API takes no request bodies


class Guard:
    def __init__(self, app: ASGIApp, *, token: str | None, log: Callable[[str], None]) -> None:
        self.app = app
        self.token = f"Bearer {token}".encode() if token else None
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 0}

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        refused = self._refusal(scope)
        try:
            if refused is not None:
                await refused(scope, receive, send_logged)
            else:
                await self.app(scope, receive, send_logged)
        finally:
            ms = (time.perf_counter() - started) * 1000
            self.log(f"{scope['method']} {_shown_path(scope)} {status['code']} {ms:.1f}ms")

    def _refusal(self, scope: Scope) -> ASGIApp | None:
        """The error response for a request refused before the app sees it, or None."""
        headers = dict(scope["headers"])
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            return envelope(414, "INVALID_INPUT", f"the query is over {MAX_QUERY_BYTES} bytes")
        length = headers.get(b"content-length", b"0")
        if b"transfer-encoding" in headers or not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return envelope(413, "INVALID_INPUT", "this API is read-only and takes no body")
        if self.token is None or scope["path"] in OPEN_PATHS or scope["method"] == "OPTIONS":
            return None
        given = headers.get(b"authorization", b"")
        if hmac.compare_digest(given, self.token):
            return None
        response = envelope(401, "UNAUTHORIZED", "send Authorization: Bearer TOKEN")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response


def _shown_path(scope: Scope) -> str:
    """The path and the names of the query's parameters, never their values."""
    from urllib.parse import parse_qsl

    query = scope.get("query_string", b"").decode("latin-1")
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    path = scope["path"]
    if path.startswith("/api/customers/"):
        path = "/api/customers/{contactID}"  # an id is customer data
    return path + ("?" + "&".join(f"{n}=" for n in names) if names else "")
