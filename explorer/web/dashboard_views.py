"""The operator's dashboard fragments: health per layer and the problems list, ranked on the server."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from explorer.diagrams.viewmodel import elements_for, find_components
from explorer.model import ClusterState, Health
from explorer.model.kinds import kind_of
from explorer.model.problems import LAYERS, find_problems, health_by_layer
from explorer.web.current import current_state
from explorer.web.language import diagram_language

__all__ = ["dashboard_context", "dashboard_context_at", "search", "status_fragments"]

GLYPHS = {Health.OK.value: "✔", Health.WARNING.value: "▲", Health.ERROR.value: "✖", Health.UNKNOWN.value: "?"}
# Past this many, the list says how many more there are rather than growing without end.
PROBLEM_LIMIT = 50


def dashboard_context(state: ClusterState, namespace: str | None, language: str = "en") -> dict[str, Any]:
    """The problems, the health by layer and the timeline's choices, worked out from the whole state."""
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
        # The timeline's kind filter: the kinds there are, in the registry's order, named in the page's language.
        "kinds": [
            (kind, kind_of(kind).said(language))
            for kind in sorted({c.kind for c in state.components.values()}, key=lambda k: (kind_of(k).rank, k))
        ],
    }


# Every open dashboard asks for its problems after changes (up to twice a second), and at 150000 pods
# working them out scans every component (about a tenth of a second): one answer per state and filter,
# worked out once, off the event loop, whichever tab asks first.
CONTEXTS_KEPT = 16
_contexts: OrderedDict[tuple[int, str, str], asyncio.Task[dict[str, Any]]] = OrderedDict()


async def dashboard_context_at(seq: int, state: ClusterState, namespace: str | None) -> dict[str, Any]:
    """`dashboard_context` of the state numbered `seq`, shared by every request that asks for the same one."""
    language = diagram_language()
    key = (seq, namespace or "", language)
    task = _contexts.get(key)
    if task is None or task.get_loop() is not asyncio.get_running_loop():
        # A copy: the hub goes on changing its own state while the thread reads this one.
        task = asyncio.ensure_future(asyncio.to_thread(dashboard_context, state.copy(), namespace, language))
        _contexts[key] = task
        while len(_contexts) > CONTEXTS_KEPT:
            _contexts.popitem(last=False)
    return await asyncio.shield(task)


@require_GET
async def status_fragments(request: HttpRequest) -> HttpResponse:
    """`#problems`, with `#layer-health` swapped out of band: what the page asks for after changes."""
    seq, state, runtime = await current_state()
    # A source that failed to start has nothing to show: the list must not say that all is well.
    context = {**await dashboard_context_at(seq, state, request.GET.get("namespace")), "source_error": runtime.error}
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
