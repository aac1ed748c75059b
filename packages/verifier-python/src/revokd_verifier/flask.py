"""Flask: a decorator that verifies the bearer token before the view runs.

    from revokd_verifier.flask import require_token

    @app.get("/orders")
    @require_token(verifier, scopes=["orders:read"])
    def orders():
        return {"sub": g.revokd_claims["sub"]}

Refusals answer the service's JSON error body with 401 (RFC 6750 challenge), 403 ``insufficient_scope``
or 503 + ``Retry-After``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from flask import Response, g, request

from ._bearer import authenticate, normalise_scopes
from .verifier import Verifier

__all__ = ["require_token"]

F = TypeVar("F", bound=Callable[..., Any])


def require_token(verifier: Verifier, scopes: str | Iterable[str] | None = None, realm: str = "api") -> Callable[[F], F]:
    """Decorates a view: the claims are on ``flask.g.revokd_claims`` when it runs."""
    required = normalise_scopes(scopes)

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = request.headers.getlist("Authorization")
            authorization = values[0] if len(values) == 1 else (None if not values else "\n")
            result = authenticate(verifier.verify, authorization, required, realm)
            if result.claims is None:
                return Response(json.dumps(result.body), status=result.status, headers=result.headers)
            g.revokd_claims = result.claims
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate
