"""The errors ``verify`` raises: the codes and statuses revokd's own HTTP API answers with (docs/errors.md)."""

from __future__ import annotations

from typing import Final

#: code → (HTTP status, OAuth error), as the service's error catalogue has them.
ERROR_CATALOGUE: Final[dict[str, tuple[int, str]]] = {
    "ERR_BAD_REQUEST": (400, "invalid_request"),
    "ERR_INVALID_TOKEN": (401, "invalid_token"),
    "ERR_TOKEN_REVOKED": (401, "invalid_token"),
    "ERR_TOKEN_EXPIRED": (401, "invalid_token"),
    "ERR_FORBIDDEN": (403, "insufficient_scope"),
    "ERR_STORE_UNAVAILABLE": (503, "temporarily_unavailable"),
    "ERR_INTERNAL": (500, "server_error"),
}


class RevokdError(Exception):
    """A refusal with a stable ``code``, its HTTP ``status`` and, for 503, ``retry_after`` (seconds).

    Messages are for people (never a token or a secret); codes are stable.
    """

    code: str
    status: int
    retry_after: int | None
    message: str

    def __init__(self, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        if code not in ERROR_CATALOGUE:
            raise ValueError(f"unknown error code {code}")
        self.code = code
        self.status = ERROR_CATALOGUE[code][0]
        self.retry_after = retry_after
        self.message = message

    @property
    def oauth_error(self) -> str:
        """The OAuth 2.0 / RFC 6750 error name (``invalid_token``, ``temporarily_unavailable``, …)."""
        return ERROR_CATALOGUE[self.code][1]

    def __repr__(self) -> str:
        return f"RevokdError({self.code!r}, {self.message!r})"


class VerifierStartError(RuntimeError):
    """``start()`` failed: keys or the first proven snapshot did not arrive, or the service refused us."""
