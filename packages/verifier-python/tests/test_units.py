"""Unit tests: the SSE parser, the claim checks, options, the bearer core and the lifecycle without a server."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from revokd_verifier import RevokdError, Verifier
from revokd_verifier._bearer import authenticate, normalise_scopes
from revokd_verifier.keys import to_key_map
from revokd_verifier.sse import SseEvent, SseParser
from revokd_verifier.state import Replica
from revokd_verifier.tokens import VerifiedTokenCache, VerifyOptions, decide

ISSUER, AUDIENCE = "https://auth.example.com", "https://api.example.com"


def parse(*chunks: bytes) -> tuple[list[SseEvent], list[int]]:
    events: list[SseEvent] = []
    retries: list[int] = []
    parser = SseParser(events.append, retries.append)
    for chunk in chunks:
        parser.push(chunk)
    return events, retries


def test_sse_line_ends_split_across_chunks_comments_bom_retry() -> None:
    events, retries = parse(b"\xef\xbb\xbf: hello\r", b"\nevent: a\r\nid: 7\r\ndata: {\"x\":", b"1}\r", b"\r\n",
                            b"retry: 250\n\ndata:two\ndata: lines\n\n", b"event: b\ndata: \xc3", b"\xa9\n\n")
    assert events == [SseEvent("a", '{"x":1}', "7"), SseEvent("message", "two\nlines", None), SseEvent("b", "é", None)]
    assert retries == [250]


def test_sse_event_without_data_is_not_dispatched() -> None:
    events, _ = parse(b"event: heartbeat\n\n: comment\n\n")
    assert events == []


@pytest.fixture(scope="module")
def signing() -> tuple[Ed25519PrivateKey, dict[str, Any]]:
    private = Ed25519PrivateKey.generate()
    jwk = jwt.PyJWK.from_json(jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key()))._jwk_data
    return private, {**jwk, "kid": "k1", "alg": "EdDSA", "use": "sig"}


def token(private: Ed25519PrivateKey, header: dict[str, Any] | None = None, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 600,
               "jti": "jti-0123456789", "sid": "sess-1", "client_id": "web", "scope": "orders:read", "gen": 0, "ugen": 0,
               "cgen": 0, **claims}
    return jwt.encode(payload, private, algorithm="EdDSA", headers={"kid": "k1", "typ": "at+jwt", **(header or {})})


def check(tok: object, jwk: dict[str, Any], cache: VerifiedTokenCache | None = None, now: int | None = None) -> str:
    keys = to_key_map([jwk])
    replica = Replica(max_staleness_ms=1000, fail_mode="closed")
    replica.mark_current()
    try:
        decide(tok, replica, VerifyOptions(ISSUER, AUDIENCE, 5, 900, now or int(time.time()), keys.get), cache)
        return "accept"
    except RevokdError as err:
        return err.code


def test_claim_checks(signing: tuple[Ed25519PrivateKey, dict[str, Any]]) -> None:
    private, jwk = signing
    now = int(time.time())
    assert check(token(private), jwk) == "accept"
    assert check(token(private, {"typ": "JWT"}), jwk) == "ERR_INVALID_TOKEN"
    assert check(token(private, iss="https://other"), jwk) == "ERR_INVALID_TOKEN"
    assert check(token(private, aud="https://other"), jwk) == "ERR_INVALID_TOKEN"
    assert check(token(private, iat=now - 1000, nbf=now - 1000, exp=now - 100), jwk) == "ERR_TOKEN_EXPIRED"
    assert check(token(private, exp=now + 2000), jwk) == "ERR_INVALID_TOKEN"  # lifetime > 900 + 5
    assert check(token(private, iat=now + 60, nbf=now, exp=now + 600), jwk) == "ERR_INVALID_TOKEN"  # iat in the future
    assert check(token(private, jti="short"), jwk) == "ERR_INVALID_TOKEN"
    assert check(token(private, exp=now + 10.5), jwk) == "ERR_INVALID_TOKEN"
    assert check(token(private, gen=None), jwk) == "ERR_INVALID_TOKEN"
    assert check(token(private, {"kid": "unknown"}), jwk) == "ERR_INVALID_TOKEN"
    assert check("not.a.token", jwk) == "ERR_INVALID_TOKEN"
    assert check(None, jwk) == "ERR_INVALID_TOKEN"
    # The algorithm comes from the key, never the header.
    header, payload, _ = token(private).split(".")
    forged = jwt.encode(jwt.decode(token(private), options={"verify_signature": False}), "secret" * 6, algorithm="HS256",
                        headers={"kid": "k1", "typ": "at+jwt"})
    assert check(forged, jwk) == "ERR_INVALID_TOKEN"
    assert check(f"{header}.{payload}.", jwk) == "ERR_INVALID_TOKEN"


def test_cache_is_keyed_by_the_whole_string(signing: tuple[Ed25519PrivateKey, dict[str, Any]]) -> None:
    private, jwk = signing
    cache = VerifiedTokenCache(10)
    good = token(private)
    assert check(good, jwk, cache) == "accept"
    assert check(good, jwk, cache) == "accept"
    # Same jti, another signature: a miss, refused on its own merits.
    other = Ed25519PrivateKey.generate()
    assert check(token(other), jwk, cache) == "ERR_INVALID_TOKEN"
    # A non-canonical spelling of the same signature never reaches the cache.
    last = good[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    respelled = good[:-1] + alphabet[alphabet.index(last) + 1]
    assert check(respelled, jwk, cache) == "ERR_INVALID_TOKEN"
    # A hit still checks exp.
    assert check(good, jwk, cache, now=int(time.time()) + 700) == "ERR_TOKEN_EXPIRED"


def test_stale_replica_closed_and_open(signing: tuple[Ed25519PrivateKey, dict[str, Any]]) -> None:
    private, jwk = signing
    keys = to_key_map([jwk])
    clock = [10_000_000]
    options = VerifyOptions(ISSUER, AUDIENCE, 5, 900, int(time.time()), keys.get)
    for mode, expected in (("closed", "ERR_STORE_UNAVAILABLE"), ("open", "accept")):
        replica = Replica(max_staleness_ms=1000, fail_mode=mode, fail_open_max_ms=900_000, now=lambda: clock[0])
        replica.mark_current()
        clock[0] += 1500
        try:
            decision = decide(token(private), replica, options)
            assert decision.fail_open
            got = "accept"
        except RevokdError as err:
            got = err.code
            assert err.status == 503 and err.retry_after == 1
        assert got == expected
        clock[0] += 900_000  # past the token lifetime: open fails closed too
        with pytest.raises(RevokdError):
            decide(token(private), replica, options)
        clock[0] -= 901_500


def base_options(**extra: Any) -> dict[str, Any]:
    return {"issuer": ISSUER, "audience": AUDIENCE, "jwks_uri": "https://auth.example.com/jwks",
            "stream_url": "https://auth.example.com/stream", "client_id": "c", "client_secret": "s",
            "max_staleness_ms": 2000, **extra}


def test_options() -> None:
    Verifier(**base_options()).close()
    Verifier(**base_options(jwks_uri="http://127.0.0.1:9/jwks", stream_url="http://localhost:9/s")).close()
    with pytest.raises(TypeError, match="https"):
        Verifier(**base_options(stream_url="http://auth.example.com/stream"))
    Verifier(**base_options(stream_url="http://auth.example.com/stream", allow_insecure_http=True)).close()
    with pytest.raises(TypeError, match="max_staleness_ms"):
        Verifier(**base_options(max_staleness_ms=5))
    with pytest.raises(TypeError, match="fail_mode"):
        Verifier(**base_options(fail_mode="maybe"))
    with pytest.raises(TypeError, match="credentials"):
        Verifier(**base_options(jwks_uri="https://u:p@auth.example.com/jwks"))


def test_verify_before_start_and_after_close_is_503() -> None:
    verifier = Verifier(**base_options())
    with pytest.raises(RevokdError) as before:
        verifier.verify("x")
    assert before.value.status == 503
    verifier.close()
    with pytest.raises(RevokdError) as after:
        verifier.verify("x")
    assert after.value.code == "ERR_STORE_UNAVAILABLE" and after.value.retry_after == 1


def test_start_refused_credentials_and_timeout_close_promptly() -> None:
    import threading

    verifier = Verifier(**base_options(jwks_uri="http://127.0.0.1:9/jwks", stream_url="http://127.0.0.1:9/s",
                                       start_timeout_ms=600))
    began = time.monotonic()
    with pytest.raises(Exception, match="not loaded within 600 ms"):
        verifier.start()
    assert time.monotonic() - began < 3
    assert not any(t.name == "revokd-verifier" for t in threading.enumerate())


def test_bearer_core() -> None:
    def verify(tok: str) -> dict[str, Any]:
        if tok == "good":
            return {"sub": "alice", "scope": "orders:read"}
        raise RevokdError("ERR_TOKEN_REVOKED", "access token revoked (session)")

    missing = authenticate(verify, None)
    assert missing.status == 401 and missing.headers["www-authenticate"] == 'Bearer realm="api"'
    basic = authenticate(verify, "Basic dXNlcjpwYXNz")
    assert basic.status == 400 and 'error="invalid_request"' in basic.headers["www-authenticate"]
    revoked = authenticate(verify, "Bearer bad")
    assert revoked.status == 401 and revoked.body["code"] == "ERR_TOKEN_REVOKED"
    assert revoked.headers["www-authenticate"].startswith('Bearer realm="api", error="invalid_token"')
    assert authenticate(verify, "Bearer good", normalise_scopes("orders:read")).claims == {"sub": "alice", "scope": "orders:read"}
    forbidden = authenticate(verify, "Bearer good", normalise_scopes(["orders:read", "orders:write"]))
    assert forbidden.status == 403
    challenge = 'Bearer realm="api", error="insufficient_scope", scope="orders:read orders:write"'
    assert forbidden.headers["www-authenticate"] == challenge

    def unavailable(tok: str) -> dict[str, Any]:
        raise RevokdError("ERR_STORE_UNAVAILABLE", "not current", retry_after=1)

    stale = authenticate(unavailable, "Bearer good")
    assert stale.status == 503 and stale.headers["retry-after"] == "1" and "www-authenticate" not in stale.headers
