"""The first picture's progress: what the page shows while the source reads a large cluster's lists."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from explorer.live.runtime import get_runtime

__all__ = ["loading_progress"]


@require_GET
async def loading_progress(request: HttpRequest) -> HttpResponse:
    """`#loading`: collections listed of how many and objects so far, polled until the picture is there."""
    runtime = await get_runtime()
    return render(request, "web/_loading.html", {"loading": runtime.loading})
