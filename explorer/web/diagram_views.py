"""Pages for the architecture views and the component detail panel (drill-down).

`/view/<view>/` is one page per diagram view (`overview`, `control-plane`,
`nodes/<node-name>`, `storage`, `network`), with breadcrumbs, a legend and export links;
`?component=<id>` opens that component's panel, so a link or a reload
reopens exactly what was on screen. `/component/<id>/` is the panel itself:
an htmx partial when htmx asks, a page of its own otherwise.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from explorer.diagrams import UnknownView
from explorer.diagrams.legend import legend_svg
from explorer.diagrams.overview import group_of
from explorer.diagrams.style import EDGE_STYLE, HEALTH_GLYPH, UNDRAWN_EDGES, status_text
from explorer.model import ClusterState, Component, EdgeKind, Health
from explorer.model.ids import node_of
from explorer.model.kinds import kind_of
from explorer.model.scheduling import panel_table
from explorer.web.current import current_state, inline_svg, renderer
from explorer.web.htmx import HtmxHttpRequest
from explorer.web.language import diagram_language
from explorer.web.params import component_param

__all__ = ["component_panel", "node_jump", "view_page"]

VIEW_TITLES = {
    "overview": _("Overview"),
    "control-plane": _("Control plane"),
    "storage": _("Storage"),
    "network": _("Network"),
}
# A node group's panel lists this many nodes (unhealthy first), then says how many more.
GROUP_PANEL_NODES = 200


def _view_title(view: str) -> str:
    if view.startswith("nodes/"):
        return gettext("Node %(name)s") % {"name": view.split("/", 1)[1]}
    return str(VIEW_TITLES.get(view, view))


def _breadcrumbs(view: str) -> list[dict[str, str]]:
    crumbs = [{"title": str(VIEW_TITLES["overview"]), "url": reverse("view", args=["overview"])}]
    if view != "overview":
        crumbs.append({"title": _view_title(view), "url": reverse("view", args=[view])})
    return crumbs


def _home_view(c: Component) -> str:
    """Which view a component's panel is most at home in (the registry says), for its breadcrumbs and link."""
    home = kind_of(c.kind).home
    if home == "node" and c.kind == "node":
        return f"nodes/{c.name}"
    if home == "node":
        return f"nodes/{node_of(c.parent)}" if c.parent else "overview"
    return home


# The edges the legend names with their port: the apiserver calling kubelets, etcd's peers.
EDGE_PORT = {EdgeKind.HTTPS: ":10250", EdgeKind.PEER: ":2380"}


def _legend() -> dict[str, Any]:
    healths = [{"value": h.value, "glyph": HEALTH_GLYPH[h]} for h in Health]
    edges = []
    dashes = {"solid": "", "bold": "", "dashed": "6 3", "dotted": "1.5 3"}
    for kind, style in EDGE_STYLE.items():
        if kind in UNDRAWN_EDGES:
            continue
        edges.append(
            {
                "kind": kind.value,
                "colour": style["color"],
                "dash": dashes.get(style["style"], ""),
                "width": 3 if style["style"] == "bold" else 1.5,
                "head": style["arrowhead"],
                "port": EDGE_PORT.get(kind, ""),
            }
        )
    return {"healths": healths, "edges": edges, "kinds": legend_svg(diagram_language())}


def _group_context(state: ClusterState, group_id: str) -> dict[str, Any]:
    """A group of nodes a big cluster's overview or network view draws as one box: its nodes, unhealthy first."""
    _, _, rest = group_id.partition("/")
    zone, _, pool = rest.partition("/")
    # The network view groups every node (its kube-proxy runs on control-plane nodes too); the
    # overview groups workers only, whose pool is never a control-plane node's role.
    members = [n for n in state.components.values() if n.kind == "node" and group_of(n) == (zone, pool)]
    if not members:
        return {"missing": group_id}
    members.sort(key=lambda n: (n.health is Health.OK, n.name))
    shown = [{"name": n.name, "health": n.health.value, "status": status_text(n.status, n.health)} for n in members]
    return {
        "group": group_id,
        "zone": zone,
        "pool": pool,
        "nodes": shown[:GROUP_PANEL_NODES],
        "more": max(0, len(shown) - GROUP_PANEL_NODES),
        "count": len(shown),
        "home_view": "overview",
    }


