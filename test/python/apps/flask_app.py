"""Flask with the decorator (one Verifier, fail mode closed), served by Werkzeug's threaded server."""

from __future__ import annotations

from typing import Any

from common import PORT, options
from flask import Flask, g

from revokd_verifier import Verifier
from revokd_verifier.flask import require_token

verifier = Verifier(**options("closed"))
verifier.start()
app = Flask(__name__)


@app.get("/whoami")
@require_token(verifier)
def whoami() -> dict[str, Any]:
    return {"sub": g.revokd_claims["sub"], "jti": g.revokd_claims["jti"]}


@app.get("/orders")
@require_token(verifier, scopes=["orders:read"])
def orders() -> dict[str, Any]:
    return {"sub": g.revokd_claims["sub"]}


@app.get("/status")
def status() -> dict[str, Any]:
    return verifier.status()


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=PORT, threaded=True, use_reloader=False)
