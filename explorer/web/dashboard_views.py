"""The operator's dashboard fragments: health per layer and the problems list, ranked on the server."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from explorer.model import Health
from explorer.model.problems import LAYERS, find_problems, health_by_layer
from explorer.web.current import current_state

__all__ = ["dashboard_context", "status_fragments"]

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
