"""Static files from the explorer's own process, with a 404 (never a 500) for a path that tries to leave /static/."""

from __future__ import annotations

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponseNotFound
from django.http.response import HttpResponseBase

__all__ = ["StaticFilesHandler"]


class StaticFilesHandler(ASGIStaticFilesHandler):
    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        try:
            response = await super().get_response_async(request)
        except (SuspiciousOperation, ValueError, OSError):
            # `/static/%2e%2e/...` (SuspiciousFileOperation), a NUL byte (ValueError), a name too long (OSError).
            response = HttpResponseNotFound("Not found", content_type="text/plain; charset=utf-8")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
