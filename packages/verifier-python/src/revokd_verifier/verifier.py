"""``Verifier`` and ``AsyncVerifier``: offline verification of revokd access tokens that still honours revocation.

One replica fed by the push stream, on a background thread of its own (an asyncio loop with httpx),
so ``verify`` is a dictionary lookup for a token seen before and a signature check for a new one —
no network call per request, ever, except a rate-limited JWKS refetch for an unknown ``kid``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import ssl
import threading
import time
import warnings
from collections.abc import Coroutine, Iterable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from .consumer import StreamConsumer
from .driver import SseDriver, StreamAuthError
from .errors import RevokdError, VerifierStartError
from .keys import KeySet, NeedsKeyFetch
from .state import Replica
from .tokens import Claims, VerifiedTokenCache, VerifyOptions, decide
from .wire import Revocation, ServiceLimits

logger = logging.getLogger("revokd_verifier")

JWKS_REFETCH_INTERVAL_S = 2.0
JWKS_FETCH_TIMEOUT_S = 5.0
MIN_IDLE_TIMEOUT_MS = 3000
DEFAULT_CLOCK_TOLERANCE_SECONDS = 5


def is_loopback_host(hostname: str) -> bool:
    """Loopback by address (and ``localhost``, which RFC 6761 reserves for it): cleartext never leaves the machine."""
    host = hostname.lower()
    if host == "localhost" or host.endswith(".localhost") or host == "::1":
        return True
    return re.fullmatch(r"127\.\d{1,3}\.\d{1,3}\.\d{1,3}", host) is not None


def _fail(message: str) -> TypeError:
    return TypeError(f"Verifier: {message}")


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or value.strip() == "":
        raise _fail(f"{name} must be a non-empty string")
    return value


def _whole(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(f"{name} must be a whole number from {low} to {high}")
    return value


def _url(value: object, name: str, allow_insecure: bool, insecure: list[str]) -> str:
    text = _text(value, name)
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        raise _fail(f"{name} must be an http(s) URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise _fail(f"{name} must be an http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise _fail(f"{name} must not carry credentials (use client_id/client_secret)")
    if parts.scheme == "http" and not is_loopback_host(host):
        if not allow_insecure:
            raise _fail(
                f"{name} must be an https: URL (plain http: is accepted for loopback hosts only; set "
                "allow_insecure_http=True to send the client secret and the JWKS in clear)"
            )
        insecure.append(text)
    return text


class _ClockTolerance:
    """The tolerance ``verify`` applies, never above the service's (docs/stream-protocol.md §7)."""

    def __init__(self, configured: int | None) -> None:
        self.given = configured is not None
        self.configured = configured if configured is not None else DEFAULT_CLOCK_TOLERANCE_SECONDS
        self.seconds = self.configured
        self.service: int | None = None

    def announced(self, limits: ServiceLimits | None) -> None:
        if limits is None:
            return
        self.service = limits.clock_tolerance_seconds
        self.seconds = min(self.configured, self.service) if self.given else self.service

    def assert_safe_at_start(self) -> None:
        if self.given and self.service is not None and self.configured > self.service:
            raise VerifierStartError(
                f"Verifier: clock_tolerance_seconds is {self.configured} but the service's clock tolerance is {self.service} s "
                f"(REVOKD_CLOCK_TOLERANCE_SECONDS): revoked tokens leave its snapshots {self.service} s + 1 s after they expire, "
                f"so this verifier could accept one. Set clock_tolerance_seconds to at most {self.service} (or leave it unset)."
            )


