"""The storage view: StorageClass -> PV <-> PVC -> pod, with binding and provisioning states.

Past `STORAGE_VIEW_LIMIT` volumes plus claims, each StorageClass shows its
volumes and claims as counts by health and names the unhealthy ones.
"""

from __future__ import annotations

from typing import Any

import graphviz

from explorer.diagrams.elements import add_component, add_state_edges, layer, new_graph
from explorer.diagrams.overview import count_volumes, draw_storage_summary
from explorer.diagrams.paint import Paint, ViewPlan, component_lines, drawable
from explorer.model import ClusterState, Component, derive_edges
from explorer.model.ids import component_id
from explorer.model.state import topology_key

__all__ = ["STORAGE_VIEW_LIMIT", "build_storage", "plan_storage"]

STORAGE_VIEW_LIMIT = 300


def plan_storage(state: ClusterState, arg: str | None = None) -> ViewPlan:
    by_kind: dict[str, list[Component]] = {"storageclass": [], "pv": [], "pvc": [], "pod": []}
    for c in state.components.values():
        if c.kind in {"storageclass", "pv", "pvc"} or (c.kind == "pod" and c.detail.get("claims")):
            by_kind[c.kind].append(c)
    for group in by_kind.values():
        group.sort(key=lambda c: c.id)
    detailed = len(by_kind["pv"]) + len(by_kind["pvc"]) <= STORAGE_VIEW_LIMIT
    claims = {c.id for c in by_kind["pvc"]}
    mounting = [
        p for p in by_kind["pod"] if any(component_id("pvc", n, p.namespace) in claims for n in p.detail["claims"])
    ]
    drawn = list(by_kind["storageclass"])
    facts: dict[str, Any] = {"by_kind": by_kind, "detailed": detailed, "pods": mounting}
    signature: list[Any] = [("detailed", detailed)]
    plan = ViewPlan("storage", state, drawn, signature, facts)
    if detailed:
        drawn += by_kind["pv"] + by_kind["pvc"] + mounting
    else:
        facts["volume_classes"] = count_volumes(plan, by_kind)
        signature.append(("classes", tuple(facts["volume_classes"])))
    signature += [(topology_key(c), len(component_lines(c))) for c in drawn]
    return plan


def build_storage(plan: ViewPlan, paint: Paint) -> graphviz.Digraph:
    state = plan.state
    by_kind: dict[str, list[Component]] = plan.facts["by_kind"]
    w = paint.words
    graph = new_graph(
        "storage",
        w("cluster {cluster} ({source}): storage", cluster=drawable(state.cluster), source=drawable(state.source, 12)),
    )
    graph.attr(rankdir="LR", ranksep="1.0")
    columns = (
        ("pods", "Pods that mount a claim", plan.facts["pods"] if plan.facts["detailed"] else []),
        ("pvcs", "PersistentVolumeClaims", by_kind["pvc"] if plan.facts["detailed"] else []),
        ("pvs", "PersistentVolumes", by_kind["pv"] if plan.facts["detailed"] else []),
        ("classes", "StorageClasses", by_kind["storageclass"]),
    )
    for name, label, members in columns:
        if not members:
            continue
        with graph.subgraph(name=f"cluster_{name}") as column:
            layer(column, f"layer-{name}", w(label))
            for c in members:
                add_component(column, c, paint, with_lines=True)
    if not plan.facts["detailed"]:
        with graph.subgraph(name="cluster_volumes") as column:
            layer(column, "layer-volumes", w("Volumes and claims"))
            draw_storage_summary(column, graph, plan, paint)
    add_state_edges(graph, paint, derive_edges(plan.drawn), {c.id for c in plan.drawn}, w)
    return graph
