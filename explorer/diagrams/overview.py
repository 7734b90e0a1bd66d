"""The overview: control plane, worker nodes with their agents and pods, storage, registries, infrastructure.

Small clusters are drawn one element per component. Big ones are summarised
so the picture stays readable and Graphviz stays fast (thresholds below, and
in the README's "What the overview draws"): a node with many pods shows its
pods as counts by health; past `NODE_DETAIL_LIMIT` worker nodes, the workers
are drawn as groups (by zone and node pool) with counts by health and the
unhealthy things listed by name; past `STORAGE_DETAIL_LIMIT` volumes and
claims, storage is drawn per StorageClass as counts.
"""

from __future__ import annotations

from collections import Counter
from operator import methodcaller
from typing import Any

import graphviz

from explorer.diagrams.elements import (
    add_component,
    add_edge,
    add_state_edges,
    add_summary,
    counts_text,
    graph_title,
    invisible_edge,
    new_graph,
    node_frame,
    worst,
)
from explorer.diagrams.paint import Paint, ViewPlan, dot_text, drawable
from explorer.diagrams.style import FONT, HEALTH_GLYPH
from explorer.model import ClusterState, Component, EdgeKind, Health, derive_edges
from explorer.model.ids import CONTROL_PLANE_KINDS, NODE_AGENT_KINDS
from explorer.model.images import registry_of
from explorer.model.state import topology_key

__all__ = [
    "NODE_DETAIL_LIMIT",
    "POD_DETAIL_LIMIT",
    "STORAGE_DETAIL_LIMIT",
    "UNHEALTHY_LINES",
    "build_overview",
    "drawn_in_overview",
    "group_of",
    "plan_overview",
]

# Past this many pods on one node, the overview shows the node's pods as counts by health.
POD_DETAIL_LIMIT = 12
# Past this many worker nodes, the overview draws workers as groups (zone, node pool).
NODE_DETAIL_LIMIT = 60
# Past this many PVs plus PVCs, the overview draws storage as counts per StorageClass.
STORAGE_DETAIL_LIMIT = 60
# Pods stand in rows of this many under their node's runtime.
PODS_PER_ROW = 2
# Groups of worker nodes stand in rows of this many.
GROUPS_PER_ROW = 3
# How many unhealthy things a summary box names; the rest are counted.
UNHEALTHY_LINES = 5

ZONE_LABEL = "topology.kubernetes.io/zone"
# Managed offerings each name their node pools with their own label.
POOL_LABELS = (
    "node.kubernetes.io/pool",
    "cloud.google.com/gke-nodepool",
    "eks.amazonaws.com/nodegroup",
    "kubernetes.azure.com/agentpool",
    "agentpool",
    "karpenter.sh/nodepool",
)


def group_of(node: Component) -> tuple[str, str]:
    """(zone, pool) of a node, from its well-known labels; role stands in for a missing pool."""
    labels = node.detail.get("labels") or {}
    zone = labels.get(ZONE_LABEL) or "no zone"
    pool = next((labels[k] for k in POOL_LABELS if labels.get(k)), None) or node.detail.get("role", "worker")
    return str(zone), str(pool)


def _group_id(key: tuple[str, str]) -> str:
    return f"node-group/{key[0]}/{key[1]}"


