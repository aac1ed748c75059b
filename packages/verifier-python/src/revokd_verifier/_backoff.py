"""When to reconnect to the revocation stream (docs/stream-protocol.md §2, "Reconnecting").

The same rules as the Node verifier (packages/verifier/src/reconnect-backoff.ts). The common loss is
a healthy stream cut by a restart of the service: it is back in well under a second, and every
moment waited past that is a moment the verifier is stale for nothing. So after a *healthy* stream
(one that proved the view current) is lost, the next ``QUICK_ATTEMPTS`` attempts come after the
short delay the server asked for (``retry:``), refused or not; only then, and after any other
failure (refused, non-200, tampering), does the delay double up to the cap. The server's ``retry:``
is clamped to [``MIN_RETRY_MS``, max] (a proxy sending ``retry: 0`` cannot make a fleet hammer the
service), and every delay is jittered over its upper half so verifiers cut together do not come
back in step.
"""

from __future__ import annotations

import random
from collections.abc import Callable

#: The lowest reconnection delay a ``retry:`` can ask for (before jitter).
MIN_RETRY_MS = 100
#: Attempts at the low delay after a healthy stream is lost (at 250 ms: 8–16 s, longer than a restart
#: takes even on a loaded machine); a count, so a lower ``retry:`` buys fewer seconds, not more attempts;
#: bounded, so a service that stays down is not polled at that rate for long.
QUICK_ATTEMPTS = 64


class ReconnectBackoff:
    def __init__(self, *, initial_ms: float, max_ms: float, rand: Callable[[], float] = random.random) -> None:
        self._max_ms = max(float(MIN_RETRY_MS), float(max_ms))
        self._random = rand
        self._retry_ms = self._clamp(initial_ms)
        self._growth = 0
        self._quick_left = 0

    def server_retry(self, ms: float) -> None:
        """The server's ``retry:`` field (ms)."""
        self._retry_ms = self._clamp(ms)

    def lost_healthy(self) -> None:
        """A stream that proved the view current has ended: come back soon."""
        self._growth = 0
        self._quick_left = QUICK_ATTEMPTS

    def lost_unproven(self) -> None:
        """A stream that delivered events but no proof ended: not a failure, not a reason to hurry."""
        self._growth = 0
        self._quick_left = 0

    def failed(self) -> None:
        """An attempt failed (refused, non-200, tampering): the delay grows once the quick ones are used."""
        if self._quick_left == 0:
            self._growth = min(self._growth + 1, 16)

    def next_delay_ms(self) -> float:
        """The delay before the next attempt (consumes one quick attempt if any is left)."""
        if self._quick_left > 0:
            self._quick_left -= 1
            ceiling = self._retry_ms
        else:
            ceiling = min(self._max_ms, self._retry_ms * 2**self._growth)
        return ceiling / 2 + self._random() * (ceiling / 2)

    def _clamp(self, ms: float) -> float:
        return min(max(float(ms), float(MIN_RETRY_MS)), self._max_ms)
