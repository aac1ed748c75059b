"""A fake revokd for the transport tests: a JWKS and a stream speaking protocol 2 with real proofs,
plus switches to refuse credentials, alter an event, cut a connection, go silent, answer 503 or send an unknown
scope; it records when each stream request arrived."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ISSUER = "https://auth.example.com"
AUDIENCE = "https://api.example.com"
GENESIS = "0" * 64


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class FakeRevokd:
    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.private.public_key()))
        self.jwk = {**jwk, "kid": "k1", "alg": "EdDSA", "use": "sig"}
        self.lock = threading.Lock()
        self.records: list[str] = []  # each revocation's exact data text; its id is "c<n>" (n = index + 1)
        self.chains: list[str] = [GENESIS]
        self.requests: list[dict[str, str]] = []
        self.request_times: list[float] = []  # time.monotonic() of each stream request, in order
        self.refuse_next = 0  # stream requests still to answer with 503
        self.refuse_credentials = False
        self.alter_next = False
        self.cut_after_next_event = False
        self.silent = False
        self.stopping = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/jwks":
                    body = json.dumps({"keys": [fake.jwk]}).encode()
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                fake.requests.append({k.lower(): v for k, v in self.headers.items()})
                fake.request_times.append(time.monotonic())
                if fake.refuse_next > 0:
                    fake.refuse_next -= 1
                    self.send_response(503)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                if fake.refuse_credentials:
                    self.send_response(401)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("revokd-stream-protocol", "2")
                self.end_headers()
                try:
                    fake.serve(self, self.headers.get("last-event-id"))
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.stopping = True
        self.server.shutdown()
        self.server.server_close()

    def publish(self, scope: str, **fields: Any) -> str:
        meta = {"seq": len(self.records) + 1, "initiator": "admin", "reason": "admin", "created_at": int(time.time() * 1000)}
        data = json.dumps({**meta, "scope": scope, **fields}, separators=(",", ":"))
        with self.lock:
            self.records.append(data)
            self.chains.append(hashlib.sha256(bytes.fromhex(self.chains[-1]) + data.encode()).hexdigest())
        return f"c{len(self.records)}"

    def proof(self, payload: dict[str, Any]) -> str:
        head = b64(json.dumps({"alg": "EdDSA", "kid": "k1", "typ": "revokd-stream-proof+jws"}).encode())
        body = b64(json.dumps({"v": 2, "iss": ISSUER, **payload}).encode())
        return f"{head}.{body}.{b64(self.private.sign(f'{head}.{body}'.encode()))}"

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 600,
                   "jti": f"jti-{time.time_ns()}", "sid": "sess-1", "client_id": "web", "scope": "", "gen": 0, "ugen": 0,
                   "cgen": 0, **claims}
        return jwt.encode(payload, self.private, algorithm="EdDSA", headers={"kid": "k1", "typ": "at+jwt"})

    def serve(self, handler: BaseHTTPRequestHandler, last_event_id: str | None) -> None:
        def send(text: str) -> None:
            handler.wfile.write(text.encode())
            handler.wfile.flush()

        with self.lock:
            known = last_event_id is not None and last_event_id.startswith("c") and last_event_id[1:].isdigit() \
                and 0 < int(last_event_id[1:]) <= len(self.records)
            sent = int(last_event_id[1:]) if known and last_event_id is not None else len(self.records)
            records = list(self.records)
        if not known:
            generations = {"global": 0, "users": [], "clients": []}
            part0 = json.dumps({"part": 0, "final": False, "protocol": 2, "generations": generations,
                                "clock_tolerance_seconds": 5, "access_ttl_seconds": 900,
                                "revocations": [json.loads(r) for r in records]})
            digest = hashlib.sha256(part0.encode() + b"\n").hexdigest()
            head, chain = f"c{sent}", self.chains[sent]
            final = json.dumps({"part": 1, "final": True, "revocations": [], "chain": chain,
                                "proof": self.proof({"head": head, "chain": chain, "at": int(time.time() * 1000),
                                                     "snapshot": {"parts": 1, "digest": digest}})})
            send(f"retry: 50\nevent: snapshot\ndata: {part0}\n\nevent: snapshot\nid: {head}\ndata: {final}\n\n")
        while not self.stopping:
            if self.silent:
                time.sleep(0.05)
                continue
            with self.lock:
                fresh = self.records[sent:]
            for data in fresh:
                sent += 1
                if self.alter_next:
                    self.alter_next = False
                    data = data.replace('"reason":"admin"', '"reason":"admim"')
                send(f"event: revocation\nid: c{sent}\ndata: {data}\n\n")
                if self.cut_after_next_event:
                    self.cut_after_next_event = False
                    return
            head, chain = f"c{sent}", self.chains[sent]
            beat = {"at": int(time.time() * 1000), "head": head, "chain": chain,
                    "proof": self.proof({"head": head, "chain": chain, "at": int(time.time() * 1000)})}
            send(f"event: heartbeat\ndata: {json.dumps(beat)}\n\n")
            time.sleep(0.1)
