"""The overview: control plane, worker nodes with their agents and pods, storage, registries."""

from __future__ import annotations

from collections.abc import Callable

import graphviz

from explorer.diagrams.style import EDGE_STYLE, FONT
from explorer.model import ClusterState, Component, EdgeKind

__all__ = ["POD_DETAIL_LIMIT", "Fill", "Slots", "build_overview", "drawn_in_overview"]

# Past this many pods on one node, the overview shows the node's pods as counts by health.
POD_DETAIL_LIMIT = 12

# Maps a component to (health class value, status text) for its element: real
# values for DOT/PNG, placeholders for the cached SVG layout.
Slots = Callable[[Component], tuple[str, str]]
# Maps a component to its DOT colours: by health for exports, neutral for SVG (CSS styles it).
Fill = Callable[[Component], dict[str, str]]

KIND_LABEL = {
    "apiserver": "kube-apiserver",
    "etcd": "etcd",
    "scheduler": "kube-scheduler",
    "controller-manager": "kube-controller-manager",
    "cloud-controller-manager": "cloud-controller-manager",
    "kubelet": "kubelet",
    "kube-proxy": "kube-proxy",
    "runtime": "container runtime",
    "pv": "PV",
    "pvc": "PVC",
    "storageclass": "StorageClass",
    "registry": "image registry",
}

KIND_SHAPE = {
    "etcd": "cylinder",
    "pv": "cylinder",
    "pvc": "note",
    "storageclass": "folder",
    "registry": "box3d",
    "pod": "box",
}


def _pods_by_node(state: ClusterState) -> dict[str, list[Component]]:
    pods: dict[str, list[Component]] = {}
    for c in state.components.values():
        if c.kind == "pod":
            pods.setdefault(c.parent or "", []).append(c)
    for group in pods.values():
        group.sort(key=lambda c: c.id)
    return pods


def drawn_in_overview(state: ClusterState) -> list[Component]:
    """The components the overview draws as an element of their own (README: "What the overview draws")."""
    pods = _pods_by_node(state)
    drawn = []
    for c in state.components.values():
        if c.kind != "pod" or len(pods.get(c.parent or "", ())) <= POD_DETAIL_LIMIT:
            drawn.append(c)
    return sorted(drawn, key=lambda c: c.id)


def _label(c: Component, status: str) -> str:
    if c.kind == "pod":
        title = c.name
    elif c.kind in {"pv", "pvc", "storageclass", "registry"}:
        title = f"{KIND_LABEL[c.kind]}\n{c.name}"
    else:
        title = KIND_LABEL.get(c.kind, c.kind)
    return f"{title}\n{status}"


def _add_component(graph: graphviz.Digraph, c: Component, slots: Slots, fill: Fill, width: float = 2.1) -> None:
    health_class, status = slots(c)
    lines = _label(c, status).count("\n") + 1
    colours = fill(c)
    base_style = "rounded,filled" if KIND_SHAPE.get(c.kind, "box") == "box" else "filled"
    graph.node(
        c.id,
        label=_label(c, status),
        id=c.id,
        shape=KIND_SHAPE.get(c.kind, "box"),
        style=",".join(filter(None, (base_style, colours.get("style", "")))),
        fillcolor=colours["fillcolor"],
        color=colours["color"],
        fixedsize="true",
        width=str(width),
        height=str(0.22 * lines + 0.2),
        **{"class": f"component kind-{c.kind} health-{health_class}"},
    )


