"""Django in one file: the middleware (one Verifier, fail mode closed) and require_scopes on a view, served by wsgiref."""

from __future__ import annotations

import json
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIServer, make_server

import django
from common import PORT, options
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path

from revokd_verifier import Verifier

verifier = Verifier(**options("closed"))
verifier.start()

settings.configure(
    DEBUG=False, SECRET_KEY="test-only", ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__,
    MIDDLEWARE=["revokd_verifier.django.RevokdMiddleware"], REVOKD_VERIFIER=verifier, REVOKD_EXEMPT_PATHS=["/status"],
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402  (after settings)

from revokd_verifier.django import require_scopes  # noqa: E402


def whoami(request: HttpRequest) -> HttpResponse:
    claims = request.revokd_claims  # type: ignore[attr-defined]
    return HttpResponse(json.dumps({"sub": claims["sub"], "jti": claims["jti"]}), content_type="application/json")


@require_scopes("orders:read")
def orders(request: HttpRequest) -> HttpResponse:
    return HttpResponse(json.dumps({"sub": request.revokd_claims["sub"]}), content_type="application/json")  # type: ignore[attr-defined]


def status(_request: HttpRequest) -> HttpResponse:
    return HttpResponse(json.dumps(verifier.status()), content_type="application/json")


urlpatterns = [path("whoami", whoami), path("orders", orders), path("status", status)]


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


if __name__ == "__main__":
    make_server("127.0.0.1", PORT, get_wsgi_application(), server_class=ThreadingServer).serve_forever()
