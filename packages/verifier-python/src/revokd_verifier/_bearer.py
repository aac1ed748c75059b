"""The framework-free core of every integration: read the bearer token (RFC 6750 §2.1), verify it, check the
required scopes, and either hand back the claims or say exactly what to answer — status, headers (an RFC 6750
§3 ``WWW-Authenticate`` challenge on 401 and 403, ``Retry-After`` on 503) and the service's JSON error body.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import RevokdError
from .tokens import Claims

_BEARER = re.compile(r"Bearer +([A-Za-z0-9\-._~+/]+=*) *", re.IGNORECASE)
_UNQUOTABLE = re.compile(r'[^\x20-\x7e]|["\\]')
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def _quoted(value: str) -> str:
    """Removes what cannot appear in a quoted-string (RFC 9110 §5.6.4) rather than escaping it."""
    return _UNQUOTABLE.sub("", value)


@dataclass(frozen=True)
class AuthResult:
    """``claims`` when accepted; otherwise ``status``, ``headers`` and ``body`` to answer with."""

    claims: Claims | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.claims is not None


def normalise_scopes(scopes: str | Iterable[str] | None) -> tuple[str, ...]:
    if scopes is None:
        return ()
    listed = scopes.split() if isinstance(scopes, str) else list(scopes)
    for scope in listed:
        if not isinstance(scope, str) or _SCOPE_TOKEN.fullmatch(scope) is None:
            raise TypeError(f"revokd_verifier: {scope!r} is not a scope (RFC 6749 §3.3)")
    return tuple(listed)


def _refusal(err: RevokdError, challenge: str | None) -> AuthResult:
    headers = {"content-type": "application/json; charset=utf-8", "cache-control": "no-store"}
    if challenge is not None:
        headers["www-authenticate"] = challenge
    if err.retry_after is not None:
        headers["retry-after"] = str(max(1, int(err.retry_after)))
    return AuthResult(None, err.status, headers, {"error": err.oauth_error, "error_description": err.message, "code": err.code})


def _token(authorization: str | None, realm: str) -> str | AuthResult:
    if authorization is None or authorization == "":
        # RFC 6750 §3.1: a request with no credentials gets a challenge without an error code.
        return _refusal(RevokdError("ERR_INVALID_TOKEN", "no bearer token"), f'Bearer realm="{realm}"')
    match = _BEARER.fullmatch(authorization)
    if match is None:
        return _refusal(RevokdError("ERR_BAD_REQUEST", 'Authorization must be one "Bearer <token>" header'),
                        f'Bearer realm="{realm}", error="invalid_request"')
    return match.group(1)


def _failure(err: Exception, realm: str) -> AuthResult:
    failure = err if isinstance(err, RevokdError) else RevokdError("ERR_INTERNAL", "internal error")
    challenge = None
    if failure.status == 401:
        challenge = f'Bearer realm="{realm}", error="invalid_token", error_description="{_quoted(failure.message)}"'
    return _refusal(failure, challenge)


def _scoped(claims: Claims, required: tuple[str, ...], realm: str) -> AuthResult:
    granted = set(str(claims.get("scope", "")).split())
    missing = [s for s in required if s not in granted]
    if missing:
        wanted = " ".join(required)
        return _refusal(RevokdError("ERR_FORBIDDEN", f"the token lacks the scope {' '.join(missing)}"),
                        f'Bearer realm="{realm}", error="insufficient_scope", scope="{_quoted(wanted)}"')
    return AuthResult(claims)


def authenticate(verify: Callable[[str], Claims], authorization: str | None, scopes: tuple[str, ...] = (),
                 realm: str = "api") -> AuthResult:
    """For synchronous frameworks (Django, Flask): ``verify`` is ``Verifier.verify``."""
    realm = _quoted(realm)
    token = _token(authorization, realm)
    if isinstance(token, AuthResult):
        return token
    try:
        claims = verify(token)
    except Exception as err:
        return _failure(err, realm)
    return _scoped(claims, scopes, realm)


async def authenticate_async(verify: Callable[[str], Awaitable[Claims]], authorization: str | None,
                             scopes: tuple[str, ...] = (), realm: str = "api") -> AuthResult:
    """For asyncio frameworks (FastAPI, Starlette): ``verify`` is ``AsyncVerifier.verify``."""
    realm = _quoted(realm)
    token = _token(authorization, realm)
    if isinstance(token, AuthResult):
        return token
    try:
        claims = await verify(token)
    except Exception as err:
        return _failure(err, realm)
    return _scoped(claims, scopes, realm)


def async_verify_of(verifier: Any) -> Callable[[str], Awaitable[Claims]]:
    """``AsyncVerifier.verify``, or a thread-offloading wrapper for a plain ``Verifier``."""
    from .verifier import AsyncVerifier, Verifier

    if isinstance(verifier, AsyncVerifier):
        return verifier.verify
    if isinstance(verifier, Verifier):
        import asyncio

        sync = verifier

        async def verify(token: str) -> Claims:
            return await asyncio.to_thread(sync.verify, token)

        return verify
    raise TypeError("revokd_verifier: expected a Verifier or an AsyncVerifier")
