"""The operator's dashboard fragments: health per layer and the problems list, ranked on the server."""

from __future__ import annotations

import asyncio
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from explorer.diagrams.viewmodel import elements_for, find_components
from explorer.model import Health
from explorer.model.problems import LAYERS, find_problems, health_by_layer
from explorer.web.current import current_state

__all__ = ["dashboard_context", "search", "status_fragments"]

GLYPHS = {Health.OK.value: "✔", Health.WARNING.value: "▲", Health.ERROR.value: "✖", Health.UNKNOWN.value: "?"}
# Past this many, the list says how many more there are rather than growing without end.
PROBLEM_LIMIT = 50


def dashboard_context(state: Any, namespace: str | None) -> dict[str, Any]:
    found = find_problems(state, namespace=namespace or None)
    layers = health_by_layer(state)
    return {
        "problems": [
            {**p.to_dict(), "glyph": GLYPHS[p.component.health.value], "since_clock": (p.since or "")[11:19]}
            for p in found[:PROBLEM_LIMIT]
        ],
        "more_problems": max(0, len(found) - PROBLEM_LIMIT),
        "layers": [{"name": layer, "counts": layers[layer]} for layer in LAYERS],
        "namespaces": sorted({c.namespace for c in state.components.values() if c.namespace}),
        "namespace": namespace or "",
        "kinds": sorted({c.kind for c in state.components.values()}),
    }


@require_GET
async def status_fragments(request: HttpRequest) -> HttpResponse:
    """`#problems`, with `#layer-health` swapped out of band: what the page asks for after changes."""
    _, state, runtime = await current_state()
    # A source that failed to start has nothing to show: the list must not say that all is well.
    context = {**dashboard_context(state, request.GET.get("namespace")), "source_error": runtime.error}
    return render(request, "web/_dashboard_status.html", context)


# What a search may be: a name or an id, not a document.
SEARCH_CHARS = 1024


@require_GET
async def search(request: HttpRequest) -> JsonResponse:
    """`?q=` what a person typed: the best match, what else matches, and the elements that may show the best
    one (itself, the summary that counts it, its parents). The page holds only what it draws, so it asks here."""
    text = request.GET.get("q", "")
    if len(text) > SEARCH_CHARS:
        return JsonResponse({"error": f"a search is at most {SEARCH_CHARS} characters"}, status=400)
    _, state, _ = await current_state(request.GET.get("namespace") or None)
    # A scan of every component (150000 pods: a tenth of a second) stays off the event loop.
    best, suggestions = await asyncio.to_thread(find_components, state, text)
    return JsonResponse(
        {"best": best, "elements": elements_for(state, best) if best else [], "suggestions": suggestions}
    )
