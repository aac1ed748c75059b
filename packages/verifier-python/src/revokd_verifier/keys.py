"""The issuer's verification keys: fetched from its JWKS and cached, or given once.

An unknown ``kid`` triggers one refetch, shared by every caller waiting on it and at most one per
``refetch_interval_s`` (2 s), so junk kids cannot turn the verifier into a load generator against the
issuer. Only EdDSA (Ed25519) and ES256 (P-256) public keys are admitted; a key revoked on the stream
is dropped and never re-admitted.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from jwt import PyJWK
from jwt.exceptions import PyJWKError

from ._json import loads

logger = logging.getLogger("revokd_verifier")

KID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_JWKS_BYTES = 1 << 20


@dataclass(frozen=True, eq=False)
class VerificationKey:
    """One public key; identity matters (the verified-token cache compares the object)."""

    kid: str
    alg: str
    jwk: PyJWK


def _algorithm_of(jwk: Mapping[str, Any]) -> str | None:
    alg = jwk.get("alg")
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and alg in (None, "EdDSA", "Ed25519"):
        return "EdDSA"
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256" and alg in (None, "ES256"):
        return "ES256"
    return None


def to_key_map(jwks: Iterable[Any], is_revoked: Callable[[str], bool] = lambda _kid: False) -> dict[str, VerificationKey]:
    """The usable public signing keys of a JWKS list (never a private or secret one)."""
    keys: dict[str, VerificationKey] = {}
    for jwk in jwks:
        if not isinstance(jwk, dict):
            continue
        kid = jwk.get("kid")
        if not isinstance(kid, str) or KID_PATTERN.fullmatch(kid) is None or is_revoked(kid):
            continue
        if jwk.get("use", "sig") != "sig" or "d" in jwk:
            continue
        alg = _algorithm_of(jwk)
        if alg is None:
            continue
        data = {k: v for k, v in jwk.items() if k != "alg"}
        try:
            keys[kid] = VerificationKey(kid, alg, PyJWK(data, algorithm=alg))
        except (PyJWKError, ValueError, TypeError, KeyError):
            continue  # a malformed key is skipped; the others still verify
    return keys


class NeedsKeyFetch(Exception):
    """Internal: the kid is unknown and a refetch is due, but the caller may not block."""


class KeySet:
    """Keys by kid; fetching runs on the verifier's event loop (``submit``), callers may be any thread."""

    def __init__(self, *, jwks_uri: str | None, keys: Iterable[Any] | None, is_revoked: Callable[[str], bool],
                 submit: Callable[[Coroutine[Any, Any, None]], concurrent.futures.Future[None]] | None = None,
                 client: Callable[[], httpx.AsyncClient] | None = None,
                 refetch_interval_s: float = 2.0, fetch_timeout_s: float = 5.0) -> None:
        self._jwks_uri = jwks_uri
        self._is_revoked = is_revoked
        self._submit = submit
        self._client = client
        self._refetch_interval_s = refetch_interval_s
        self._fetch_timeout_s = fetch_timeout_s
        self._keys: dict[str, VerificationKey] = to_key_map(keys, is_revoked) if keys is not None else {}
        self._lock = threading.Lock()
        self._in_flight: concurrent.futures.Future[None] | None = None
        self._last_unknown_kid_fetch = float("-inf")
        self.problem: str | None = None

    def get(self, kid: str) -> VerificationKey | None:
        return self._keys.get(kid)

    def drop(self, kid: str) -> None:
        """Forgets a key at once (the stream said it was revoked)."""
        self._keys = {k: v for k, v in self._keys.items() if k != kid}

    def _refetch(self, for_unknown_kid: bool) -> concurrent.futures.Future[None] | None:
        with self._lock:
            if self._in_flight is not None:
                return self._in_flight
            if for_unknown_kid:
                if time.monotonic() - self._last_unknown_kid_fetch < self._refetch_interval_s:
                    return None
                self._last_unknown_kid_fetch = time.monotonic()
            assert self._submit is not None
            future = self._submit(self._fetch())
            self._in_flight = future
            future.add_done_callback(self._done)
            return future

    def _done(self, future: concurrent.futures.Future[None]) -> None:
        with self._lock:
            if self._in_flight is future:
                self._in_flight = None

    def resolve(self, kid: str, *, block: bool = True) -> VerificationKey | None:
        """The key for ``kid``, refetching the JWKS once if unknown (rate-limited). From any thread but the loop's."""
        key = self._keys.get(kid)
        if key is not None or self._jwks_uri is None or self._submit is None:
            return key
        if not block:
            with self._lock:
                due = self._in_flight is not None or time.monotonic() - self._last_unknown_kid_fetch >= self._refetch_interval_s
            if due:
                raise NeedsKeyFetch(kid)
            return None
        future = self._refetch(True)
        if future is None:
            return None
        try:
            future.result(timeout=self._fetch_timeout_s + 1)
        except Exception:
            return None
        return self._keys.get(kid)

    async def resolve_async(self, kid: str) -> VerificationKey | None:
        """As ``resolve``, awaiting the refetch (from any event loop, the verifier's included)."""
        key = self._keys.get(kid)
        if key is not None or self._jwks_uri is None or self._submit is None:
            return key
        future = self._refetch(True)
        if future is None:
            return None
        try:
            await asyncio.wrap_future(future)
        except Exception:
            return None
        return self._keys.get(kid)

    async def load(self) -> None:
        """Loads the set once (at once for fixed keys); raises when the JWKS cannot be read."""
        if self._jwks_uri is not None:
            future = self._refetch(False)
            assert future is not None
            await asyncio.wrap_future(future)
        if not self._keys:
            raise RuntimeError("the issuer publishes no usable signing key (EdDSA or ES256 with a kid)")

    async def _fetch(self) -> None:
        assert self._jwks_uri is not None
        uri = self._jwks_uri
        try:
            body = await asyncio.wait_for(self._read(uri), self._fetch_timeout_s)
            try:
                document = loads(body)
            except ValueError:
                raise RuntimeError(f"the JWKS at {uri} is not JSON") from None
            listed = document.get("keys") if isinstance(document, dict) else None
            if not isinstance(listed, list):
                raise RuntimeError(f'the JWKS at {uri} has no "keys" array')
            # Replaced whole: a key the issuer stopped publishing stops verifying here too.
            self._keys = to_key_map(listed, self._is_revoked)
            self.problem = None
        except (httpx.HTTPError, TimeoutError, asyncio.TimeoutError, OSError) as err:
            self.problem = f"the JWKS at {uri} could not be read ({type(err).__name__})"
            raise RuntimeError(self.problem) from err
        except RuntimeError as err:
            self.problem = str(err)
            raise

    async def _read(self, uri: str) -> bytes:
        assert self._client is not None
        async with self._client().stream("GET", uri, headers={"accept": "application/json"}) as response:
            if response.status_code != 200:
                raise RuntimeError(f"the JWKS at {uri} answered HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise RuntimeError(f"the JWKS is larger than {MAX_JWKS_BYTES} bytes")
            return bytes(body)
