"""HTTP views. Async, because the cluster state lives on the server's event loop."""

from __future__ import annotations

import asyncio
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap

from explorer.live.looplag import unless_stuck
from explorer.live.runtime import NO_CONTROLS, CommandError, Runtime, SourceError, get_runtime
from explorer.model.changes import snapshot_message
from explorer.web.commands import command_payload
from explorer.web.current import current_state, health_summary, inline_svg, renderer
from explorer.web.dashboard_views import dashboard_context_at
from explorer.web.htmx import HtmxHttpRequest
from explorer.web.language import diagram_language

SPEEDS = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0]

CONTENT_TYPES = {"svg": "image/svg+xml", "dot": "text/vnd.graphviz; charset=utf-8", "png": "image/png"}


@ensure_csrf_cookie
@require_GET
async def index(request: HttpRequest) -> HttpResponse:
    namespace = request.GET.get("namespace") or None
    seq, full_state, runtime = await current_state()
    state = full_state.only_namespace(namespace) if namespace else full_state
    svg = await asyncio.to_thread(renderer.svg, state, "overview", diagram_language())
    context = {
        "svg": inline_svg(svg),
        "state": state,
        "seq": seq,
        "sim": runtime.sim_status(),
        "speeds": SPEEDS,
        "source_error": runtime.error,
        "loading": runtime.loading,
        "summary": health_summary(state),
        **await dashboard_context_at(seq, full_state, namespace),
        "diagram_query": f"?namespace={namespace}" if namespace else "",
        "kube": await _kube_contexts(runtime),
    }
    # ?kiosk=1: a wall screen nobody touches (the diagram first, the problems beside it, no controls).
    return render(request, "web/kiosk.html" if request.GET.get("kiosk") == "1" else "web/index.html", context)


@require_GET
async def state_json(request: HttpRequest) -> JsonResponse:
    seq, state, _ = await current_state()
    body = snapshot_message(state, seq)
    del body["type"]
    return JsonResponse(body)


# 503 while the event loop falls behind, so a liveness probe notices (explorer.live.looplag); the probe
# middleware calls this very view, whatever the Host.
@unless_stuck
@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    runtime = await get_runtime()
    seq, _ = await runtime.snapshot()
    return JsonResponse({"status": "ok", "seq": seq, "source_error": runtime.error or None})


@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
async def sim_api(request: HtmxHttpRequest) -> HttpResponse:
    runtime = await get_runtime()
    payload: dict[str, Any] = {}
    status: dict[str, Any] | None
    if request.method == "POST":
        try:
            payload = command_payload(request)
            status = await runtime.command(payload)
        except CommandError as error:
            if request.htmx:
                # Only the error box changes: the controls stay as the person left them.
                return reswap(render(request, "web/index.html#sim-error", {"error": str(error)}, status=400), "none")
            return JsonResponse({"error": str(error)}, status=400)
    else:
        payload = request.GET.dict()  # an htmx refresh names what was picked, to keep it picked
        status = runtime.sim_status()
        if status is None:
            return JsonResponse({"error": NO_CONTROLS}, status=404)
    if request.htmx:
        # The controls are swapped whole: keep the node the person had picked.
        context = {
            "sim": status,
            "speeds": SPEEDS,
            "selected_node": payload.get("node"),
            "selected_component": payload.get("component"),
            "selected_deployment": payload.get("deployment"),
        }
        return render(request, "web/index.html#sim-controls", context)
    return JsonResponse(status)


async def _kube_contexts(runtime: Runtime) -> dict[str, Any] | None:
    """The kubeconfig's contexts and the one in use, when the source reads a kubeconfig."""
    contexts = await runtime.contexts()
    if contexts is None:
        return None
    return {"contexts": list(contexts.names), "current": contexts.current}


@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
async def kube_contexts(request: HtmxHttpRequest) -> HttpResponse:
    """GET the kubeconfig's contexts; POST `context` to read another one (the page's context picker)."""
    runtime = await get_runtime()
    contexts = await _kube_contexts(runtime)
    if contexts is None:
        return JsonResponse({"error": "the context picker works only on the kube source"}, status=404)
    if request.method == "GET":
        return JsonResponse(contexts)
    try:
        name = command_payload(request).get("context")
        await runtime.switch_context(name if isinstance(name, str) else "")
    except CommandError as error:
        return _context_error(request, str(error), 400)
    except SourceError as error:
        return _context_error(request, str(error), 502)
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    if request.content_type == "application/json":
        return JsonResponse(await _kube_contexts(runtime) or {})
    return HttpResponseRedirect("/")


def _context_error(request: HtmxHttpRequest, message: str, status: int) -> HttpResponse:
    if request.htmx:  # htmx swaps only successful answers: the message lands under the picker
        return HttpResponse(format_html('<p class="error">{}</p>', message))
    return JsonResponse({"error": message}, status=status)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Say plainly what a script must send, instead of Django's HTML page."""
    message = (
        f"CSRF check failed ({reason}). GET /api/sim/ first, then send the csrftoken cookie "
        "with the request and its value in the X-CSRFToken header."
    )
    return JsonResponse({"error": message}, status=403)
