"""Middleware: health probes that work from anywhere, and a clear 503 when a scaled-out explorer's store is away."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, JsonResponse

from explorer.hub import StoreUnavailable

__all__ = ["HEALTH_PATHS", "AsyncMiddleware", "HealthProbeMiddleware", "StoreUnavailableMiddleware"]

log = logging.getLogger(__name__)

# Answered before anything reads the Host header (see HealthProbeMiddleware).
HEALTH_PATHS = frozenset({"/healthz"})


class AsyncMiddleware:
    """The base of the explorer's middleware: async only, as the whole stack is under daphne."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], Awaitable[HttpResponse]]):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        return await self.get_response(request)


class HealthProbeMiddleware(AsyncMiddleware):
    """Answers `/healthz` whatever the Host header says.

    A kubelet's HTTP probe sends `Host: <pod IP>:<port>`, an address no
    DJANGO_ALLOWED_HOSTS can list ahead of time, and Django answers a Host it
    does not allow with 400: the pod would never turn Ready, and its liveness
    probe would restart it over and over. It must come first in MIDDLEWARE,
    before CommonMiddleware and CSRF read the Host. The answer holds nothing a
    forged Host could abuse (no links, no redirects); every other path still
    checks the Host.
    """

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path not in HEALTH_PATHS:
            return await self.get_response(request)
        from explorer.web.views import healthz  # the views import the diagrams: not before the first probe

        try:
            return await healthz(request)
        except StoreUnavailable as error:
            return store_unavailable_response(request, error)


class StoreUnavailableMiddleware(AsyncMiddleware):
    """Turns a scaled-out explorer's unreachable state store into a clear 503, never a traceback."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, StoreUnavailable):
            return None
        return store_unavailable_response(request, exception)


def store_unavailable_response(request: HttpRequest, exception: StoreUnavailable) -> HttpResponse:
    log.warning("%s %s: %s", request.method, request.path, exception)
    message = f"{exception}. The page works again as soon as Redis is back."
    if request.path.startswith(("/api/", "/healthz")) or "html" not in request.headers.get("Accept", ""):
        return JsonResponse({"error": message}, status=503)
    return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
