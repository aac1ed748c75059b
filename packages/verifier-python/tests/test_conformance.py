"""Every stream conformance vector (conformance/stream/*.json, docs/stream-protocol.md §11), stepped event by
event on the vector's clock through the protocol state machine, the replica and the decision — the same
objects ``Verifier`` wires to the network. Mirrors test/verifier/stream-conformance.test.ts.

The vectors are found through ``REVOKD_CONFORMANCE_DIR``, or at ``../../conformance/stream`` from this package.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from revokd_verifier.consumer import StreamConsumer, StreamHaltedError, StreamTamperedError
from revokd_verifier.errors import RevokdError
from revokd_verifier.keys import to_key_map
from revokd_verifier.sse import SseEvent
from revokd_verifier.state import Replica
from revokd_verifier.tokens import VerifyOptions, decide


def vector_dir() -> Path:
    env = os.environ.get("REVOKD_CONFORMANCE_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "conformance" / "stream"


VECTORS = sorted(vector_dir().glob("*.json"))


def test_there_are_vectors() -> None:
    assert len(VECTORS) >= 13, f"no conformance vectors found in {vector_dir()} (set REVOKD_CONFORMANCE_DIR)"


def decision_of(err: RevokdError) -> str:
    if err.code == "ERR_TOKEN_REVOKED":
        return "revoked"
    if err.code == "ERR_STORE_UNAVAILABLE":
        return "unavailable"
    return "invalid"


def error_of(err: Exception) -> str:
    if isinstance(err, StreamTamperedError):
        return "tampered"
    if isinstance(err, StreamHaltedError):
        return "halted"
    return "protocol"


async def run(vector: dict[str, Any]) -> None:
    now_ms = 0
    consumer_options = vector["consumer"]
    replica = Replica(max_staleness_ms=consumer_options["max_staleness_ms"], fail_mode=consumer_options["fail_mode"],
                      fail_open_max_ms=consumer_options["max_token_lifetime_seconds"] * 1000, now=lambda: now_ms)
    keys = to_key_map(vector["jwks"]["keys"])
    consumer = StreamConsumer(replica, consumer_options["issuer"], keys.get)
    halted = False
    for index, step in enumerate(vector["steps"]):
        where = f"{vector['name']}, step {index}"
        if "connect" in step:
            assert not halted, f"{where}: a halted consumer never connects again"
            assert consumer.position == step["connect"]["expect_last_event_id"], f"{where}: Last-Event-ID"
            header = step["connect"]["protocol_header"]
            consumer.connected(None if header is None else int(header))
            continue
        now_ms = step["now_ms"]
        if "receive" in step:
            if halted:
                continue
            received = step["receive"]
            raised: str | None = None
            try:
                await consumer.receive(SseEvent(received["event"], received["data"], received["id"]))
            except Exception as err:  # what the driver does on each (driver.py)
                raised = error_of(err)
                if raised == "tampered":
                    consumer.resync()
                if raised == "halted":
                    replica.halt(err)
                    halted = True
            assert raised == step.get("expect_error"), f"{where}: {received['event']} event"
            continue
        check = step["check"]
        options = VerifyOptions(consumer_options["issuer"], consumer_options["audience"],
                                consumer_options["clock_tolerance_seconds"], consumer_options["max_token_lifetime_seconds"],
                                now_ms // 1000, keys.get)
        try:
            decide(vector["tokens"][check["token"]], replica, options)
            got = "accept"
        except RevokdError as err:
            got = decision_of(err)
        assert got == check["expect"], f"{where}: token {check['token']}"


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector(path: Path) -> None:
    vector = json.loads(path.read_text("utf-8"))
    assert vector["protocol"] == 2
    asyncio.run(run(vector))
