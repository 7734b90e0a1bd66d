"""The node view (`nodes/<node-name>`): one node's kubelet, kube-proxy, container runtime, each pod with its
containers and their states, the volumes its pods mount, the registries it pulls from and its apiserver."""

from __future__ import annotations

from typing import Any

import graphviz

from explorer.diagrams.elements import (
    add_component,
    add_state_edges,
    invisible_edge,
    layer,
    new_graph,
    node_frame,
    node_title,
)
from explorer.diagrams.overview import group_of
from explorer.diagrams.paint import Paint, ViewPlan, component_lines, drawable
from explorer.model import ClusterState, Component, derive_edges
from explorer.model.ids import CONTROL_PLANE_KINDS, NODE_AGENT_KINDS, component_id, node_agent_id, node_id
from explorer.model.images import registry_of
from explorer.model.state import topology_key

__all__ = ["UnknownNode", "build_node", "plan_node"]


class UnknownNode(LookupError):
    """The node view names a node the cluster does not have."""


def plan_node(state: ClusterState, name: str | None) -> ViewPlan:
    node = state.components.get(node_id(name or ""))
    if node is None or node.kind != "node":
        names = sorted(c.name for c in state.components.values() if c.kind == "node")
        shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        raise UnknownNode(f"unknown node {name!r}; nodes: {shown or 'none'}")
    agents = [c for kind in NODE_AGENT_KINDS if (c := state.components.get(f"{kind}/{node.name}")) is not None]
    # A control-plane node runs its members as static pods: they belong in its picture too.
    hosted = [
        c
        for kind in CONTROL_PLANE_KINDS
        if (c := state.components.get(f"{kind}/{node.name}")) is not None and c.parent == node.id
    ]
    pods = sorted((c for c in state.components.values() if c.kind == "pod" and c.parent == node.id), key=lambda c: c.id)
    claims: dict[str, Component] = {}
    volumes: dict[str, Component] = {}
    registries: dict[str, Component] = {}
    for p in pods:
        for claim in p.detail.get("claims", ()):
            pvc = state.components.get(component_id("pvc", claim, p.namespace))
            if pvc is not None:
                claims[pvc.id] = pvc
                pv = state.components.get(component_id("pv", str(pvc.detail.get("volume"))))
                if pv is not None:
                    volumes[pv.id] = pv
        for image in p.detail.get("images", ()):
            registry = state.components.get(component_id("registry", registry_of(image)))
            if registry is not None:
                registries[registry.id] = registry
    apiservers = [c for c in state.components.values() if c.kind == "apiserver"]
    local = [a for a in apiservers if a.name == node.name]
    apiserver = local or sorted(apiservers, key=lambda c: c.id)[:1]
    hosted_ids = {c.id for c in hosted}
    apiserver = [a for a in apiserver if a.id not in hosted_ids]
    drawn = [node, *hosted, *agents, *pods, *claims.values(), *volumes.values(), *registries.values(), *apiserver]
    signature: list[Any] = [(topology_key(c), len(component_lines(c))) for c in drawn]
    facts = {"node": node, "agents": [*hosted, *agents], "pods": pods, "claims": list(claims.values())}
    facts.update(volumes=list(volumes.values()), registries=list(registries.values()), apiserver=apiserver)
    return ViewPlan(f"nodes/{node.name}", state, drawn, signature, facts)


def build_node(plan: ViewPlan, paint: Paint) -> graphviz.Digraph:
    f = plan.facts
    node: Component = f["node"]
    state = plan.state
    w = paint.words
    title = w(
        "cluster {cluster} ({source}): node {name}",
        cluster=drawable(state.cluster),
        source=drawable(state.source, 12),
        name=drawable(node.name),
    )
    graph = new_graph("node", title)
    graph.attr(rankdir="LR", ranksep="0.8")
    for a in f["apiserver"]:
        with graph.subgraph(name="cluster_control_plane") as cp:
            layer(cp, "layer-control-plane", w("Control plane"))
            add_component(cp, a, paint)
    zone, pool = group_of(node)
    with node_frame(graph, node, paint, node_title(w, node, zone, pool)) as box:
        for c in f["agents"]:
            add_component(box, c, paint, with_lines=c.kind in CONTROL_PLANE_KINDS)
        for p in f["pods"]:
            add_component(box, p, paint, with_lines=True)
            runtime = node_agent_id("runtime", node.name)
            if runtime in state.components:
                # Invisible: the runtime runs these pods, so they sit beside it.
                invisible_edge(box, paint, runtime, p.id)
    if f["claims"] or f["volumes"]:
        with graph.subgraph(name="cluster_storage") as st:
            layer(st, "layer-storage", w("Volumes mounted"))
            for c in [*f["claims"], *f["volumes"]]:
                add_component(st, c, paint, with_lines=True)
    if f["registries"]:
        with graph.subgraph(name="cluster_registries") as rg:
            layer(rg, "layer-registries", w("Image registries"))
            for c in f["registries"]:
                add_component(rg, c, paint)
    drawn = {c.id for c in plan.drawn}
    add_state_edges(graph, paint, derive_edges(plan.drawn), drawn, w)
    return graph