def plan_overview(state: ClusterState, arg: str | None = None) -> ViewPlan:
    """One pass over the state: what the overview draws, its topology signature, and the counts its slots read."""
    by_kind: dict[str, list[Component]] = {}
    pods_on: dict[str, list[Component]] = {}
    for c in state.components.values():
        if c.kind == "pod":
            pods_on.setdefault(c.parent or "", []).append(c)
        else:
            by_kind.setdefault(c.kind, []).append(c)
    for group in by_kind.values():
        group.sort(key=lambda c: c.id)
    nodes = by_kind.get("node", [])
    workers = [n for n in nodes if n.detail.get("role") != "control-plane"]
    cp_nodes = {n.id for n in nodes if n.detail.get("role") == "control-plane"}
    grouped = len(workers) > NODE_DETAIL_LIMIT
    storage = by_kind.get("pv", []) + by_kind.get("pvc", [])
    storage_detailed = len(storage) <= STORAGE_DETAIL_LIMIT

    drawn: list[Component] = []
    signature: list[Any] = [("grouped", grouped, "storage", storage_detailed)]
    facts: dict[str, Any] = {"by_kind": by_kind, "pods_on": pods_on, "grouped": grouped}
    facts["storage_detailed"] = storage_detailed
    plan = ViewPlan("overview", state, drawn, signature, facts)

    for kind in CONTROL_PLANE_KINDS:
        drawn.extend(by_kind.get(kind, []))
    drawn.extend(by_kind.get("registry", []))
    drawn.extend(by_kind.get("storageclass", []))
    if storage_detailed:
        drawn.extend(storage)
    else:
        facts["volume_classes"] = count_volumes(plan, by_kind)
        signature.append(("storage-summary", tuple(facts["volume_classes"])))

    def pods_of(node_id: str) -> None:
        node_pods = sorted(pods_on.get(node_id, []), key=lambda c: c.id)
        pods_on[node_id] = node_pods
        if len(node_pods) <= POD_DETAIL_LIMIT:
            drawn.extend(node_pods)
        else:
            signature.append(("pods-of", node_id))
            plan.count_all("pods-of", node_id, node_pods)

    if not grouped:
        for n in nodes:
            drawn.append(n)
            pods_of(n.id)
        for kind in NODE_AGENT_KINDS:
            drawn.extend(by_kind.get(kind, []))
        drawn.extend(sorted(pods_on.get("", []), key=lambda c: c.id))
    else:
        drawn.extend(n for n in nodes if n.id in cp_nodes)
        for kind in NODE_AGENT_KINDS:
            drawn.extend(c for c in by_kind.get(kind, []) if c.parent in cp_nodes)
        for n in nodes:
            if n.id in cp_nodes:
                pods_of(n.id)
        groups = _count_groups(plan, workers, by_kind, pods_on, storage_detailed)
        facts["groups"] = groups
        for key, g in sorted(groups.items()):
            signature.append(("group", key, g["size"], tuple(sorted(g["pulls"])), tuple(sorted(g["mounts"]))))
        plan.count_all("pods-of", "", pods_on.get("", []))
        signature.append(("unscheduled", bool(pods_on.get(""))))

    zones = Counter(group_of(n)[0] for n in nodes)
    facts["zones"] = zones
    signature.append(("zones", tuple(sorted(zones.items()))))
    signature.extend(topology_key(c) for c in sorted(drawn, key=lambda c: c.id))
    return plan


_get_images = methodcaller("get", "images", ())


