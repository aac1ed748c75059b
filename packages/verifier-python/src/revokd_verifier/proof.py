"""The stream's proofs (docs/stream-protocol.md §6): a compact JWS with the header exactly
``{alg, kid, typ}``, ``typ`` ``revokd-stream-proof+jws``, signed by the issuer's key, the algorithm the
key's own. Signature checks are PyJWT's algorithm objects over ``cryptography``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ._json import b64url_decode, canonical_compact, is_chain_value, loads, whole
from .keys import KID_PATTERN, VerificationKey

STREAM_PROOF_TYPE = "revokd-stream-proof+jws"
MAX_JWS_LENGTH = 8192
_JWS_SHAPE = re.compile(r"[\w-]+\.[\w-]+\.[\w-]+", re.ASCII)

KeyResolver = Callable[[str], "Awaitable[VerificationKey | None] | VerificationKey | None"]


class StreamProofError(Exception):
    """Why a proof was refused; ``unknown_key``: signed by a kid not published (yet), unproven rather than forged."""

    def __init__(self, message: str, unknown_key: bool = False) -> None:
        super().__init__(f"stream proof refused: {message}")
        self.unknown_key = unknown_key


@dataclass(frozen=True)
class StreamProof:
    v: int
    iss: str
    head: str
    chain: str
    at: int
    snapshot: tuple[int, str] | None


async def read_stream_proof(jws: Any, issuer: str, resolve_key: KeyResolver) -> StreamProof:
    """Checks a proof's shape, header, signature, issuer and payload. Raises StreamProofError."""
    if not isinstance(jws, str) or len(jws) > MAX_JWS_LENGTH or _JWS_SHAPE.fullmatch(jws) is None or not canonical_compact(jws):
        raise StreamProofError("not a compact JWS")
    head_text, payload_text, sig_text = jws.split(".")
    try:
        header = loads(b64url_decode(head_text))
    except (ValueError, UnicodeDecodeError):
        raise StreamProofError("the JWS header is not JSON") from None
    if not isinstance(header, dict):
        raise StreamProofError("the JWS header is not an object")
    names = ",".join(sorted(header))
    if names != "alg,kid,typ":
        raise StreamProofError(f"the JWS header must hold exactly alg, kid and typ (it holds {names or 'nothing'})")
    if header["typ"] != STREAM_PROOF_TYPE:
        raise StreamProofError(f"the JWS typ is not {STREAM_PROOF_TYPE}")
    kid, alg = header["kid"], header["alg"]
    if not isinstance(kid, str) or KID_PATTERN.fullmatch(kid) is None:
        raise StreamProofError("the JWS kid is not a key id")
    if not isinstance(alg, str):
        raise StreamProofError("the JWS alg is not a string")
    found = resolve_key(kid)
    key = await found if inspect.isawaitable(found) else found
    if key is None:
        raise StreamProofError(f"signed by key {kid}, which the issuer does not publish", True)
    if key.kid != kid:
        raise StreamProofError("the key is not the one the JWS names")
    # The key decides the algorithm; a header that disagrees is refused, never followed.
    if alg != key.alg:
        raise StreamProofError(f"the JWS alg {alg} is not its key's ({key.alg})")
    signature = b64url_decode(sig_text)
    algorithm = key.jwk.Algorithm
    if len(signature) != 64 or not algorithm.verify(f"{head_text}.{payload_text}".encode("ascii"), key.jwk.key, signature):
        raise StreamProofError("the JWS signature does not verify")
    try:
        payload = loads(b64url_decode(payload_text))
    except (ValueError, UnicodeDecodeError):
        raise StreamProofError("the JWS payload is not JSON") from None
    return _proof_from_payload(payload, issuer)


def _proof_from_payload(payload: Any, issuer: str) -> StreamProof:
    if not isinstance(payload, dict):
        raise StreamProofError("the payload is not an object")

    def whole_field(name: str, value: Any) -> int:
        v = whole(value)
        if v is None:
            raise StreamProofError(f'"{name}" is not a whole number')
        return v

    if payload.get("iss") != issuer or not isinstance(payload.get("iss"), str):
        raise StreamProofError(f"issued by {payload.get('iss')!r}, not {issuer}")
    head = payload.get("head")
    if not isinstance(head, str) or head == "" or len(head) > 1024:
        raise StreamProofError('"head" is not a cursor')
    chain = payload.get("chain")
    if not is_chain_value(chain):
        raise StreamProofError('"chain" is not a chain value')
    snapshot: tuple[int, str] | None = None
    if "snapshot" in payload:
        s = payload["snapshot"]
        if not isinstance(s, dict) or not is_chain_value(s.get("digest")):
            raise StreamProofError('"snapshot" is not a digest')
        snapshot = (whole_field("snapshot.parts", s.get("parts")), s["digest"])
    version, at = whole_field("v", payload.get("v")), whole_field("at", payload.get("at"))
    return StreamProof(version, issuer, head, str(chain), at, snapshot)
