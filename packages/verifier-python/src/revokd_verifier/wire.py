"""Decoding what the revocation stream carries (docs/stream-protocol.md §3–§4), validating everything.

The stream crosses a network: nothing read from it is trusted. Unknown fields and reasons are
ignored; a revocation of a scope this code does not know raises :class:`UnknownScopeError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from ._json import is_chain_value, whole

STREAM_PROTOCOL_VERSION: Final = 2
SCOPES: Final = ("token", "session", "user", "client", "key", "window", "global", "api_token")
INITIATORS: Final = ("user", "admin", "policy", "system")
_ID = re.compile(r"[A-Za-z0-9_.:@*-]{1,255}")
_REASON = re.compile(r"[a-z][a-z0-9_]{0,63}")


class WireFormatError(ValueError):
    """Anything that is not a well-formed stream object."""

    def __init__(self, message: str) -> None:
        super().__init__(f"malformed revocation on the stream: {message}")


class UnknownScopeError(Exception):
    """A well-formed revocation of a scope this consumer does not know: it is too old for the service."""

    def __init__(self, scope: str) -> None:
        super().__init__(
            f'the revocation stream carries revocations of scope "{scope}", '
            f"which stream protocol {STREAM_PROTOCOL_VERSION} does not define"
        )
        self.scope = scope


@dataclass(frozen=True)
class Revocation:
    """One revocation as the replica applies it."""

    seq: int
    scope: str
    #: token: jti; session: sid; user: sub; client: client_id; key: kid; window/global: "*"; api_token: its id.
    target: str
    generation: int | None
    window_from: int | None
    window_to: int | None
    expires_at_ms: int | None
    initiator: str
    reason: str
    created_at_ms: int


@dataclass(frozen=True)
class Generations:
    global_: int
    users: tuple[tuple[str, int], ...]
    clients: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ServiceLimits:
    clock_tolerance_seconds: int
    access_ttl_seconds: int


MISSING: Final[Any] = object()


@dataclass(frozen=True)
class SnapshotPart:
    part: int
    final: bool
    generations: Generations | None
    limits: ServiceLimits | None
    records: tuple[Revocation, ...]
    protocol: int | None
    chain: str | None
    #: The proof as received (``MISSING`` when the part has none).
    proof: Any


def _field(value: dict[str, Any], name: str) -> Any:
    if name not in value:
        raise WireFormatError(f'missing "{name}"')
    return value[name]


def _id(value: dict[str, Any], name: str) -> str:
    v = _field(value, name)
    if not isinstance(v, str) or _ID.fullmatch(v) is None:
        raise WireFormatError(f'"{name}" must be an id')
    return v


def _whole(value: dict[str, Any], name: str) -> int:
    v = whole(_field(value, name))
    if v is None:
        raise WireFormatError(f'"{name}" must be a whole number ≥ 0')
    return v


def _expiry(value: dict[str, Any]) -> int | None:
    if _field(value, "expires_at") is None:
        return None
    return _whole(value, "expires_at")


def revocation_from_wire(data: Any) -> Revocation:
    """Reads a wire revocation. Raises WireFormatError or UnknownScopeError."""
    if not isinstance(data, dict):
        raise WireFormatError("not an object")
    seq = _whole(data, "seq")
    initiator = _field(data, "initiator")
    if initiator not in INITIATORS:
        raise WireFormatError(f'"initiator" is not one of {", ".join(INITIATORS)}')
    reason = _field(data, "reason")
    if not isinstance(reason, str) or _REASON.fullmatch(reason) is None:
        raise WireFormatError('"reason" is not a reason code')
    created = _whole(data, "created_at")

    def make(scope: str, target: str, *, generation: int | None = None, window: tuple[int, int] | None = None,
             expires: int | None = None) -> Revocation:
        return Revocation(seq, scope, target, generation, window[0] if window else None, window[1] if window else None,
                          expires, str(initiator), reason, created)

    scope = _field(data, "scope")
    if scope == "token":
        iss = _field(data, "iss")
        if iss is not None and not isinstance(iss, str):
            raise WireFormatError('"iss" must be a string or null')
        return make("token", _id(data, "jti"), expires=_expiry(data))
    if scope == "session":
        return make("session", _id(data, "sid"), expires=_expiry(data))
    if scope == "user":
        return make("user", _id(data, "sub"), generation=_whole(data, "generation"))
    if scope == "client":
        return make("client", _id(data, "client_id"), generation=_whole(data, "generation"))
    if scope == "key":
        return make("key", _id(data, "kid"))
    if scope == "window":
        start, end = _whole(data, "iat_from"), _whole(data, "iat_to")
        if end <= start:
            raise WireFormatError('"iat_to" must be after "iat_from"')
        return make("window", "*", window=(start, end), expires=_expiry(data))
    if scope == "global":
        return make("global", "*", generation=_whole(data, "generation"))
    if scope == "api_token":
        return make("api_token", _id(data, "api_token_id"), expires=_expiry(data))
    if isinstance(scope, str) and _ID.fullmatch(scope) is not None:
        raise UnknownScopeError(scope)
    raise WireFormatError('"scope" is not a scope')


def _pairs(generations: dict[str, Any], name: str) -> tuple[tuple[str, int], ...]:
    items = _field(generations, name)
    if not isinstance(items, list):
        raise WireFormatError(f'"generations.{name}" must be an array')
    out: list[tuple[str, int]] = []
    for pair in items:
        if not isinstance(pair, list) or len(pair) != 2:
            raise WireFormatError(f'"generations.{name}" entries are [id, generation]')
        out.append((_id({"id": pair[0]}, "id"), _whole({"generation": pair[1]}, "generation")))
    return tuple(out)


def snapshot_part_from_wire(data: Any) -> SnapshotPart:
    """Reads a snapshot part, validating every revocation in it."""
    if not isinstance(data, dict):
        raise WireFormatError("snapshot part is not an object")
    part = _whole(data, "part")
    final = _field(data, "final")
    if not isinstance(final, bool):
        raise WireFormatError('"final" must be a boolean')
    revocations = _field(data, "revocations")
    if not isinstance(revocations, list):
        raise WireFormatError('"revocations" must be an array')
    generations: Generations | None = None
    if "generations" in data:
        g = data["generations"]
        if not isinstance(g, dict):
            raise WireFormatError('"generations" must be an object')
        generations = Generations(_whole(g, "global"), _pairs(g, "users"), _pairs(g, "clients"))
    limits: ServiceLimits | None = None
    if "clock_tolerance_seconds" in data or "access_ttl_seconds" in data:
        limits = ServiceLimits(_whole(data, "clock_tolerance_seconds"), _whole(data, "access_ttl_seconds"))
    protocol = _whole(data, "protocol") if "protocol" in data else None
    chain = data.get("chain")
    if "chain" in data and not is_chain_value(chain):
        raise WireFormatError('"chain" is not a chain value')
    records = tuple(revocation_from_wire(r) for r in revocations)
    return SnapshotPart(part, final, generations, limits, records, protocol, chain, data.get("proof", MISSING))


def heartbeat_proof_from_wire(data: Any) -> Any:
    """A heartbeat's proof, unread (``MISSING`` from a service that signs nothing)."""
    if not isinstance(data, dict):
        raise WireFormatError("heartbeat is not an object")
    return data.get("proof", MISSING)
