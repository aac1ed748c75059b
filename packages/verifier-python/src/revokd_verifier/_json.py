"""Small helpers shared by the wire decoders: JSON as JavaScript reads it, whole numbers, base64url."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1

_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B64_VALUE = {c: i for i, c in enumerate(_B64_ALPHABET)}
CHAIN_PATTERN = re.compile(r"[0-9a-f]{64}")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str | bytes) -> Any:
    """``json.loads`` without NaN/Infinity (which JSON does not have)."""
    return json.loads(text, parse_constant=_no_constant)


def whole(value: object) -> int | None:
    """The value as a safe integer ≥ 0 (as JavaScript's Number.isSafeInteger sees it), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_SAFE_INTEGER else None
    if isinstance(value, float) and value.is_integer() and 0 <= value <= MAX_SAFE_INTEGER:
        return int(value)
    return None


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_chain_value(value: object) -> bool:
    return isinstance(value, str) and CHAIN_PATTERN.fullmatch(value) is not None


def canonical_segment(text: str) -> bool:
    """True when ``text`` is base64url that re-encodes to itself (no padding, unused bits zero)."""
    length = len(text)
    if length == 0:
        return False
    value = _B64_VALUE.get(text[-1], -1)
    if value < 0:
        return False
    rest = length % 4
    if rest == 0:
        return True
    if rest == 2:
        return value & 0b1111 == 0
    if rest == 3:
        return value & 0b11 == 0
    return False


def canonical_compact(compact: str) -> bool:
    """Every ``.``-separated segment is canonical base64url."""
    return all(canonical_segment(segment) for segment in compact.split("."))


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
