"""The revocation replica: the state every decision reads, and how current it is proven to be.

A port of the service's RevocationState and RevocationReplica (src/core/revocation/revocation-state.ts,
src/replica/revocation-replica.ts): counters for the "everything before" scopes (global, user, client),
sets for the single scopes (token, session, key), windows of ``iat``. Thread-safe: the stream thread
applies, any thread checks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import RevokdError
from .wire import Revocation

NEVER = 2**53 - 1


@dataclass(frozen=True)
class TokenStamp:
    """What the revocation model needs to know about a token."""

    jti: str
    sid: str
    sub: str
    client_id: str
    kid: str | None
    iat: int
    gen: int
    ugen: int
    cgen: int


class RevocationState:
    """Pure data and decisions, no I/O."""

    def __init__(self) -> None:
        self.global_generation = 0
        self.user_generations: dict[str, int] = {}
        self.client_generations: dict[str, int] = {}
        self.tokens: dict[str, int] = {}
        self.sessions: dict[str, int] = {}
        self.keys: set[str] = set()
        self.api_tokens: dict[str, int] = {}
        self.windows: list[tuple[int, int, int | None]] = []

    def apply(self, record: Revocation) -> None:
        """Idempotent and order-tolerant: counters only move up."""
        scope = record.scope
        expiry = record.expires_at_ms if record.expires_at_ms is not None else NEVER
        if scope == "token":
            self.tokens[record.target] = expiry
        elif scope == "session":
            self.sessions[record.target] = expiry
        elif scope == "user":
            _raise(self.user_generations, record.target, record.generation or 0)
        elif scope == "client":
            _raise(self.client_generations, record.target, record.generation or 0)
        elif scope == "global":
            self.global_generation = max(self.global_generation, record.generation or 0)
        elif scope == "key":
            self.keys.add(record.target)
        elif scope == "api_token":
            # API tokens are opaque and introspected; an access-token consumer applies nothing for them.
            self.api_tokens[record.target] = expiry
        elif scope == "window" and record.window_from is not None and record.window_to is not None:
            self.windows = [*self.windows, (record.window_from, record.window_to, record.expires_at_ms)]

    def set_generations(self, global_: int, users: Iterable[tuple[str, int]], clients: Iterable[tuple[str, int]]) -> None:
        self.global_generation = max(self.global_generation, global_)
        for sub, gen in users:
            _raise(self.user_generations, sub, gen)
        for client_id, gen in clients:
            _raise(self.client_generations, client_id, gen)

    def check(self, stamp: TokenStamp) -> str | None:
        """The scope that revokes the token, or None."""
        if stamp.kid is not None and stamp.kid in self.keys:
            return "key"
        if stamp.jti in self.tokens:
            return "token"
        if stamp.sid in self.sessions:
            return "session"
        if stamp.gen < self.global_generation:
            return "global"
        client_gen = self.client_generations.get(stamp.client_id)
        if client_gen is not None and stamp.cgen < client_gen:
            return "client"
        user_gen = self.user_generations.get(stamp.sub)
        if user_gen is not None and stamp.ugen < user_gen:
            return "user"
        for start, end, _ in self.windows:
            if start <= stamp.iat < end:
                return "window"
        return None

    def prune(self, now_ms: int) -> None:
        """Drops entries that can no longer cover a live token."""
        for table in (self.tokens, self.sessions, self.api_tokens):
            for key in [k for k, expiry in table.items() if expiry < now_ms]:
                del table[key]
        self.windows = [w for w in self.windows if w[2] is None or w[2] >= now_ms]


def _raise(table: dict[str, int], key: str, value: int) -> None:
    current = table.get(key)
    if current is None or value > current:
        table[key] = value


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


PRUNE_INTERVAL_MS = 60_000


class Replica:
    """The revocation state plus its proven currency, staleness bound and fail mode.

    ``now`` is injectable (ms since the epoch), so the conformance vectors can drive it.
    """

    def __init__(self, *, max_staleness_ms: int, fail_mode: str, fail_open_max_ms: int | None = None,
                 now: Callable[[], int] = wall_clock_ms, on_record: Callable[[Revocation], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._state = RevocationState()
        self._max_staleness_ms = max_staleness_ms
        self._fail_mode = fail_mode
        self._fail_open_max_ms = fail_open_max_ms
        self._now = now
        self._last_sync_ms = 0
        self._last_prune_ms = 0
        self._halted: Exception | None = None
        self._on_record = on_record
        self.cursor: str | None = None

    @property
    def state(self) -> RevocationState:
        return self._state

    # --- what the stream consumer feeds it ------------------------------------------------------

    def load_snapshot(self, records: Iterable[Revocation], generations: tuple[int, Iterable[tuple[str, int]],
                      Iterable[tuple[str, int]]], cursor: str) -> None:
        state = RevocationState()
        state.set_generations(*generations)
        for record in records:
            state.apply(record)
        with self._lock:
            self._state = state
            self.cursor = cursor
        self.mark_current()
        if self._on_record is not None:
            for record in records:
                if record.scope == "key":
                    self._tell(record)

    def apply(self, record: Revocation, cursor: str) -> None:
        with self._lock:
            self._state.apply(record)
            self.cursor = cursor
        self._tell(record)

    def _tell(self, record: Revocation) -> None:
        if self._on_record is not None:
            try:
                self._on_record(record)
            except Exception:  # a listener's failure must not stop the feed
                pass

    def mark_current(self, as_of_ms: int | None = None) -> None:
        now = self._now()
        with self._lock:
            # Never ahead of this clock (a sender's may run ahead), never back (an older proof).
            self._last_sync_ms = max(self._last_sync_ms, min(now, now if as_of_ms is None else as_of_ms))
            if now - self._last_prune_ms >= PRUNE_INTERVAL_MS:
                self._state.prune(now)
                self._last_prune_ms = now

    def mark_stale(self) -> None:
        with self._lock:
            # Stale now, but the fail-open bound still counts from the last time it was proven current.
            self._last_sync_ms = min(self._last_sync_ms, self._now() - self._max_staleness_ms - 1)

    def halt(self, error: Exception) -> None:
        with self._lock:
            if self._halted is None:
                self._halted = error

    # --- what decisions read ----------------------------------------------------------------------

    @property
    def halted(self) -> Exception | None:
        return self._halted

    def staleness_ms(self) -> int:
        return self._now() - self._last_sync_ms

    def is_stale(self) -> bool:
        return self._halted is not None or self.staleness_ms() > self._max_staleness_ms

    def can_decide(self) -> bool:
        if self._halted is not None:
            return False
        if not self.is_stale():
            return True
        beyond = self._fail_open_max_ms is not None and self.staleness_ms() > self._fail_open_max_ms
        return self._fail_mode == "open" and not beyond

    def is_key_revoked(self, kid: str) -> bool:
        return kid in self._state.keys

    def check(self, stamp: TokenStamp) -> str | None:
        """The revoking scope or None; raises ERR_STORE_UNAVAILABLE when it cannot decide."""
        halted = self._halted
        if halted is not None:
            raise RevokdError("ERR_STORE_UNAVAILABLE", f"revocation state cannot be decided: {halted}", retry_after=60)
        if self.is_stale() and not self.can_decide():
            raise RevokdError("ERR_STORE_UNAVAILABLE", "revocation state is not current; try again shortly", retry_after=1)
        return self._state.check(stamp)
