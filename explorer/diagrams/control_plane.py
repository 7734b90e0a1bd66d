"""The control-plane view: etcd members (leader and raft term), apiservers, scheduler and controller-manager
(leader from their leases), who talks to whom, and the node agents that watch the apiserver, as counts."""

from __future__ import annotations

from typing import Any

import graphviz

from explorer.diagrams.elements import (
    add_component,
    add_edge,
    add_state_edges,
    add_summary,
    layer,
    new_graph,
    node_frame,
)
from explorer.diagrams.overview import counts_slot, unhealthy_slots, worst_slot
from explorer.diagrams.paint import Paint, ViewPlan, component_lines, drawable
from explorer.model import ClusterState, Component, EdgeKind, derive_edges
from explorer.model.ids import CONTROL_PLANE_KINDS
from explorer.model.state import topology_key

__all__ = ["build_control_plane", "plan_control_plane"]

CLIENT_AGENTS = (("kubelet", "kubelets"), ("kube-proxy", "kube-proxies"))


def plan_control_plane(state: ClusterState, arg: str | None = None) -> ViewPlan:
    members: list[Component] = []
    drawn: list[Component] = []
    signature: list[Any] = []
    plan = ViewPlan("control-plane", state, drawn, signature, {"members": members})
    agent_kinds = {kind for kind, _ in CLIENT_AGENTS}
    for c in state.components.values():
        if c.kind in CONTROL_PLANE_KINDS:
            members.append(c)
        elif c.kind in agent_kinds:
            plan.count("agents", c.kind, c)
    hosts = {c.parent for c in members if c.parent}
    nodes = [n for n in (state.components.get(h) for h in sorted(hosts)) if n is not None and n.kind == "node"]
    drawn.extend(sorted(members + nodes, key=lambda c: c.id))
    signature.extend((topology_key(c), len(component_lines(c))) for c in drawn)
    signature.append(("agents", tuple(sorted(str(kind) for kind in plan.tally("agents").counts))))
    plan.facts["nodes"] = nodes
    return plan


def build_control_plane(plan: ViewPlan, paint: Paint) -> graphviz.Digraph:
    state = plan.state
    w = paint.words
    title = w(
        "cluster {cluster} ({source}): control plane",
        cluster=drawable(state.cluster),
        source=drawable(state.source, 12),
    )
    graph = new_graph("control-plane", title)
    graph.attr(ranksep="0.6", nodesep="0.3")
    members: list[Component] = sorted(plan.facts["members"], key=lambda c: c.id)
    nodes: list[Component] = plan.facts["nodes"]
    node_ids = {n.id for n in nodes}

    def draw(g: graphviz.Digraph, c: Component) -> None:
        add_component(g, c, paint, with_lines=True)

    for node in nodes:
        with node_frame(graph, node, paint, w("control-plane node {name}", name=drawable(node.name))) as box:
            for kind in CONTROL_PLANE_KINDS:
                for c in members:
                    if c.kind == kind and c.parent == node.id:
                        draw(box, c)
    loose = [c for c in members if c.parent not in node_ids]
    if loose:  # a managed control plane: the provider hides its machines
        with graph.subgraph(name="cluster_managed") as managed:
            layer(managed, "layer-managed", w("managed by the provider"), style="rounded,dashed")
            for c in loose:
                draw(managed, c)

    # Rows that read top-down: leaders-elected clients, then apiservers, then etcd.
    for kinds in (("scheduler", "controller-manager", "cloud-controller-manager"), ("apiserver",), ("etcd",)):
        ids = [c.id for c in members if c.kind in kinds]
        if ids:
            with graph.subgraph() as row:
                row.attr(rank="same")
                for cid in ids:
                    row.node(paint.name(cid))

    add_state_edges(graph, paint, derive_edges(plan.drawn), {c.id for c in plan.drawn}, w)
    apiservers = [c for c in members if c.kind == "apiserver"]
    agents = plan.tally("agents").counts
    with graph.subgraph(name="cluster_clients") as clients:
        layer(clients, "layer-clients", w("node agents (all nodes)"))
        for kind, plural in CLIENT_AGENTS:
            if kind not in agents:
                continue
            add_summary(
                clients,
                f"agents/{kind}",
                paint,
                worst_slot("agents", kind),
                w(plural),
                [counts_slot(w, plural, "agents", kind), *unhealthy_slots(w, ("agents",), kind, 3)],
                kind="agents",
            )
            if apiservers:
                add_edge(graph, paint, f"agents/{kind}", apiservers[0].id, EdgeKind.WATCH, w("HTTPS watch"))
            if apiservers and kind == "kubelet":
                label = w("HTTPS :10250 logs/exec/port-forward (every kubelet)")
                add_edge(graph, paint, apiservers[0].id, f"agents/{kind}", EdgeKind.HTTPS, label, reverse=False)
    return graph
