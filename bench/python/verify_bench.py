"""The Python verifier's hot path (part 8 of `npm run bench`, bench/python-verify.ts): Verifier.verify of a
repeat token and of first-seen tokens, against bare PyJWT jwt.decode of the same tokens. Prints one JSON line.

The verifier is built with fixed keys and its replica marked current by hand (no stream: this measures the
verify path itself — claim checks, the verified-token cache, the revocation check — not the network).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from revokd_verifier import Verifier

ISSUER, AUDIENCE = "https://auth.example.com", "https://auth.example.com"
OPS = int(os.environ.get("BENCH_PYTHON_OPS", "20000"))
FIRST_SEEN = int(os.environ.get("BENCH_PYTHON_FIRST_SEEN", "5000"))


def sign(private: Ed25519PrivateKey, i: int) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": f"user-{i}", "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 900,
              "jti": f"bench-jti-{i:012d}", "sid": f"sess-{i}", "client_id": "web", "scope": "", "gen": 0, "ugen": 0, "cgen": 0}
    return jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": "k1", "typ": "at+jwt"})


def measure(name: str, call: Callable[[int], Any], ops: int) -> dict[str, Any]:
    for i in range(min(ops, 200)):
        call(i)  # warm-up
    samples = []
    started = time.perf_counter_ns()
    for i in range(ops):
        t = time.perf_counter_ns()
        call(i)
        samples.append(time.perf_counter_ns() - t)
    total = time.perf_counter_ns() - started
    samples.sort()
    return {"name": name, "ops": ops, "opsPerSec": ops / (total / 1e9), "p50Us": samples[len(samples) // 2] / 1000,
            "p99Us": samples[int(len(samples) * 0.99)] / 1000, "meanUs": statistics.fmean(samples) / 1000}


def main() -> None:
    private = Ed25519PrivateKey.generate()
    jwk = {**json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key())), "kid": "k1", "alg": "EdDSA", "use": "sig"}
    verifier = Verifier(issuer=ISSUER, audience=AUDIENCE, keys=[jwk], stream_url="https://127.0.0.1/none", client_id="bench",
                        client_secret="bench", max_staleness_ms=86_400_000, verified_token_cache_size=FIRST_SEEN + 10)
    verifier._started = True  # no stream: the replica is marked current by hand
    verifier._replica.mark_current()
    public = jwt.PyJWK(jwk).key
    repeat = sign(private, 0)
    fresh = [sign(private, i + 1) for i in range(FIRST_SEEN + 200)]
    unseen = iter(fresh)  # each verified once (warm-up included)
    results = [
        measure("bare PyJWT jwt.decode (EdDSA)", lambda i: jwt.decode(fresh[i % len(fresh)], public, algorithms=["EdDSA"],
                                                                     audience=AUDIENCE, issuer=ISSUER), OPS // 4),
        measure("Verifier.verify, first-seen token", lambda _i: verifier.verify(next(unseen)), FIRST_SEEN),
        measure("Verifier.verify, repeat token", lambda _i: verifier.verify(repeat), OPS),
    ]
    verifier.close()
    print(json.dumps({"python": platform.python_version(), "pyjwt": jwt.__version__, "results": results}))


if __name__ == "__main__":
    sys.exit(main())
