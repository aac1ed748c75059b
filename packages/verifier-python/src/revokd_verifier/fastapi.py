"""FastAPI: a dependency that verifies the bearer token and answers 401/403/503 as RFC 6750 says.

    from revokd_verifier import AsyncVerifier
    from revokd_verifier.fastapi import RequireToken

    verifier = AsyncVerifier(...)            # await verifier.start() in the app's lifespan
    require_orders = RequireToken(verifier, scopes=["orders:read"])

    @app.get("/orders")
    async def orders(claims: dict = Depends(require_orders)): ...

The claims are also on ``request.state.revokd_claims``. A refusal is raised as ``HTTPException`` whose
``detail`` is the service's error body ``{error, error_description, code}``, with its headers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import HTTPException, Request

from ._bearer import async_verify_of, authenticate_async, normalise_scopes
from .tokens import Claims

__all__ = ["RequireToken"]


class RequireToken:
    """A FastAPI dependency: ``Depends(RequireToken(verifier, scopes=[...]))`` gives the token's claims."""

    def __init__(self, verifier: Any, scopes: str | Iterable[str] | None = None, realm: str = "api") -> None:
        self._verify = async_verify_of(verifier)
        self._scopes = normalise_scopes(scopes)
        self._realm = realm

    async def __call__(self, request: Request) -> Claims:
        result = await authenticate_async(self._verify, request.headers.get("authorization"), self._scopes, self._realm)
        if result.claims is None:
            headers = {k: v for k, v in result.headers.items() if k != "content-type"}
            raise HTTPException(status_code=result.status, detail=result.body, headers=headers)
        request.state.revokd_claims = result.claims
        return result.claims