class Verifier:
    """Verifies revokd access tokens offline; thread-safe. ``start()`` before ``verify()``; ``close()`` at the end."""

    def __init__(
        self, *, issuer: str, audience: str, stream_url: str, client_id: str, client_secret: str,
        max_staleness_ms: int, fail_mode: Literal["closed", "open"] = "closed",
        jwks_uri: str | None = None, keys: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None = None,
        clock_tolerance_seconds: int | None = None, max_token_lifetime_seconds: int = 900,
        start_timeout_ms: int = 10_000, verified_token_cache_size: int = 10_000,
        allow_insecure_http: bool = False, tls_verify: bool | str | ssl.SSLContext = True,
    ) -> None:
        insecure: list[str] = []
        if not isinstance(allow_insecure_http, bool):
            raise _fail("allow_insecure_http must be a boolean")
        self._issuer = _text(issuer, "issuer")
        self._audience = _text(audience, "audience")
        if (jwks_uri is None) == (keys is None):
            raise _fail("give jwks_uri or keys (exactly one)")
        self._jwks_uri = None if jwks_uri is None else _url(jwks_uri, "jwks_uri", allow_insecure_http, insecure)
        key_list: list[Any] | None = None
        if keys is not None:
            listed = keys.get("keys") if isinstance(keys, Mapping) else list(keys)
            if not isinstance(listed, list) or not listed:
                raise _fail("keys must be a non-empty list of JWKs or a JWKS {'keys': [...]}")
            key_list = listed
        stream_url = _url(stream_url, "stream_url", allow_insecure_http, insecure)
        _text(client_id, "client_id")
        _text(client_secret, "client_secret")
        if fail_mode not in ("closed", "open"):
            raise _fail("fail_mode must be 'closed' or 'open'")
        self._max_staleness_ms = _whole(max_staleness_ms, "max_staleness_ms", 100, 86_400_000)
        if clock_tolerance_seconds is not None:
            _whole(clock_tolerance_seconds, "clock_tolerance_seconds", 0, 300)
        self._max_lifetime = _whole(max_token_lifetime_seconds, "max_token_lifetime_seconds", 1, 86_400)
        self._start_timeout_ms = _whole(start_timeout_ms, "start_timeout_ms", 1, 600_000)
        cache_size = _whole(verified_token_cache_size, "verified_token_cache_size", 0, 1_000_000)
        self._insecure_urls = insecure
        self._tls_verify = tls_verify

        self._fail_open_lock = threading.Lock()
        self._fail_open_accepted = 0
        self._tolerance = _ClockTolerance(clock_tolerance_seconds)
        self._cache = VerifiedTokenCache(cache_size)
        self._replica = Replica(max_staleness_ms=self._max_staleness_ms, fail_mode=fail_mode,
                                fail_open_max_ms=self._max_lifetime * 1000, on_record=self._on_record)
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._main_task: asyncio.Task[None] | None = None
        self._keys = KeySet(jwks_uri=self._jwks_uri, keys=key_list, is_revoked=self._replica.is_key_revoked,
                            submit=self._submit, client=self._http, refetch_interval_s=JWKS_REFETCH_INTERVAL_S,
                            fetch_timeout_s=JWKS_FETCH_TIMEOUT_S)
        self._consumer = StreamConsumer(self._replica, self._issuer, self._keys.resolve_async,
                                        on_service_limits=self._tolerance.announced, on_unproven_proof=self._unproven)
        self._driver = SseDriver(url=stream_url, client_id=client_id, client_secret=client_secret, consumer=self._consumer,
                                 replica=self._replica, client=self._http,
                                 idle_timeout_s=max(MIN_IDLE_TIMEOUT_MS, self._max_staleness_ms) / 1000,
                                 on_first_snapshot=self._first_snapshot)
        self._progress = threading.Condition()
        self._keys_loaded = False
        self._snapshot_loaded = False
        self._start_error: BaseException | None = None
        self._started = False
        self._closed = False

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        """Blocks until the keys and the first proven snapshot are loaded; raises VerifierStartError otherwise
        (after ``start_timeout_ms``, retrying with backoff meanwhile; at once when the credentials are refused)."""
        if self._started or self._closed:
            raise RuntimeError("Verifier.start() may be called once")
        self._started = True
        if self._insecure_urls:
            warnings.warn(f"revokd_verifier: allow_insecure_http lets the client secret and the JWKS travel in clear to "
                          f"{' and '.join(self._insecure_urls)}", stacklevel=2)
        self._loop = asyncio.new_event_loop()
        loop_ready = threading.Event()
        self._thread = threading.Thread(target=self._run_loop, args=(loop_ready,), name="revokd-verifier", daemon=True)
        self._thread.start()
        loop_ready.wait()
        deadline = time.monotonic() + self._start_timeout_ms / 1000
        with self._progress:
            while self._start_error is None and not (self._keys_loaded and self._snapshot_loaded):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._progress.wait(remaining)
            error = self._start_error
            done = self._keys_loaded and self._snapshot_loaded
        if error is None and not done:
            stream = "connected" if self._driver.connected else self._driver.problem
            keys = "" if self._keys.problem is None else f"; keys: {self._keys.problem}"
            error = VerifierStartError(f"Verifier: the keys and the first revocation snapshot were not loaded within "
                                       f"{self._start_timeout_ms} ms (stream: {stream}{keys})")
        if error is None:
            try:
                self._tolerance.assert_safe_at_start()
            except VerifierStartError as err:
                error = err
        if error is not None:
            self.close()
            if isinstance(error, VerifierStartError):
                raise error
            raise VerifierStartError(f"Verifier: {error}") from error
        logger.info("revokd verifier started (issuer %s)", self._issuer)

    def close(self) -> None:
        """Stops the stream, the thread and every connection; returns promptly; ``verify`` answers 503 afterwards."""
        if self._closed:
            return
        self._closed = True
        self._cache.clear()
        loop, task, thread = self._loop, self._main_task, self._thread
        if loop is not None and task is not None:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:
                pass  # the loop has already finished
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def __enter__(self) -> Verifier:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run_loop(self, ready: threading.Event) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            self._main_task = loop.create_task(self._main())
            ready.set()
            try:
                loop.run_until_complete(self._main_task)
            except (asyncio.CancelledError, Exception):
                pass
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            ready.set()
            loop.close()

    async def _main(self) -> None:
        self._client = httpx.AsyncClient(verify=self._tls_verify, follow_redirects=False, trust_env=True)
        keys = asyncio.get_running_loop().create_task(self._load_keys())
        try:
            await self._driver.run()
            await asyncio.Event().wait()  # halted: nothing more to do until close()
        finally:
            keys.cancel()
            await asyncio.gather(keys, return_exceptions=True)
            await self._client.aclose()

    async def _load_keys(self) -> None:
        failures = 0
        while True:
            try:
                await self._keys.load()
                break
            except Exception as err:
                self._keys.problem = str(err)
            await asyncio.sleep(min(2.0, 0.1 * 2 ** min(failures, 16)))
            failures += 1
        with self._progress:
            self._keys_loaded = True
            self._progress.notify_all()

    def _first_snapshot(self, error: BaseException | None) -> None:
        with self._progress:
            if error is None:
                self._snapshot_loaded = True
            elif self._start_error is None and not self._snapshot_loaded:
                self._start_error = error if not isinstance(error, StreamAuthError) else VerifierStartError(f"Verifier: {error}")
            self._progress.notify_all()

    def _http(self) -> httpx.AsyncClient:
        assert self._client is not None
        return self._client

    def _submit(self, coro: Coroutine[Any, Any, None]) -> concurrent.futures.Future[None]:
        loop = self._loop
        try:
            if loop is None or loop.is_closed() or self._closed:
                raise RuntimeError("the verifier is closed")
            return asyncio.run_coroutine_threadsafe(coro, loop)
        except RuntimeError as err:
            coro.close()
            failed: concurrent.futures.Future[None] = concurrent.futures.Future()
            failed.set_exception(err)
            return failed

    def _on_record(self, record: Revocation) -> None:
        if record.scope == "key":
            self._keys.drop(record.target)

    def _unproven(self, message: str) -> None:
        self._driver.set_problem(message)

    # --- verifying ----------------------------------------------------------------------------------

    def verify(self, token: object) -> Claims:
        """The token's claims, or raises RevokdError: ERR_INVALID_TOKEN, ERR_TOKEN_EXPIRED, ERR_TOKEN_REVOKED (401);
        ERR_STORE_UNAVAILABLE (503, ``retry_after``) when the view is stale and fail mode is closed (or fail-open
        has lasted a token lifetime), or the verifier has halted, is not started or is closed."""
        return self._verify(token, block=True)

    def _verify(self, token: object, *, block: bool) -> Claims:
        if self._closed:
            raise RevokdError("ERR_STORE_UNAVAILABLE", "the verifier is closed", retry_after=1)
        if not self._started:
            raise RevokdError("ERR_STORE_UNAVAILABLE", "the verifier is not started", retry_after=1)
        keys = self._keys
        options = VerifyOptions(self._issuer, self._audience, self._tolerance.seconds, self._max_lifetime,
                                int(time.time()), lambda kid: keys.resolve(kid, block=block))
        decision = decide(token, self._replica, options, self._cache)
        if decision.fail_open:
            with self._fail_open_lock:
                self._fail_open_accepted += 1
        return decision.claims

    def status(self) -> dict[str, Any]:
        """``staleness_ms``, ``stale``, ``can_decide``, ``stream_connected``, ``stream_problem``, ``fail_open_accepted``,
        ``stream_connections``, ``stream_proof_mismatches``, ``halted`` (why, or None), ``keys_problem``."""
        replica = self._replica
        halted = replica.halted
        return {
            "staleness_ms": replica.staleness_ms(), "stale": replica.is_stale(), "can_decide": replica.can_decide(),
            "stream_connected": self._driver.connected,
            "stream_problem": None if self._driver.connected else self._driver.problem,
            "fail_open_accepted": self._fail_open_accepted, "stream_connections": self._driver.connections,
            "stream_proof_mismatches": self._driver.mismatches, "halted": None if halted is None else str(halted),
            "keys_problem": self._keys.problem, "closed": self._closed,
        }


class AsyncVerifier:
    """The same verifier for asyncio applications (ASGI): ``await start()``, ``await verify()``, ``await close()``.

    ``verify`` never blocks the event loop: a JWKS refetch for an unknown ``kid`` runs on a worker thread.
    """

    def __init__(self, **options: Any) -> None:
        self._verifier = Verifier(**options)

    @property
    def sync(self) -> Verifier:
        """The underlying thread-safe :class:`Verifier` (for code that is not async)."""
        return self._verifier

    async def start(self) -> None:
        await asyncio.to_thread(self._verifier.start)

    async def verify(self, token: object) -> Claims:
        try:
            return self._verifier._verify(token, block=False)
        except NeedsKeyFetch:
            return await asyncio.to_thread(self._verifier.verify, token)

    def status(self) -> dict[str, Any]:
        return self._verifier.status()

    async def close(self) -> None:
        await asyncio.to_thread(self._verifier.close)

    async def __aenter__(self) -> AsyncVerifier:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