def _count_groups(
    plan: ViewPlan,
    workers: list[Component],
    by_kind: dict[str, list[Component]],
    pods_on: dict[str, list[Component]],
    storage_detailed: bool,
) -> dict[tuple[str, str], dict[str, Any]]:
    """Per group of worker nodes: its size and edges (topology), and tallies of its nodes, pods and agents."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    group_of_node: dict[str, tuple[str, str]] = {}
    registries = {c.name for c in by_kind.get("registry", [])}
    claims = {c.id for c in by_kind.get("pvc", [])} if storage_detailed else set()
    registry_cache: dict[str, str] = {}
    count = plan.count
    for n in workers:
        key = group_of(n)
        group_of_node[n.id] = key
        g = groups.setdefault(key, {"size": 0, "pulls": set(), "mounts": set()})
        g["size"] += 1
        count("group-nodes", key, n)
        node_pods = pods_on.get(n.id, ())
        plan.count_all("group-pods", key, node_pods)
        details = [p.detail for p in node_pods]
        # Distinct image lists first: thousands of pods share a handful of them.
        for images in set(map(tuple, map(_get_images, details))):
            for image in images:
                host = registry_cache.get(image)
                if host is None:
                    host = registry_cache[image] = registry_of(image)
                if host in registries:
                    g["pulls"].add(f"registry/{host}")
        if claims:
            for p in node_pods:
                for claim in p.detail.get("claims", ()):
                    pvc = f"pvc/{p.namespace}/{claim}"
                    if pvc in claims:
                        g["mounts"].add(pvc)
    for kind in NODE_AGENT_KINDS:
        for agent in by_kind.get(kind, []):
            key = group_of_node.get(agent.parent or "")
            if key is not None:
                count("group-agents", key, agent)
    return groups


def count_volumes(plan: ViewPlan, by_kind: dict[str, list[Component]]) -> list[str]:
    """Tally PVs and PVCs per StorageClass; returns the classes, sorted."""
    classes: set[str] = set()
    for kind in ("pv", "pvc"):
        for v in by_kind.get(kind, []):
            sc = str(v.detail.get("storageClass") or "no class")
            classes.add(sc)
            plan.count(kind, sc, v)
            plan.count("volumes", sc, v)
    return sorted(classes)


def drawn_in_overview(state: ClusterState) -> list[Component]:
    """The components the overview draws as an element of their own (README: "What the overview draws")."""
    return sorted(plan_overview(state).drawn, key=lambda c: c.id)


def unhealthy_lines(bad: list[Component], lines: int) -> list[str]:
    ranked = sorted(bad, key=lambda c: (c.health is not Health.ERROR, c.id))
    named = ranked if len(ranked) <= lines else ranked[: lines - 1]
    out = [drawable(f"{HEALTH_GLYPH[c.health]} {c.kind} {c.name} {c.status}", 44) for c in named]
    if len(ranked) > len(named):
        out.append(f"… and {len(ranked) - len(named)} more unhealthy")
    elif not ranked:
        out.append("nothing unhealthy")
    return out + [""] * (lines - len(out))


def build_overview(plan: ViewPlan, paint: Paint) -> graphviz.Digraph:
    state = plan.state
    facts = plan.facts
    by_kind: dict[str, list[Component]] = facts["by_kind"]
    pods_on: dict[str, list[Component]] = facts["pods_on"]
    graph = new_graph("overview", graph_title(state, "overview"))
    graph.attr(ranksep="0.45", nodesep="0.2")
    nodes = by_kind.get("node", [])
    cp_nodes = [n for n in nodes if n.detail.get("role") == "control-plane"]
    workers = [n for n in nodes if n not in cp_nodes]
    drawn_ids = {c.id for c in plan.drawn}

    def pods_summary(box: graphviz.Digraph, node: Component) -> None:
        nid = node.id
        add_summary(
            box,
            f"pods-of/{node.name}",
            paint,
            lambda p: worst(p.tally("pods-of").of(nid)),
            "pods",
            [
                lambda p: counts_text("pods", p.tally("pods-of").of(nid)),
                *((lambda p, i=i: unhealthy_lines(p.tally("pods-of").unhealthy(nid, p.state), 3)[i]) for i in range(3)),
            ],
            width=2.9,
            kind="pods",
        )

    def node_with_members(parent: graphviz.Digraph, node: Component, kinds: tuple[str, ...]) -> None:
        zone = group_of(node)[0]
        title = f"{drawable(node.detail.get('role', 'worker'), 20)} node {drawable(node.name)} · {drawable(zone, 24)}"
        with node_frame(parent, node, paint, title) as box:
            for kind in kinds:
                for c in by_kind.get(kind, []):
                    if c.parent == node.id:
                        add_component(box, c, paint)
            # Invisible: on a control-plane node the agents go a row below etcd, so the
            # node is three elements wide rather than six.
            etcd = f"etcd/{node.name}"
            if etcd in drawn_ids:
                for agent in (f"kubelet/{node.name}", f"kube-proxy/{node.name}"):
                    if agent in drawn_ids:
                        invisible_edge(box, paint, etcd, agent)
            node_pods = pods_on.get(node.id, [])
            runtime = f"runtime/{node.name}"
            if len(node_pods) <= POD_DETAIL_LIMIT:
                for i, p in enumerate(node_pods):
                    add_component(box, p, paint, 2.9)
                    # Invisible: stacks the pods under the runtime that runs them, two to a row,
                    # so a node stays narrow and a few nodes fit a 4:3 projector side by side.
                    above = runtime if i < PODS_PER_ROW else node_pods[i - PODS_PER_ROW].id
                    if above in drawn_ids:
                        invisible_edge(box, paint, above, p.id)
            else:
                pods_summary(box, node)
                if runtime in drawn_ids:
                    invisible_edge(box, paint, runtime, f"pods-of/{node.name}")

    with graph.subgraph(name="cluster_control_plane") as cp:
        cp.attr(id="layer-control-plane", label="Control plane", style="rounded", fontname=FONT, fontsize="13")
        for node in cp_nodes:
            node_with_members(cp, node, (*CONTROL_PLANE_KINDS, *NODE_AGENT_KINDS))
        hosted = {n.id for n in cp_nodes}
        for kind in CONTROL_PLANE_KINDS:  # managed control planes have no node of their own
            for c in by_kind.get(kind, []):
                if c.parent not in hosted:
                    add_component(cp, c, paint)

    with graph.subgraph(name="cluster_workers") as wk:
        wk.attr(id="layer-nodes", label="Worker nodes", style="rounded", fontname=FONT, fontsize="13")
        if not facts["grouped"]:
            for node in workers:
                node_with_members(wk, node, NODE_AGENT_KINDS)
            for p in pods_on.get("", []):  # not yet scheduled: drawn apart from every node
                add_component(wk, p, paint, 2.9)
        else:
            _draw_groups(wk, graph, plan, paint)

    # Invisible: the workers hang below the whole control plane rather than beside
    # its members, which keeps the picture about as wide as it is tall.
    anchor = next((f"runtime/{n.name}" for n in cp_nodes if f"runtime/{n.name}" in drawn_ids), None)
    anchor = anchor or next((c.id for c in by_kind.get("apiserver", [])), None)
    if anchor:
        if facts["grouped"]:
            tops = [_group_id(key) for key in sorted(facts["groups"])]
        else:
            tops = [f"{kind}/{n.name}" for n in workers for kind in ("kubelet", "kube-proxy")]
            tops += [p.id for p in pods_on.get("", [])]
        for top in tops:
            if top in drawn_ids or top.startswith("node-group/"):
                invisible_edge(graph, paint, anchor, top)

    with graph.subgraph(name="cluster_storage") as st:
        st.attr(id="layer-storage", label="Storage", style="rounded", fontname=FONT, fontsize="13")
        for c in by_kind.get("storageclass", []):
            add_component(st, c, paint)
        if facts["storage_detailed"]:
            for kind in ("pv", "pvc"):
                for c in by_kind.get(kind, []):
                    add_component(st, c, paint)
        else:
            draw_storage_summary(st, graph, plan, paint)

    with graph.subgraph(name="cluster_registries") as rg:
        rg.attr(id="layer-registries", label="Image registries", style="rounded", fontname=FONT, fontsize="13")
        for c in by_kind.get("registry", []):
            add_component(rg, c, paint)

    with graph.subgraph(name="cluster_infrastructure") as infra:
        infra.attr(id="layer-infrastructure", label="Infrastructure", style="rounded", fontname=FONT, fontsize="13")
        for zone, count in sorted(facts["zones"].items()):
            infra.node(
                paint.name(f"zone/{zone}"),
                label=dot_text(f"{drawable(zone)}\n{count} machine{'s' if count != 1 else ''}"),
                id=paint.element_id(f"zone/{zone}"),
                shape="box",
                style="rounded,dashed",
                **{"class": "infrastructure"},
            )
    # Keep the infrastructure beneath the storage and registries it carries.
    anchors = [c.id for c in by_kind.get("registry", [])] or [c.id for c in by_kind.get("storageclass", [])]
    for zone in sorted(facts["zones"]):
        if anchors:
            invisible_edge(graph, paint, anchors[0], f"zone/{zone}")

    # A summarised node's pods still pull images through its runtime: a small cluster
    # takes every edge of the state; a grouped one only those between what it draws.
    edges = derive_edges(plan.drawn) if facts["grouped"] else state.edges
    add_state_edges(graph, paint, edges, drawn_ids)
    return graph


def _draw_groups(wk: graphviz.Digraph, graph: graphviz.Digraph, plan: ViewPlan, paint: Paint) -> None:
    groups: dict[tuple[str, str], dict[str, Any]] = plan.facts["groups"]
    apiservers = plan.facts["by_kind"].get("apiserver", [])
    keys = sorted(groups)
    for i, key in enumerate(keys):
        gid = _group_id(key)
        if i >= GROUPS_PER_ROW:  # Invisible: groups wrap into rows, for a 4:3 screen.
            invisible_edge(graph, paint, _group_id(keys[i - GROUPS_PER_ROW]), gid)

        def health(p: ViewPlan, key: tuple[str, str] = key) -> Health:
            nodes, pods = p.tally("group-nodes").of(key), p.tally("group-pods").of(key)
            if nodes.get(Health.ERROR):
                return Health.ERROR
            unhealthy = sum(nodes.values()) + sum(pods.values()) - nodes[Health.OK] - pods[Health.OK]
            return Health.WARNING if unhealthy else Health.OK

        add_summary(
            wk,
            gid,
            paint,
            health,
            f"{groups[key]['size']} nodes · {drawable(key[0], 16)} · pool {drawable(key[1], 16)}",
            [
                lambda p, key=key: counts_text("nodes", p.tally("group-nodes").of(key)),
                lambda p, key=key: counts_text("pods", p.tally("group-pods").of(key)),
                *(
                    (
                        lambda p, key=key, i=i: unhealthy_lines(
                            [
                                c
                                for tally in ("group-nodes", "group-agents", "group-pods")
                                for c in p.tally(tally).unhealthy(key, p.state)
                            ],
                            UNHEALTHY_LINES,
                        )[i]
                    )
                    for i in range(UNHEALTHY_LINES)
                ),
            ],
            width=3.6,
            kind="node-group",
        )
        if apiservers:
            # Not a layout constraint: the groups already hang below the control plane.
            add_edge(
                graph,
                paint,
                gid,
                apiservers[0].id,
                EdgeKind.WATCH,
                "HTTPS watch\n(kubelets, kube-proxies)",
                constraint="false",
            )
        for registry in sorted(groups[key]["pulls"]):
            add_edge(graph, paint, gid, registry, EdgeKind.PULL, "image pull")
        for pvc in sorted(groups[key]["mounts"]):
            add_edge(graph, paint, gid, pvc, EdgeKind.MOUNT, "mount")
        invisible_edge(graph, paint, gid, f"zone/{key[0]}")
    if plan.facts["pods_on"].get(""):
        add_summary(
            wk,
            "pods-unscheduled",
            paint,
            lambda p: worst(p.tally("pods-of").of("")),
            "waiting for a node",
            [lambda p: counts_text("pods", p.tally("pods-of").of(""))],
            kind="pods",
        )


def draw_storage_summary(st: graphviz.Digraph, graph: graphviz.Digraph, plan: ViewPlan, paint: Paint) -> None:
    for sc in plan.facts["volume_classes"]:
        add_summary(
            st,
            f"volumes-of/{sc}",
            paint,
            lambda p, sc=sc: worst(p.tally("volumes").of(sc)),
            f"volumes of class {drawable(sc, 30)}",
            [
                lambda p, sc=sc: counts_text("PVs", p.tally("pv").of(sc)),
                lambda p, sc=sc: counts_text("PVCs", p.tally("pvc").of(sc)),
                *(
                    (lambda p, sc=sc, i=i: unhealthy_lines(p.tally("volumes").unhealthy(sc, p.state), 3)[i])
                    for i in range(3)
                ),
            ],
            kind="volumes",
        )
        if f"storageclass/{sc}" in plan.state.components:
            add_edge(graph, paint, f"volumes-of/{sc}", f"storageclass/{sc}", EdgeKind.PROVISION, "provision")
