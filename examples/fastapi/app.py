"""A small FastAPI resource server protected by revokd access tokens, verified in process by
revokd-verifier (see README.md):

    GET  /orders    any valid access token          -> 200 {user, orders}
    POST /orders    a token with scope orders:write -> 201 {id, by, item}   (without it: 403 insufficient_scope)
    GET  /healthz   no token                        -> 200 / 503 with the verifier's status

A revoked token is refused (401) as soon as revokd's push stream delivers the revocation: no call to
revokd per request. Run it beside a revokd (REVOKD_URL, default http://127.0.0.1:8080) with a client
allowed to read the stream:

    REVOKD_CLIENT_ID=... REVOKD_CLIENT_SECRET=... python examples/fastapi/app.py
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from revokd_verifier import AsyncVerifier
from revokd_verifier.fastapi import RequireToken


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if default is not None:
        return default
    sys.exit(f"{name} is required (see examples/fastapi/README.md)")


revokd = env("REVOKD_URL", "http://127.0.0.1:8080").rstrip("/")
issuer = env("REVOKD_ISSUER", revokd)
verifier = AsyncVerifier(
    issuer=issuer,
    audience=env("REVOKD_AUDIENCE", issuer),
    jwks_uri=f"{revokd}/.well-known/jwks.json",
    stream_url=f"{revokd}/api/v1/revocations/stream",
    client_id=env("REVOKD_CLIENT_ID"),
    client_secret=env("REVOKD_CLIENT_SECRET"),
    max_staleness_ms=int(env("MAX_STALENESS_MS", "2000")),
    fail_mode="closed",
)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await verifier.start()  # keys + the first proven snapshot, or it raises and the app does not start
    yield
    await verifier.close()


app = FastAPI(title="orders (revokd example)", lifespan=lifespan)
any_token = RequireToken(verifier)
# Tokens without orders:write get 403 and
# `WWW-Authenticate: Bearer realm="orders", error="insufficient_scope", scope="orders:write"`.
orders_write = RequireToken(verifier, scopes=["orders:write"], realm="orders")
orders: list[dict[str, Any]] = []


class NewOrder(BaseModel):
    item: str = "unnamed"


@app.get("/healthz")
async def healthz() -> JSONResponse:
    status = verifier.status()
    return JSONResponse({"can_decide": status["can_decide"], "stale": status["stale"]}, status_code=200 if status["can_decide"] else 503)


@app.get("/orders")
async def list_orders(claims: dict[str, Any] = Depends(any_token)) -> dict[str, Any]:
    return {"user": claims["sub"], "orders": [o for o in orders if o["by"] == claims["sub"]]}


@app.post("/orders", status_code=201)
async def create_order(order: NewOrder, claims: dict[str, Any] = Depends(orders_write)) -> dict[str, Any]:
    created = {"id": len(orders) + 1, "by": claims["sub"], "item": order.item}
    orders.append(created)
    return created


if __name__ == "__main__":
    uvicorn.run(app, host=env("HOST", "127.0.0.1"), port=int(env("PORT", "8000")), log_level="warning")
