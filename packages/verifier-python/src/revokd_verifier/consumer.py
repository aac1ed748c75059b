"""The consumer side of stream protocol 2 (docs/stream-protocol.md), without the transport.

It is handed the stream's events in order and keeps a :class:`~revokd_verifier.state.Replica` exactly
as current as the service proves it to be. The driver (driver.py) owns the connection; the
conformance vectors (conformance/stream/) drive this class directly, one event at a time, on their clock.

- a snapshot is assembled part by part, its parts' data hashed; it is applied only when the final
  part's proof verifies and signs for that digest, its cursor and its chain;
- each revocation's exact ``data`` text advances the feed chain and is applied;
- only a proof makes the view current — as of the proof's ``at`` — and only when it names the chain
  held here: a proof for another chain means an event was lost, altered, reordered or replayed
  (:class:`StreamTamperedError`: the caller calls :meth:`StreamConsumer.resync`);
- unknown event types, fields and reasons are ignored; an unknown revocation scope halts for good
  (:class:`StreamHaltedError`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._json import loads
from .proof import KeyResolver, StreamProof, StreamProofError, read_stream_proof
from .sse import SseEvent
from .state import Replica
from .wire import (
    MISSING,
    STREAM_PROTOCOL_VERSION,
    Generations,
    Revocation,
    ServiceLimits,
    UnknownScopeError,
    WireFormatError,
    heartbeat_proof_from_wire,
    revocation_from_wire,
    snapshot_part_from_wire,
)

GENESIS_CHAIN = "0" * 64


def next_chain(previous: str, data: str) -> str:
    """chainₙ = hex(SHA-256(bytes(chainₙ₋₁) ‖ UTF-8(dataₙ)))."""
    return hashlib.sha256(bytes.fromhex(previous) + data.encode("utf-8")).hexdigest()


class StreamProtocolError(Exception):
    """Anything the stream sent that does not follow its format: reconnect from the last applied id."""

    def __init__(self, message: str) -> None:
        super().__init__(f"revocation stream: {message}")


class StreamTamperedError(Exception):
    """What was received is not what the service sent: stale now; reconnect without Last-Event-ID."""

    def __init__(self, message: str) -> None:
        super().__init__(f"revocation stream: {message}; resynchronising from a fresh snapshot")


class StreamHaltedError(Exception):
    """This code cannot follow the service at all: stop deciding, never reconnect."""


@dataclass
class _Snapshot:
    next_part: int = 0
    generations: Generations | None = None
    limits: ServiceLimits | None = None
    records: list[Revocation] = field(default_factory=list)
    digest: Any = field(default_factory=hashlib.sha256)


class StreamConsumer:
    """The protocol state machine. Not thread-safe by itself: one stream feeds it, in order."""

    def __init__(self, replica: Replica, issuer: str, resolve_key: KeyResolver,
                 on_service_limits: Callable[[ServiceLimits | None], None] | None = None,
                 on_unproven_proof: Callable[[str], None] | None = None) -> None:
        self._replica = replica
        self._issuer = issuer
        self._resolve_key = resolve_key
        self._on_service_limits = on_service_limits
        self._on_unproven_proof = on_unproven_proof
        self._snapshot: _Snapshot | None = None
        self._snapshot_loaded = False
        self._chain: str | None = None
        self._cursor: str | None = None
        self._service_protocol: int | None = None
        #: Proofs verified for the chain held (the driver tells a healthy connection by them).
        self.proofs = 0

    @property
    def position(self) -> str | None:
        """The ``Last-Event-ID`` to connect with (None: ask for a snapshot)."""
        return self._cursor

    @property
    def has_snapshot(self) -> bool:
        return self._snapshot_loaded

    def connected(self, protocol: int | None) -> None:
        """A new connection: a half-received snapshot is dropped; ``protocol`` as its header announced."""
        self._snapshot = None
        self._service_protocol = protocol

    def resync(self) -> None:
        """After StreamTamperedError: stale now, and the next connection asks for a snapshot."""
        self._replica.mark_stale()
        self._cursor = None
        self._chain = None
        self._snapshot = None
        self._snapshot_loaded = False

    async def receive(self, event: SseEvent) -> None:
        """Handles one event; raises StreamProtocolError, StreamTamperedError or StreamHaltedError."""
        if event.event == "snapshot":
            await self._snapshot_part(event)
        elif event.event == "revocation":
            self._revocation(event)
        elif event.event == "heartbeat":
            await self._heartbeat(event)
        # any other event type: a newer protocol's; ignored, and it proves nothing

    def _revocation(self, event: SseEvent) -> None:
        if self._snapshot is not None:
            raise StreamProtocolError("a revocation arrived in the middle of a snapshot")
        if not self._snapshot_loaded or self._chain is None:
            raise StreamProtocolError("a revocation arrived before any snapshot")
        if not event.id:
            raise StreamProtocolError("a revocation event has no id")
        try:
            record = revocation_from_wire(_parse(event))
        except UnknownScopeError as err:
            raise self._too_old(err) from None
        except WireFormatError as err:
            raise StreamProtocolError(str(err)) from None
        # The exact text received: an altered event makes a chain the next proof does not match.
        self._chain = next_chain(self._chain, event.data)
        self._replica.apply(record, event.id)
        self._cursor = event.id

    async def _heartbeat(self, event: SseEvent) -> None:
        # A heartbeat vouches for a stream at its head: never mid-snapshot or before one.
        if not self._snapshot_loaded or self._snapshot is not None or self._chain is None:
            return
        try:
            jws = heartbeat_proof_from_wire(_parse(event))
        except WireFormatError as err:
            raise StreamProtocolError(str(err)) from None
        if jws is MISSING:
            if self._service_protocol is None:
                raise self._unprovable()
            return  # a service with no key to sign with: alive, but the view is no fresher
        proof = await self._read_proof(jws)
        if proof is None:
            return
        if proof.chain != self._chain:
            raise StreamTamperedError(
                f"a heartbeat proves feed chain {proof.chain[:12]}… at {proof.head}, but the events received make "
                f"{self._chain[:12]}… (an event was lost, altered, reordered or replayed on the way)"
            )
        self._replica.mark_current(proof.at)
        self.proofs += 1

    async def _read_proof(self, jws: Any) -> StreamProof | None:
        try:
            return await read_stream_proof(jws, self._issuer, self._resolve_key)
        except StreamProofError as err:
            if err.unknown_key:
                # A kid not published yet (a rotation under way): this proof proves nothing; the next may.
                if self._on_unproven_proof is not None:
                    self._on_unproven_proof(str(err))
                return None
            raise StreamTamperedError(str(err)) from None

    async def _snapshot_part(self, event: SseEvent) -> None:
        try:
            part = snapshot_part_from_wire(_parse(event))
        except UnknownScopeError as err:
            raise self._too_old(err) from None
        except WireFormatError as err:
            raise StreamProtocolError(str(err)) from None
        current = self._snapshot if self._snapshot is not None else _Snapshot()
        if part.part != current.next_part:
            raise StreamProtocolError(f"snapshot part {part.part} arrived, {current.next_part} expected")
        if part.part == 0:
            current.generations = part.generations
            current.limits = part.limits
            if part.protocol is not None:
                self._service_protocol = part.protocol
        current.next_part += 1
        if not part.final:
            current.digest.update(event.data.encode("utf-8") + b"\n")
            current.records.extend(part.records)
            self._snapshot = current
            return
        self._snapshot = None
        if not event.id:
            raise StreamProtocolError("the final snapshot part has no id")
        if part.proof is MISSING or part.chain is None:
            raise self._unprovable()
        if part.records:
            raise StreamProtocolError("the final snapshot part carries revocations")
        proof = await self._read_proof(part.proof)
        if proof is None:
            raise StreamProtocolError("the snapshot is signed by a key the issuer does not publish (yet)")
        digest = current.digest.hexdigest()
        if (proof.snapshot is None or proof.snapshot != (part.part, digest) or proof.head != event.id
                or proof.chain != part.chain):
            raise StreamTamperedError("the snapshot received is not the one its proof signs for")
        generations = current.generations or Generations(0, (), ())
        if self._on_service_limits is not None:
            self._on_service_limits(current.limits)
        self._replica.load_snapshot(current.records, (generations.global_, generations.users, generations.clients), event.id)
        # load_snapshot marked it current now; the proof says since when it really is.
        self._replica.mark_stale()
        self._replica.mark_current(proof.at)
        self.proofs += 1
        self._cursor = event.id
        self._chain = proof.chain
        self._snapshot_loaded = True

    def _unprovable(self) -> StreamHaltedError:
        return StreamHaltedError(
            f"the revocation service speaks stream protocol {self._service_protocol or 1}, which cannot prove a consumer "
            f"current; this verifier needs protocol {STREAM_PROTOCOL_VERSION}: upgrade revokd"
        )

    def _too_old(self, err: UnknownScopeError) -> StreamHaltedError:
        if self._service_protocol is not None and self._service_protocol > STREAM_PROTOCOL_VERSION:
            needs = f"the service speaks protocol {self._service_protocol}"
        else:
            needs = f"a newer protocol than {STREAM_PROTOCOL_VERSION}"
        return StreamHaltedError(
            f"{err}; {needs}: upgrade revokd-verifier to a release that speaks it. Until then every token is refused (503)."
        )


def _parse(event: SseEvent) -> Any:
    try:
        return loads(event.data)
    except ValueError:
        raise StreamProtocolError(f'"{event.event}" event data is not JSON') from None
