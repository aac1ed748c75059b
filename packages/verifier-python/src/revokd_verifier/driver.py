"""The transport: one SSE connection at a time to ``GET /api/v1/revocations/stream``, fed to a StreamConsumer.

Reconnects soon after a healthy stream is lost and with growing, jittered delays after failures
(``_backoff.py``, honouring the server's ``retry:``), sends ``Last-Event-ID`` from the consumer's position,
treats a connection silent for ``idle_timeout_s`` as dead, resynchronises without an id after tampering, and
stops for good when the consumer halts.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Callable
from typing import Literal
from urllib.parse import quote_plus

import httpx

from ._backoff import ReconnectBackoff
from .consumer import StreamConsumer, StreamHaltedError, StreamProtocolError, StreamTamperedError
from .sse import SseEvent, SseParser
from .state import Replica

logger = logging.getLogger("revokd_verifier")

PROTOCOL_HEADER = "revokd-stream-protocol"
_EVENT_STREAM = re.compile(r"text/event-stream\b", re.IGNORECASE)
_PROTOCOL = re.compile(r"[0-9]{1,6}")

#: How far a connection got before it ended: what decides the next delay (_backoff.py).
Outcome = Literal["failed", "unproven", "proven"]


class StreamAuthError(Exception):
    """The credentials were refused: retrying cannot help until an operator fixes them."""

    def __init__(self, status: int) -> None:
        super().__init__(
            f"the revocation stream refused the client credentials (HTTP {status}); the client needs scope revocations:read"
        )
        self.status = status


def basic_authorization(client_id: str, client_secret: str) -> str:
    """RFC 6749 §2.3.1: form-urlencode the id and the secret, then HTTP Basic."""
    pair = f"{quote_plus(client_id, safe='')}:{quote_plus(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


class SseDriver:
    def __init__(self, *, url: str, client_id: str, client_secret: str, consumer: StreamConsumer, replica: Replica,
                 client: Callable[[], httpx.AsyncClient], idle_timeout_s: float, connect_timeout_s: float = 5.0,
                 initial_backoff_ms: int = 100, max_backoff_ms: int = 5000,
                 on_first_snapshot: Callable[[BaseException | None], None] | None = None) -> None:
        self._url = url
        self._authorization = basic_authorization(client_id, client_secret)
        self._consumer = consumer
        self._replica = replica
        self._client = client
        self._idle_timeout_s = idle_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._backoff = ReconnectBackoff(initial_ms=initial_backoff_ms, max_ms=max_backoff_ms)
        # How far the current connection got, kept as it goes: a reset mid-stream raises.
        self._progress: Outcome = "failed"
        self._on_first_snapshot = on_first_snapshot
        self.connections = 0
        self.mismatches = 0
        self.connected = False
        self.problem = "not connected yet"

    def _first_snapshot(self, error: BaseException | None) -> None:
        callback, self._on_first_snapshot = self._on_first_snapshot, None
        if callback is not None:
            callback(error)

    def set_problem(self, message: str) -> None:
        self.problem = message

    async def run(self) -> None:
        """Until cancelled, or until the consumer halts."""
        while True:
            tampered = False
            malformed = False
            self._progress = "failed"
            try:
                await self._connect_once()
                self.problem = "the stream ended"
            except asyncio.CancelledError:
                raise
            except StreamHaltedError as err:
                self.problem = str(err)
                logger.error("revokd verifier halted: %s", err)
                self._replica.halt(err)
                self._first_snapshot(err)
                return
            except StreamAuthError as err:
                self.problem = str(err)
                logger.warning("%s", err)
                # Before the first snapshot a configuration error; later perhaps a secret rotation: retry.
                self._first_snapshot(err)
            except StreamTamperedError as err:
                self.problem = str(err)
                tampered = True
                self.mismatches += 1
                logger.warning("%s", err)
                # What this view holds may lack a revocation: stale now, and rebuilt from a snapshot.
                self._consumer.resync()
            except Exception as err:  # protocol errors, HTTP and network errors, idle timeouts: reconnect
                malformed = isinstance(err, StreamProtocolError)
                self.problem = str(err) or type(err).__name__
                logger.info("revocation stream: %s; reconnecting", self.problem)
            finally:
                self.connected = False
            outcome = self._outcome(tampered, malformed)
            if outcome == "proven":
                self._backoff.lost_healthy()
            elif outcome == "unproven":
                self._backoff.lost_unproven()
            else:
                self._backoff.failed()
            await asyncio.sleep(self._backoff.next_delay_ms() / 1000)

    def _outcome(self, tampered: bool, malformed: bool) -> Outcome:
        # Tampering keeps the backoff growing: a proxy that alters every stream gets ever fewer snapshots;
        # a malformed event after a proof is no reason to hurry back for another.
        if tampered:
            return "failed"
        return "unproven" if malformed and self._progress == "proven" else self._progress

    async def _connect_once(self) -> None:
        """One connection, until it ends or fails; how far it got is kept in ``_progress`` meanwhile."""
        headers = {"accept": "text/event-stream", "cache-control": "no-cache", "accept-encoding": "identity",
                   "authorization": self._authorization}
        position = self._consumer.position
        if position is not None:
            headers["last-event-id"] = position
        timeout = httpx.Timeout(connect=self._connect_timeout_s, read=self._idle_timeout_s,
                                write=self._connect_timeout_s, pool=self._connect_timeout_s)
        events: list[SseEvent] = []
        parser = SseParser(events.append, self._backoff.server_retry)
        async with self._client().stream("GET", self._url, headers=headers, timeout=timeout) as response:
            if response.status_code in (401, 403):
                raise StreamAuthError(response.status_code)
            content_type = response.headers.get("content-type", "")
            if response.status_code != 200 or _EVENT_STREAM.match(content_type) is None:
                raise StreamProtocolError(f"expected 200 text/event-stream, got {response.status_code} {content_type}")
            self.connections += 1
            self.connected = True
            announced = response.headers.get(PROTOCOL_HEADER)
            self._consumer.connected(int(announced) if announced is not None and _PROTOCOL.fullmatch(announced) else None)
            proofs_before = self._consumer.proofs
            logger.info("revocation stream connected (resuming: %s)", "yes" if position is not None else "no, snapshot")
            async for chunk in response.aiter_raw():
                parser.push(chunk)
                while events:
                    await self._consumer.receive(events.pop(0))
                    self._progress = "proven" if self._consumer.proofs > proofs_before else "unproven"
                    if self._consumer.has_snapshot:
                        self._first_snapshot(None)
