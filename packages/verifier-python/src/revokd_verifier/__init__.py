"""revokd-verifier: verify revokd access tokens offline, and honour every revocation within a stated bound.

    from revokd_verifier import Verifier, RevokdError
    verifier = Verifier(issuer=..., audience=..., jwks_uri=..., stream_url=..., client_id=..., client_secret=...,
                        max_staleness_ms=2000, fail_mode="closed")
    verifier.start()
    claims = verifier.verify(token)   # or raises RevokdError (.code, .status, .retry_after)
"""

from .errors import ERROR_CATALOGUE, RevokdError, VerifierStartError
from .verifier import AsyncVerifier, Verifier

__all__ = ["ERROR_CATALOGUE", "AsyncVerifier", "RevokdError", "Verifier", "VerifierStartError"]
__version__ = "0.1.0"