# A slice holds at most 100 endpoints (maxEndpointsPerSlice); a recording may claim more.
MAX_ENDPOINT_ROWS = 100


def _panel_context(state: ClusterState, component_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    if component_id.startswith("node-group/"):
        return _group_context(state, component_id)
    c = state.components.get(component_id)
    if c is None:
        return {"missing": component_id}
    # A slice's endpoints read as a table (pod, address, node, ready), not as one long JSON field.
    endpoints = _endpoint_rows(c.detail.get("endpoints")) if c.kind == "endpointslice" else None
    hidden = ("why", "scheduling", "endpoints") if endpoints is not None else ("why", "scheduling")
    fields = [(key, _field_text(value)) for key, value in sorted(c.detail.items()) if key not in hidden]
    parent = state.components.get(c.parent) if c.parent else None
    return {
        "component": c,
        "kind_name": kind_of(c.kind).api_name or c.kind,
        "status": status_text(c.status, c.health),
        "why": c.detail.get("why") or "",
        "scheduling": panel_table(c.detail.get("scheduling")),
        "endpoints": endpoints,
        "fields": fields,
        "parent": parent,
        "home_view": _home_view(c),
        "home_title": _view_title(_home_view(c)),
        "events": events,
    }


def _endpoint_rows(endpoints: Any) -> list[dict[str, Any]] | None:
    """An EndpointSlice's endpoints for the panel's table; None when the detail is not a list of them."""
    if not isinstance(endpoints, list):
        return None
    rows = []
    for e in endpoints[:MAX_ENDPOINT_ROWS]:
        if not isinstance(e, dict):
            continue
        addresses = e.get("addresses")
        rows.append(
            {
                "pod": str(e.get("pod") or ""),
                "addresses": ", ".join(str(a) for a in addresses) if isinstance(addresses, list) else "",
                "node": str(e.get("node") or ""),
                "ready": e.get("ready") is True,
                "terminating": e.get("terminating") is True,
            }
        )
    return rows


def _field_text(value: Any) -> str:
    if isinstance(value, str):
        return value or "—"
    if value is None:
        return "—"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) or "—"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@ensure_csrf_cookie
@require_GET
async def view_page(request: HttpRequest, view: str) -> HttpResponse:
    _, state, runtime = await current_state()
    try:
        svg = await asyncio.to_thread(renderer.svg, state, view, diagram_language())
    except UnknownView as error:
        return render(request, "web/view_missing.html", {"error": str(error)}, status=404)
    context: dict[str, Any] = {
        "view": view,
        "title": _view_title(view),
        "breadcrumbs": _breadcrumbs(view),
        "svg": inline_svg(svg),
        "state": state,
        "legend": _legend(),
        "source_error": runtime.error,
        "nodes": [c.name for c in state.of_kind("node")][:500],
        "views": list(VIEW_TITLES.items()),
    }
    selected = component_param(request)
    if selected:
        context["panel"] = _panel_context(state, selected, await runtime.recent_events(selected))
    return render(request, "web/view.html", context)


@require_GET
async def component_panel(request: HtmxHttpRequest, component_id: str) -> HttpResponse:
    _, state, runtime = await current_state()
    panel = _panel_context(state, component_id, await runtime.recent_events(component_id))
    status = 404 if "missing" in panel else 200
    if request.htmx:
        return render(request, "web/_component_panel.html", {"panel": panel}, status=status)
    view = panel.get("home_view", "overview")
    context = {"panel": panel, "breadcrumbs": _breadcrumbs(view), "title": component_id, "view": view}
    return render(request, "web/component.html", context, status=status)


@require_GET
async def node_jump(request: HttpRequest) -> HttpResponse:
    """The page's "Node" box: a plain GET form, so it works without JavaScript."""
    name = request.GET.get("node", "").strip()
    if not name or "/" in name:
        return render(request, "web/view_missing.html", {"error": "name a node, such as worker-1"}, status=404)
    return redirect("view", view=f"nodes/{name}")