def build_overview(state: ClusterState, slots: Slots, fill: Fill) -> graphviz.Digraph:
    graph = graphviz.Digraph(
        "overview",
        graph_attr={
            "rankdir": "TB",
            "fontname": FONT,
            "compound": "true",
            "newrank": "true",
            "nodesep": "0.25",
            "ranksep": "0.6",
            "id": "diagram-overview",
            "label": f"cluster {state.cluster} ({state.source})",
            "labelloc": "t",
        },
    )
    graph.attr("node", fontname=FONT, fontsize="10", penwidth="1.5")
    graph.attr("edge", fontname=FONT, fontsize="9")
    nodes = state.of_kind("node")
    pods = _pods_by_node(state)

    def draw(g: graphviz.Digraph, c: Component, width: float = 2.1) -> None:
        _add_component(g, c, slots, fill, width)

    def node_cluster(parent: graphviz.Digraph, node: Component, members: list[Component]) -> None:
        health_class, status = slots(node)
        with parent.subgraph(name=f"cluster_{node.id}") as box:
            role = node.detail.get("role", "worker")
            box.attr(
                id=node.id,
                label=f"{role} node {node.name}\n{status}",
                style="rounded,filled",
                fontname=FONT,
                fontsize="11",
                penwidth="2",
                fillcolor=fill(node)["fillcolor"],
                color=fill(node)["color"],
                **{"class": f"component kind-node health-{health_class}"},
            )
            for m in members:
                draw(box, m)
            node_pods = pods.get(node.id, [])
            runtime = f"runtime/{node.name}"
            if len(node_pods) <= POD_DETAIL_LIMIT:
                for i, p in enumerate(node_pods):
                    draw(box, p, 2.6)
                    # Invisible: stacks the pods under the runtime that runs them, three to a row.
                    above = runtime if i < 3 else node_pods[i - 3].id
                    if above in state.components:
                        box.edge(above, p.id, style="invis")
            else:
                counts: dict[str, int] = {}
                for p in node_pods:
                    counts[p.health.value] = counts.get(p.health.value, 0) + 1
                text = ", ".join(f"{n} {h}" for h, n in sorted(counts.items()))
                box.node(
                    f"pods-of/{node.name}",
                    label=f"{len(node_pods)} pods\n{text}",
                    id=f"pods-of/{node.name}",
                    shape="box3d",
                    **{"class": "pod-summary"},
                )

    control_plane_nodes = [n for n in nodes if n.detail.get("role") == "control-plane"]
    workers = [n for n in nodes if n not in control_plane_nodes]
    control_kinds = ("apiserver", "etcd", "scheduler", "controller-manager", "cloud-controller-manager")
    agents = ("kubelet", "kube-proxy", "runtime")

    with graph.subgraph(name="cluster_control_plane") as cp:
        cp.attr(id="layer-control-plane", label="Control plane", style="rounded", fontname=FONT, fontsize="13")
        hosted = {n.id for n in control_plane_nodes}
        for node in control_plane_nodes:
            members = [c for kind in control_kinds for c in state.of_kind(kind) if c.parent == node.id]
            members += [c for kind in agents for c in state.of_kind(kind) if c.parent == node.id]
            node_cluster(cp, node, members)
        for kind in control_kinds:  # managed control planes have no node of their own
            for c in state.of_kind(kind):
                if c.parent not in hosted:
                    draw(cp, c)

    with graph.subgraph(name="cluster_workers") as wk:
        wk.attr(id="layer-nodes", label="Worker nodes", style="rounded", fontname=FONT, fontsize="13")
        for node in workers:
            members = [c for kind in agents for c in state.of_kind(kind) if c.parent == node.id]
            node_cluster(wk, node, members)
        for p in pods.get("", []):  # not yet scheduled: drawn apart from every node
            draw(wk, p, 2.6)

    with graph.subgraph(name="cluster_storage") as st:
        st.attr(id="layer-storage", label="Storage", style="rounded", fontname=FONT, fontsize="13")
        for kind in ("storageclass", "pv", "pvc"):
            for c in state.of_kind(kind):
                draw(st, c)

    with graph.subgraph(name="cluster_registries") as rg:
        rg.attr(id="layer-registries", label="Image registries", style="rounded", fontname=FONT, fontsize="13")
        for c in state.of_kind("registry"):
            draw(rg, c)

    drawn = {c.id for c in drawn_in_overview(state)}
    for edge in state.edges:
        if edge.kind is EdgeKind.RUNS_ON:
            continue  # containment shows it: the pod sits inside its node's box
        source = edge.source if edge.source in drawn else None
        target = edge.target if edge.target in drawn else None
        if source is None or target is None:
            continue
        attrs = {
            "label": edge.label,
            "id": f"edge:{edge.source}>{edge.target}:{edge.kind.value}",
            "class": f"edge kind-{edge.kind.value}",
            **EDGE_STYLE[edge.kind],
        }
        if edge.kind is EdgeKind.WATCH:
            # Laid out from the apiserver down, so the control plane sits above the
            # nodes; the arrow still points at the apiserver, as the watch does.
            graph.edge(target, source, dir="back", arrowtail=attrs.pop("arrowhead"), **attrs)
        else:
            graph.edge(source, target, **attrs)
    return graph
