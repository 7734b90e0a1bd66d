"""The legend's shapes, drawn by Graphviz from the very attributes the views use, so the two always match."""

from __future__ import annotations

from functools import cache

import graphviz

from explorer.diagrams.style import FONT, KIND_SHAPE
from explorer.diagrams.words import Words, words_for

__all__ = ["build_legend", "legend_svg"]

# What the legend shows, in this order: each kind's shape, then the boxes that are not one component.
LEGEND_KINDS = (
    ("apiserver", "kube-apiserver"),
    ("etcd", "etcd"),
    ("scheduler", "kube-scheduler"),
    ("controller-manager", "kube-controller-manager"),
    ("cloud-controller-manager", "cloud-controller-manager"),
    ("kubelet", "kubelet"),
    ("kube-proxy", "kube-proxy"),
    ("runtime", "container runtime"),
    ("pod", "Pod"),
    ("pvc", "PVC"),
    ("pv", "PV"),
    ("storageclass", "StorageClass"),
    ("service", "Service"),
    ("endpointslice", "EndpointSlice"),
    ("registry", "image registry"),
)
PER_ROW = 2


def build_legend(words: Words) -> graphviz.Digraph:
    graph = graphviz.Digraph("legend", graph_attr={"rankdir": "TB", "nodesep": "0.15", "ranksep": "0.12"})
    graph.attr("node", fontname=FONT, fontsize="11", penwidth="1.5", style="filled", fillcolor="#f4f6f9")
    graph.attr("node", color="#333333", fixedsize="true", width="2.45", height="0.42")
    entries: list[tuple[str, str, dict[str, str]]] = []
    for kind, label in LEGEND_KINDS:
        looks = dict(KIND_SHAPE[kind])
        shape = looks.pop("shape")
        style = "rounded,filled" if looks.pop("rounded", "") else "filled"
        said = words(label) if label in {"container runtime", "image registry"} else label
        entries.append((f"legend-{kind}", said, {"shape": shape, "style": style, **looks}))
    entries.append(("legend-node", words("node"), {"shape": "box", "style": "rounded,filled", "penwidth": "2.5"}))
    entries.append(("legend-summary", words("many components"), {"shape": "box3d"}))
    entries.append(("legend-zone", words("machines of a zone"), {"shape": "box", "style": "rounded,dashed"}))
    for i, (node_id, label, attrs) in enumerate(entries):
        graph.node(node_id, label=label, id=node_id, **attrs)
        if i >= PER_ROW:  # rows of two
            graph.edge(entries[i - PER_ROW][0], node_id, style="invis")
    for first in range(0, len(entries), PER_ROW):
        with graph.subgraph() as row:
            row.attr(rank="same")
            for node_id, _, _ in entries[first : first + PER_ROW]:
                row.node(node_id)
    return graph


@cache
def legend_svg(language: str) -> str:
    """The legend's shapes as an inline SVG (no XML prolog), in `language`."""
    svg = build_legend(words_for(language)).pipe(format="svg", encoding="utf-8", quiet=True)
    return svg[svg.find("<svg") :]
