"""The drawing vocabulary every view shares: a component's box, a node's frame, an edge, a summary box."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import graphviz

from explorer.diagrams.paint import Paint, ViewPlan, component_lines, css_word, dot_text, drawable
from explorer.diagrams.style import EDGE_STYLE, FONT, HEALTH_GLYPH
from explorer.model import ClusterState, Component, Edge, EdgeKind, Health

__all__ = [
    "KIND_LABEL",
    "KIND_SHAPE",
    "add_component",
    "add_edge",
    "add_state_edges",
    "add_summary",
    "counts_text",
    "graph_title",
    "invisible_edge",
    "new_graph",
    "node_frame",
    "worst",
]

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

HEALTH_ORDER = (Health.ERROR, Health.WARNING, Health.UNKNOWN, Health.OK)


def graph_title(state: ClusterState, what: str) -> str:
    """A diagram's title: the cluster's and the source's names are content, cut to fit."""
    return f"cluster {drawable(state.cluster)} ({drawable(state.source, 12)}): {what}"


def new_graph(name: str, title: str) -> graphviz.Digraph:
    graph = graphviz.Digraph(
        name,
        graph_attr={
            "rankdir": "TB",
            "fontname": FONT,
            "compound": "true",
            "newrank": "true",
            "nodesep": "0.25",
            "ranksep": "0.6",
            "id": f"diagram-{name}",
            "label": dot_text(title),
            "labelloc": "t",
            "fontsize": "16",
        },
    )
    graph.attr("node", fontname=FONT, fontsize="10", penwidth="1.5")
    graph.attr("edge", fontname=FONT, fontsize="9")
    return graph


def title_of(c: Component) -> str:
    if c.kind == "pod":
        return drawable(f"{c.namespace}/{c.name}" if c.namespace not in {None, "default"} else c.name, 36)
    if c.kind in {"pv", "pvc", "storageclass", "registry"}:
        return f"{KIND_LABEL[c.kind]}\n{drawable(c.name)}"
    if c.kind in {"apiserver", "etcd", "scheduler", "controller-manager", "cloud-controller-manager"}:
        return f"{KIND_LABEL[c.kind]}\n{drawable(c.name)}"
    return KIND_LABEL.get(c.kind) or drawable(c.kind)


def add_component(
    graph: graphviz.Digraph, c: Component, paint: Paint, width: float = 2.1, with_lines: bool = False
) -> int:
    """Draw `c` as one element (id = component id, class health-*); returns how many detail lines it got."""
    extra = len(component_lines(c)) if with_lines else 0
    lines = [title_of(c), paint.status(c.id), *(paint.line(c.id, i) for i in range(extra))]
    label = "\n".join(lines)
    colours = paint.component_colours(c.id)
    shape = KIND_SHAPE.get(c.kind, "box")
    base_style = "rounded,filled" if shape == "box" else "filled"
    graph.node(
        paint.name(c.id),
        label=dot_text(label),
        id=paint.element_id(c.id),
        shape=shape,
        style=",".join(filter(None, (base_style, colours["style"]))),
        fillcolor=colours["fillcolor"],
        color=colours["color"],
        fixedsize="true",
        width=str(width),
        height=str(0.2 * label.count("\n") + 0.42),
        **{"class": f"component kind-{css_word(c.kind)} health-{paint.health(c.id)}"},
    )
    return extra


@contextmanager
def node_frame(parent: graphviz.Digraph, node: Component, paint: Paint, title: str) -> Iterator[graphviz.Digraph]:
    """A node as a frame around its agents and pods: the frame itself is the node's element."""
    colours = paint.component_colours(node.id)
    with parent.subgraph(name=f"cluster_{paint.name(node.id)}") as box:
        box.attr(
            id=paint.element_id(node.id),
            label=dot_text(f"{drawable(title, 128)}\n{paint.status(node.id)}"),
            style="rounded,filled",
            fontname=FONT,
            fontsize="11",
            penwidth="2",
            fillcolor=colours["fillcolor"],
            color=colours["color"],
            **{"class": f"component kind-node health-{paint.health(node.id)}"},
        )
        yield box


def add_summary(
    graph: graphviz.Digraph,
    element_id: str,
    paint: Paint,
    health: Callable[[ViewPlan], Health],
    title: str,
    lines: list[Callable[[ViewPlan], str]],
    width: float = 3.2,
    kind: str = "summary",
) -> None:
    """A box that stands for many components: fixed lines of counts and names, all slots."""
    text = "\n".join([drawable(title, 60), *(paint.text(line) for line in lines)])
    colours = paint.colours(health)
    graph.node(
        paint.name(element_id),
        label=dot_text(text),
        id=paint.element_id(element_id),
        shape="box3d",
        style=",".join(filter(None, ("filled", colours["style"]))),
        fillcolor=colours["fillcolor"],
        color=colours["color"],
        fixedsize="true",
        width=str(width),
        height=str(0.2 * text.count("\n") + 0.45),
        **{"class": f"summary kind-{kind} health-{paint.health_of(lambda p: health(p).value)}"},
    )


def add_edge(
    graph: graphviz.Digraph, paint: Paint, source: str, target: str, kind: EdgeKind, label: str, **extra: str
) -> None:
    attrs = {
        **extra,
        "label": dot_text(drawable(label, 60)),
        "id": paint.element_id(f"edge:{source}>{target}:{kind.value}"),
        "class": f"edge kind-{kind.value}",
        **EDGE_STYLE[kind],
    }
    if kind is EdgeKind.WATCH:
        # Laid out from the apiserver down, so the control plane sits above the
        # nodes; the arrow still points at the apiserver, as the watch does.
        graph.edge(paint.name(target), paint.name(source), dir="back", arrowtail=attrs.pop("arrowhead"), **attrs)
    else:
        graph.edge(paint.name(source), paint.name(target), **attrs)


def invisible_edge(graph: graphviz.Digraph, paint: Paint, source: str, target: str) -> None:
    """An edge only the layout sees: it places `target` below (or beside) `source`."""
    graph.edge(paint.name(source), paint.name(target), style="invis")


def add_state_edges(graph: graphviz.Digraph, paint: Paint, edges: list[Edge], drawn: set[str]) -> None:
    for edge in edges:
        if edge.kind is EdgeKind.RUNS_ON or edge.source not in drawn or edge.target not in drawn:
            continue
        add_edge(graph, paint, edge.source, edge.target, edge.kind, edge.label)


def worst(counts: dict[Health, int]) -> Health:
    for h in HEALTH_ORDER:
        if counts.get(h):
            return h
    return Health.OK


def counts_text(noun: str, counts: dict[Health, int]) -> str:
    """`34 pods: ✔ 30 ▲ 3 ✖ 1`; glyphs so the counts read without colour."""
    total = sum(counts.values())
    order = (Health.OK, Health.WARNING, Health.ERROR, Health.UNKNOWN)
    shown = [f"{HEALTH_GLYPH[h]} {counts[h]} {h.value}" for h in order if counts.get(h)]
    return f"{total} {noun}: {' '.join(shown) if shown else 'none'}"
