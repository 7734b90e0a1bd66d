"""The request type of views that answer htmx differently (django-htmx's documented pattern for type checkers)."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

__all__ = ["HtmxHttpRequest"]


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
