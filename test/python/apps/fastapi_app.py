"""FastAPI under uvicorn: the dependency on two AsyncVerifiers (fail mode closed and open), and the
Starlette/ASGI middleware on a mounted sub-app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from common import PORT, options
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from revokd_verifier import AsyncVerifier
from revokd_verifier.fastapi import RequireToken
from revokd_verifier.starlette import RevokdMiddleware

closed = AsyncVerifier(**options("closed"))
opened = AsyncVerifier(**options("open"))


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await closed.start()
    await opened.start()
    yield
    await closed.close()
    await opened.close()


app = FastAPI(lifespan=lifespan)
require_closed = RequireToken(closed)
require_open = RequireToken(opened)
require_orders = RequireToken(closed, scopes=["orders:read"])


@app.get("/closed/whoami")
async def whoami_closed(claims: dict[str, Any] = Depends(require_closed)) -> dict[str, Any]:
    return {"sub": claims["sub"], "jti": claims["jti"]}


@app.get("/open/whoami")
async def whoami_open(claims: dict[str, Any] = Depends(require_open)) -> dict[str, Any]:
    return {"sub": claims["sub"], "jti": claims["jti"]}


@app.get("/closed/orders")
async def orders(request: Request, _claims: dict[str, Any] = Depends(require_orders)) -> dict[str, Any]:
    return {"sub": request.state.revokd_claims["sub"], "scope": request.state.revokd_claims["scope"]}


@app.get("/status")
async def status() -> dict[str, Any]:
    return {"closed": closed.status(), "open": opened.status()}


async def asgi_whoami(request: Request) -> JSONResponse:
    claims = request.state.revokd_claims
    return JSONResponse({"sub": claims["sub"], "jti": claims["jti"]})


app.mount("/asgi", Starlette(routes=[Route("/whoami", asgi_whoami)], middleware=[Middleware(RevokdMiddleware, verifier=closed)]))

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
