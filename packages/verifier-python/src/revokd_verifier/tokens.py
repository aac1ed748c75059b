"""Access-token checks (the service's src/core/tokens/access-token.ts, over PyJWT) and the decision.

Signature by the key the JWKS has for the header's ``kid`` — with that key's algorithm, never the
header's — then ``typ`` ``at+jwt``, ``iss``, ``aud``, the required claims, ``exp``/``nbf``/``iat``
within the clock tolerance, whole-second times, a lifetime no longer than the service issues, ``iat``
not in the future, the ``jti``/``sid``/``client_id``/``sub`` shapes and the generation counters.
Then the replica: revoked, or — when it is not current — the fail mode.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from ._json import b64url_decode, canonical_compact, is_number, loads, whole
from .errors import RevokdError
from .keys import KID_PATTERN, VerificationKey
from .state import Replica, TokenStamp

ACCESS_TOKEN_TYP = "at+jwt"
MAX_JWT_LENGTH = 8192
_JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_JTI = re.compile(r"[A-Za-z0-9_-]{8,128}")
_ID = re.compile(r"[A-Za-z0-9_.:@-]{1,255}")
_REQUIRED = ["iss", "sub", "aud", "exp", "iat", "jti"]

Claims = dict[str, Any]


@dataclass(frozen=True)
class VerifyOptions:
    issuer: str
    audience: str
    clock_tolerance_seconds: int
    max_lifetime_seconds: int
    now_sec: int
    resolve_key: Callable[[str], VerificationKey | None]


@dataclass(frozen=True)
class Verified:
    claims: Claims
    kid: str
    key: VerificationKey
    stamp: TokenStamp


def _invalid(message: str) -> RevokdError:
    return RevokdError("ERR_INVALID_TOKEN", message)


class VerifiedTokenCache:
    """Verified tokens by their whole string (never the jti), first in first out; 0 turns it off."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: dict[str, Verified] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> Verified | None:
        return self._entries.get(token)

    def remember(self, token: str, verified: Verified) -> None:
        if self.capacity == 0:
            return
        with self._lock:
            if len(self._entries) >= self.capacity and token not in self._entries:
                try:
                    del self._entries[next(iter(self._entries))]
                except (StopIteration, KeyError, RuntimeError):
                    pass
            self._entries[token] = verified

    def forget(self, token: str) -> None:
        with self._lock:
            self._entries.pop(token, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def verify_access_token(token: object, options: VerifyOptions, cache: VerifiedTokenCache | None = None) -> Verified:
    """The verified token, or raises RevokdError ERR_INVALID_TOKEN / ERR_TOKEN_EXPIRED."""
    # Before the cache: the other spellings of a signature would each verify and take an entry of their own.
    if isinstance(token, str) and 0 < len(token) <= MAX_JWT_LENGTH and not canonical_compact(token):
        raise _invalid("malformed access token")
    if cache is None or not isinstance(token, str):
        return _verify(token, options)
    hit = cache.get(token)
    if hit is not None:
        if hit.claims["exp"] <= options.now_sec - options.clock_tolerance_seconds:
            cache.forget(token)
            raise RevokdError("ERR_TOKEN_EXPIRED", "access token expired")
        if options.resolve_key(hit.kid) is hit.key:
            return hit
        cache.forget(token)  # the key was rotated away, revoked or reloaded: the full path decides
    verified = _verify(token, options)
    cache.remember(token, verified)
    return verified


def _verify(token: object, options: VerifyOptions) -> Verified:
    if not isinstance(token, str) or token == "":
        raise _invalid("no access token")
    if len(token) > MAX_JWT_LENGTH or _JWT_SHAPE.fullmatch(token) is None:
        raise _invalid("malformed access token")
    try:
        header = loads(b64url_decode(token[: token.index(".")]))
    except (ValueError, UnicodeDecodeError):
        raise _invalid("malformed access token header") from None
    if not isinstance(header, dict):
        raise _invalid("malformed access token header")
    kid = header.get("kid")
    if not isinstance(kid, str) or KID_PATTERN.fullmatch(kid) is None:
        raise _invalid("missing or malformed kid")
    # The key comes from the JWKS by kid — never from jku/x5u/jwk — and must be of the header's algorithm.
    key = options.resolve_key(kid)
    if key is None:
        raise _invalid("unknown signing key")
    if header.get("alg") != key.alg:
        raise _invalid("algorithm not allowed for this key")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower().removeprefix("application/") != ACCESS_TOKEN_TYP:
        raise _invalid("access token signature or claims rejected")
    if "crit" in header or "b64" in header:
        raise _invalid("access token signature or claims rejected")
    try:
        payload: dict[str, Any] = jwt.decode(
            token, key.jwk.key, algorithms=[key.alg], audience=options.audience, issuer=options.issuer,
            options={"require": _REQUIRED, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        raise _invalid("access token signature or claims rejected") from None
    now, tolerance = options.now_sec, options.clock_tolerance_seconds
    nbf: Any = payload.get("nbf")
    if "nbf" in payload and (not is_number(nbf) or nbf > now + tolerance):
        raise _invalid("access token signature or claims rejected")
    exp = payload["exp"]
    if not is_number(exp) or not is_number(payload["iat"]):
        raise _invalid("access token signature or claims rejected")
    if exp <= now - tolerance:
        raise RevokdError("ERR_TOKEN_EXPIRED", "access token expired")
    times: dict[str, int] = {}
    for name in ("iat", "exp", "nbf"):
        if name == "nbf" and "nbf" not in payload:
            continue
        value = whole(payload.get(name))
        if value is None:
            raise _invalid(f"{name} must be a whole number of seconds since 1970")
        times[name] = value
    if times["exp"] - times["iat"] > options.max_lifetime_seconds + tolerance:
        raise _invalid("access token lifetime is longer than this service issues")
    if times["iat"] > now + tolerance:
        raise _invalid("iat is in the future")
    jti, sid, client_id, sub = payload.get("jti"), payload.get("sid"), payload.get("client_id"), payload.get("sub")
    if not isinstance(jti, str) or _JTI.fullmatch(jti) is None:
        raise _invalid("jti must be a short string")
    if not isinstance(sid, str) or _ID.fullmatch(sid) is None:
        raise _invalid("sid must be a string")
    if not isinstance(client_id, str) or _ID.fullmatch(client_id) is None:
        raise _invalid("client_id must be a string")
    if not isinstance(sub, str) or _ID.fullmatch(sub) is None:
        raise _invalid("sub must be a string")
    gen, ugen, cgen = whole(payload.get("gen")), whole(payload.get("ugen")), whole(payload.get("cgen"))
    if gen is None or ugen is None or cgen is None:
        raise _invalid("generation claims missing")
    password_change = payload.get("password_change_required")
    if "password_change_required" in payload and password_change is not True:
        raise _invalid("password_change_required must be true when present")
    scope = payload.get("scope")
    claims: Claims = {
        "iss": payload["iss"], "sub": sub, "aud": options.audience if isinstance(payload["aud"], list) else payload["aud"],
        "exp": times["exp"], "nbf": times.get("nbf", times["iat"]), "iat": times["iat"], "jti": jti, "sid": sid,
        "client_id": client_id, "scope": scope if isinstance(scope, str) else "", "gen": gen, "ugen": ugen, "cgen": cgen,
    }
    if password_change is True:
        claims["password_change_required"] = True
    stamp = TokenStamp(jti=jti, sid=sid, sub=sub, client_id=client_id, kid=kid, iat=times["iat"], gen=gen, ugen=ugen, cgen=cgen)
    return Verified(claims, kid, key, stamp)


@dataclass(frozen=True)
class Decision:
    claims: Claims
    #: Accepted while stale, in fail mode open (to be counted).
    fail_open: bool


def decide(token: object, replica: Replica, options: VerifyOptions, cache: VerifiedTokenCache | None = None) -> Decision:
    """The claims, or raises RevokdError: ERR_INVALID_TOKEN / ERR_TOKEN_EXPIRED / ERR_TOKEN_REVOKED (401),
    ERR_STORE_UNAVAILABLE (503) when the replica cannot decide."""
    resolve = options.resolve_key

    def resolve_key(kid: str) -> VerificationKey | None:
        # A revoked key's tokens are revoked (not merely unknown), and never worth a JWKS refetch.
        if replica.is_key_revoked(kid):
            raise RevokdError("ERR_TOKEN_REVOKED", "access token revoked (key)")
        return resolve(kid)

    verified = verify_access_token(token, VerifyOptions(options.issuer, options.audience, options.clock_tolerance_seconds,
                                                        options.max_lifetime_seconds, options.now_sec, resolve_key), cache)
    stale = replica.is_stale()
    scope = replica.check(verified.stamp)
    if scope is not None:
        raise RevokdError("ERR_TOKEN_REVOKED", f"access token revoked ({scope})")
    return Decision(dict(verified.claims), stale)
