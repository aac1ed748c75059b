"""Settings every test app reads from its environment (set by test/python/verifier-python.test.ts)."""

from __future__ import annotations

import logging
import os
from typing import Any

logging.basicConfig(level=logging.WARNING)


def options(fail_mode: str = "closed") -> dict[str, Any]:
    base = os.environ["REVOKD_URL"]
    return {
        "issuer": base, "audience": base, "jwks_uri": f"{base}/.well-known/jwks.json",
        "stream_url": f"{base}/api/v1/revocations/stream", "client_id": os.environ["REVOKD_CLIENT_ID"],
        "client_secret": os.environ["REVOKD_CLIENT_SECRET"], "max_staleness_ms": int(os.environ["MAX_STALENESS_MS"]),
        "fail_mode": fail_mode, "start_timeout_ms": 20_000,
    }


PORT = int(os.environ.get("PORT", "0"))
