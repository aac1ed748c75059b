"""The transport against a fake revokd (tests/fake_revokd.py): Last-Event-ID resume, tampering resynchronised
without an id, refused credentials failing start at once, halting without reconnecting, the idle timeout,
quick reconnects after a healthy stream is cut then growing delays, and close() leaving no thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

import pytest

from revokd_verifier import RevokdError, Verifier, VerifierStartError
from revokd_verifier._backoff import QUICK_ATTEMPTS

from .fake_revokd import AUDIENCE, ISSUER, FakeRevokd


@pytest.fixture()
def fake() -> Iterator[FakeRevokd]:
    server = FakeRevokd()
    yield server
    server.stop()


def make(fake: FakeRevokd, **extra: Any) -> Verifier:
    options: dict[str, Any] = {"max_staleness_ms": 1000, "start_timeout_ms": 5000, **extra}
    return Verifier(issuer=ISSUER, audience=AUDIENCE, jwks_uri=f"{fake.url}/jwks", stream_url=f"{fake.url}/stream",
                    client_id="rs", client_secret="s3cret", **options)


def eventually(probe: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def code_of(verifier: Verifier, token: str) -> str:
    try:
        verifier.verify(token)
        return "accept"
    except RevokdError as err:
        return err.code


def no_verifier_thread() -> bool:
    return not any(t.name == "revokd-verifier" for t in threading.enumerate())


def test_snapshot_events_resume_with_last_event_id_and_close(fake: FakeRevokd) -> None:
    fake.publish("token", jti="revoked-early-1", iss=None, expires_at=None)
    verifier = make(fake)
    verifier.start()
    try:
        assert code_of(verifier, fake.token(jti="revoked-early-1")) == "ERR_TOKEN_REVOKED"
        assert code_of(verifier, fake.token()) == "accept"
        assert fake.requests[0]["authorization"].startswith("Basic ")
        assert "last-event-id" not in fake.requests[0]
        fake.cut_after_next_event = True
        last = fake.publish("session", sid="sess-1", expires_at=None)
        eventually(lambda: len(fake.requests) == 2)
        assert fake.requests[1].get("last-event-id") == last, "resumes from the last applied id"
        assert code_of(verifier, fake.token()) == "ERR_TOKEN_REVOKED"
        # The fake counts the request before the verifier has read the response's headers: wait for them.
        eventually(lambda: verifier.status()["stream_connections"] == 2)
        eventually(lambda: not verifier.status()["stale"])
    finally:
        began = time.monotonic()
        verifier.close()
        assert time.monotonic() - began < 1.5
    assert no_verifier_thread()


def test_an_altered_event_is_tampering_stale_at_once_then_a_fresh_snapshot(fake: FakeRevokd) -> None:
    verifier = make(fake)
    verifier.start()
    try:
        fake.alter_next = True
        fake.publish("token", jti="altered-0001", iss=None, expires_at=None)
        eventually(lambda: verifier.status()["stream_proof_mismatches"] == 1)
        eventually(lambda: len(fake.requests) >= 2)
        assert "last-event-id" not in fake.requests[1], "resynchronises WITHOUT Last-Event-ID"
        eventually(lambda: not verifier.status()["stale"])
        assert code_of(verifier, fake.token(jti="altered-0001")) == "ERR_TOKEN_REVOKED"
    finally:
        verifier.close()


def test_refused_credentials_fail_start_at_once(fake: FakeRevokd) -> None:
    fake.refuse_credentials = True
    verifier = make(fake, start_timeout_ms=10_000)
    began = time.monotonic()
    with pytest.raises(VerifierStartError, match="refused the client credentials"):
        verifier.start()
    assert time.monotonic() - began < 2
    assert no_verifier_thread()


def test_an_unknown_scope_halts_in_fail_mode_open_and_never_reconnects(fake: FakeRevokd) -> None:
    verifier = make(fake, fail_mode="open")
    verifier.start()
    try:
        fake.publish("quantum", target="x")
        eventually(lambda: verifier.status()["halted"] is not None)
        assert "protocol" in str(verifier.status()["halted"])
        with pytest.raises(RevokdError) as refused:
            verifier.verify(fake.token())
        assert refused.value.status == 503 and refused.value.code == "ERR_STORE_UNAVAILABLE"
        time.sleep(0.5)
        assert len(fake.requests) == 1, "a halted verifier never reconnects"
    finally:
        verifier.close()


def test_a_silent_stream_goes_stale_and_is_reconnected_after_the_idle_timeout(fake: FakeRevokd) -> None:
    verifier = make(fake)
    verifier.start()
    try:
        fake.silent = True
        eventually(lambda: verifier.status()["stale"], 3)
        assert code_of(verifier, fake.token()) == "ERR_STORE_UNAVAILABLE"
        # No byte for max(3 s, max_staleness_ms): the connection is dropped and made again.
        eventually(lambda: len(fake.requests) >= 2, 6)
        fake.silent = False
        eventually(lambda: not verifier.status()["stale"])
        assert code_of(verifier, fake.token()) == "accept"
    finally:
        verifier.close()


def test_a_healthy_stream_cut_then_refused_quick_attempts_first_then_further_apart(fake: FakeRevokd) -> None:
    verifier = make(fake)
    verifier.start()
    try:
        eventually(lambda: not verifier.status()["stale"])
        before = len(fake.request_times)
        refusals = QUICK_ATTEMPTS + 2
        fake.refuse_next = refusals
        fake.cut_after_next_event = True
        fake.publish("token", jti="cut-after-this-1", iss=None, expires_at=None)
        eventually(lambda: len(fake.request_times) == before + refusals + 1, 20)
        eventually(lambda: not verifier.status()["stale"])
        assert code_of(verifier, fake.token(jti="cut-after-this-1")) == "ERR_TOKEN_REVOKED"
        times = fake.request_times[before:]
        gaps = [b - a for a, b in pairwise(times)]
        # Attempts 1..QUICK_ATTEMPTS follow the cut at the short delay, 503 or not; only after them does
        # the delay double (×2, ×4, ×8: the last, compared, so that scheduling delays cannot blur it).
        quick, grown = gaps[: QUICK_ATTEMPTS - 1], gaps[QUICK_ATTEMPTS + 1 :]
        assert max(quick) < min(grown), (quick, grown)
        assert gaps[-1] > gaps[QUICK_ATTEMPTS - 1], gaps
    finally:
        verifier.close()
