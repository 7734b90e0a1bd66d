"""The language a page (and the diagrams in it) is drawn in."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import get_language

from explorer.diagrams.words import LANGUAGES

__all__ = ["diagram_language"]


def diagram_language(request: HttpRequest | None = None) -> str:
    """The active language (the switcher's cookie, else the browser's), or `?lang=` for scripts."""
    asked = (request.GET.get("lang") or "").lower() if request is not None else ""
    if asked in LANGUAGES:
        return asked
    language = (get_language() or "en").lower()
    return language if language in LANGUAGES else "en"
