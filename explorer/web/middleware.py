"""Turns a scaled-out explorer's unreachable state store into a clear 503, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, JsonResponse

from explorer.hub import StoreUnavailable

__all__ = ["StoreUnavailableMiddleware"]

log = logging.getLogger(__name__)


class StoreUnavailableMiddleware:
    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], Awaitable[HttpResponse]]):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        return await self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, StoreUnavailable):
            return None
        log.warning("%s %s: %s", request.method, request.path, exception)
        message = f"{exception}. The page works again as soon as Redis is back."
        if request.path.startswith(("/api/", "/healthz")) or "html" not in request.headers.get("Accept", ""):
            return JsonResponse({"error": message}, status=503)
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
