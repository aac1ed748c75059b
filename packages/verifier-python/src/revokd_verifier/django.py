"""Django: middleware that verifies the bearer token of every request (but the exempt paths).

    # settings.py
    MIDDLEWARE = [..., "revokd_verifier.django.RevokdMiddleware"]
    REVOKD_VERIFIER = "myproject.auth.verifier"     # dotted path to a started Verifier (or the object itself)
    REVOKD_REQUIRED_SCOPES = ["orders:read"]         # optional
    REVOKD_EXEMPT_PATHS = ["/healthz"]               # optional, exact paths

The claims are on ``request.revokd_claims``. Refusals answer the service's JSON error body with 401 (RFC 6750
challenge), 403 ``insufficient_scope`` or 503 + ``Retry-After``. ``require_scopes(...)`` adds a per-view check.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from ._bearer import AuthResult, _refusal, _scoped, authenticate, normalise_scopes
from .errors import RevokdError
from .verifier import Verifier

__all__ = ["RevokdMiddleware", "require_scopes"]

F = TypeVar("F", bound=Callable[..., Any])


def _response(result: AuthResult) -> HttpResponse:
    response = HttpResponse(json.dumps(result.body), status=result.status, content_type=result.headers["content-type"])
    for name, value in result.headers.items():
        if name != "content-type":
            response[name] = value
    return response


def _verifier() -> Verifier:
    configured = getattr(settings, "REVOKD_VERIFIER", None)
    if isinstance(configured, str):
        configured = import_string(configured)
    if callable(configured) and not isinstance(configured, Verifier):
        configured = configured()
    if not isinstance(configured, Verifier):
        raise TypeError("settings.REVOKD_VERIFIER must be a Verifier, a dotted path to one, or a callable returning one")
    return configured


class RevokdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._scopes = normalise_scopes(getattr(settings, "REVOKD_REQUIRED_SCOPES", None))
        self._exempt = frozenset(getattr(settings, "REVOKD_EXEMPT_PATHS", ()))
        self._realm = str(getattr(settings, "REVOKD_REALM", "api"))
        self._verifier: Verifier | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in self._exempt:
            return self.get_response(request)
        if self._verifier is None:
            self._verifier = _verifier()
        result = authenticate(self._verifier.verify, request.META.get("HTTP_AUTHORIZATION"), self._scopes, self._realm)
        if result.claims is None:
            return _response(result)
        setattr(request, "revokd_claims", result.claims)  # noqa: B010 (typed with or without django-stubs)
        return self.get_response(request)


def require_scopes(*scopes: str, realm: str = "api") -> Callable[[F], F]:
    """A view decorator (behind RevokdMiddleware): 403 ``insufficient_scope`` unless the token has every scope."""
    required = normalise_scopes(scopes)

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            claims = getattr(request, "revokd_claims", None)
            if claims is None:
                return _response(_refusal(RevokdError("ERR_INVALID_TOKEN", "no bearer token"), f'Bearer realm="{realm}"'))
            result = _scoped(claims, required, realm)
            if result.claims is None:
                return _response(result)
            return view(request, *args, **kwargs)

        return cast(F, wrapper)

    return decorate
