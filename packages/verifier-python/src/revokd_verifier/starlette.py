"""Starlette (or any ASGI app): middleware that verifies every HTTP request's bearer token.

    from revokd_verifier.starlette import RevokdMiddleware
    app = Starlette(routes=..., middleware=[Middleware(RevokdMiddleware, verifier=verifier, scopes=["orders:read"])])

The claims are on ``request.state.revokd_claims`` (``scope["state"]["revokd_claims"]``). Refusals answer the
service's JSON error body with 401 (RFC 6750 challenge), 403 ``insufficient_scope`` or 503 + ``Retry-After``.
``exempt_paths``: exact paths that pass without a token (health checks).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from ._bearer import async_verify_of, authenticate_async, normalise_scopes

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

__all__ = ["RevokdMiddleware"]


class RevokdMiddleware:
    """Pure ASGI middleware (works under Starlette, FastAPI or bare ASGI)."""

    def __init__(self, app: ASGIApp, verifier: Any, scopes: str | Iterable[str] | None = None, realm: str = "api",
                 exempt_paths: Iterable[str] = ()) -> None:
        self._app = app
        self._verify = async_verify_of(verifier)
        self._scopes = normalise_scopes(scopes)
        self._realm = realm
        self._exempt = frozenset(exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self._exempt:
            await self._app(scope, receive, send)
            return
        values = [v for k, v in scope.get("headers", []) if k.lower() == b"authorization"]
        authorization = values[0].decode("latin-1") if len(values) == 1 else (None if not values else "\n")
        result = await authenticate_async(self._verify, authorization, self._scopes, self._realm)
        if result.claims is not None:
            scope.setdefault("state", {})["revokd_claims"] = result.claims
            await self._app(scope, receive, send)
            return
        body = json.dumps(result.body).encode("utf-8")
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in result.headers.items()]
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        await send({"type": "http.response.start", "status": result.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
