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
from collections.abc import Callable, Hashable
from operator import methodcaller
from typing import Any

import graphviz

from explorer.diagrams.elements import (
    add_component,
    add_edge,
    add_state_edges,
    add_summary,
    counts_text,
    invisible_edge,
    layer,
    new_graph,
    node_frame,
    node_title,
    text_width,
    worst,
)
from explorer.diagrams.paint import Paint, ViewPlan, dot_text, drawable
from explorer.diagrams.style import HEALTH_GLYPH, SIZE
from explorer.diagrams.words import Words
from explorer.model import ClusterState, Component, Edge, EdgeKind, Health, derive_edges
from explorer.model.ids import CONTROL_PLANE_KINDS, NODE_AGENT_KINDS, component_id, node_agent_id
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
                    g["pulls"].add(component_id("registry", host))
        if claims:
            for p in node_pods:
                for claim in p.detail.get("claims", ()):
                    pvc = component_id("pvc", claim, p.namespace)
                    if pvc in claims:
                        g["mounts"].add(pvc)
    for kind in NODE_AGENT_KINDS:
        for agent in by_kind.get(kind, []):
            node_key = group_of_node.get(agent.parent or "")
            if node_key is not None:
                count("group-agents", node_key, agent)
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


def unhealthy_lines(bad: list[Component], lines: int, words: Words) -> list[str]:
    ranked = sorted(bad, key=lambda c: (c.health is not Health.ERROR, c.id))
    named = ranked if len(ranked) <= lines else ranked[: lines - 1]
    out = [drawable(f"{HEALTH_GLYPH[c.health]} {c.kind} {c.name} {c.status}", 44) for c in named]
    if len(ranked) > len(named):
        out.append(words("… and {count} more unhealthy", count=len(ranked) - len(named)))
    elif not ranked:
        out.append(words("nothing unhealthy"))
    return out + [""] * (lines - len(out))


def counts_slot(words: Words, noun: str, tally: str, key: Hashable) -> Callable[[ViewPlan], str]:
    """A summary line of counts (`34 pods: ✔ 30 ok …`) from a tally of any later plan."""
    return lambda p: counts_text(words, noun, p.tally(tally).of(key))


def worst_slot(tally: str, key: Hashable) -> Callable[[ViewPlan], Health]:
    """A summary's health: the worst among what a tally counts under `key`."""
    return lambda p: worst(p.tally(tally).of(key))


def unhealthy_slots(
    words: Words, tallies: tuple[str, ...], key: Hashable, lines: int
) -> list[Callable[[ViewPlan], str]]:
    """`lines` summary lines naming the unhealthy members the tallies hold under `key`."""

    def line(index: int) -> Callable[[ViewPlan], str]:
        return lambda p: unhealthy_lines(
            [c for tally in tallies for c in p.tally(tally).unhealthy(key, p.state)], lines, words
        )[index]

    return [line(i) for i in range(lines)]


def _reverse_in_overview(cp_names: set[str]) -> Callable[[Edge], bool | None]:
    """Which edges the overview lays out against their arrow.

    The rows read: the control plane, with its apiserver at the bottom; the worker nodes; then
    what they use beneath them (registries, storage, machines). So the workers' watches reach up
    to the apiserver (reversed, as usual) while the control plane's own members sit above the
    apiserver they watch, and etcd above the apiserver that writes to it: no line has to cross
    a box on its way.
    """

    def reverse(edge: Edge) -> bool | None:
        if edge.kind is EdgeKind.GRPC:
            return True
        if edge.kind is EdgeKind.WATCH:
            return edge.source.split("/", 1)[1] not in cp_names
        return False

    return reverse


def build_overview(plan: ViewPlan, paint: Paint) -> graphviz.Digraph:
    """Rows: the control plane beside the image registries and storage; the worker nodes; their machines."""
    state = plan.state
    facts = plan.facts
    w = paint.words
    by_kind: dict[str, list[Component]] = facts["by_kind"]
    pods_on: dict[str, list[Component]] = facts["pods_on"]
    title = w(
        "cluster {cluster} ({source}): overview", cluster=drawable(state.cluster), source=drawable(state.source, 12)
    )
    graph = new_graph("overview", title)
    graph.attr(ranksep="0.4", nodesep="0.22")
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
            w("pods"),
            [
                lambda p: counts_text(w, "pods", p.tally("pods-of").of(nid)),
                *(
                    (lambda p, i=i: unhealthy_lines(p.tally("pods-of").unhealthy(nid, p.state), 3, w)[i])
                    for i in range(3)
                ),
            ],
            width=2.9,
            kind="pods",
        )

    def node_with_members(parent: graphviz.Digraph, node: Component, kinds: tuple[str, ...]) -> None:
        with node_frame(parent, node, paint, node_title(w, node, group_of(node)[0])) as box:
            for kind in kinds:
                for c in by_kind.get(kind, []):
                    if c.parent == node.id:
                        add_component(box, c, paint)
            # Invisible: where several control-plane nodes stand side by side, each puts its
            # agents a row below etcd, three elements wide rather than six.
            if len(cp_nodes) > 1:
                for member in (f"{kind}/{node.name}" for kind in ("etcd", "scheduler", "controller-manager")):
                    for agent in (node_agent_id("kubelet", node.name), node_agent_id("kube-proxy", node.name)):
                        if member in drawn_ids and agent in drawn_ids:
                            invisible_edge(box, paint, member, agent)
            node_pods = _ordered_pods(pods_on.get(node.id, []))
            runtime = node_agent_id("runtime", node.name)
            if len(node_pods) <= POD_DETAIL_LIMIT:
                for i, p in enumerate(node_pods):
                    add_component(box, p, paint)
                    # Invisible: stacks the pods under the runtime that runs them, two to a row,
                    # so a node stays narrow and a few nodes fit a 4:3 projector side by side.
                    above = runtime if i < PODS_PER_ROW else node_pods[i - PODS_PER_ROW].id
                    if above in drawn_ids:
                        invisible_edge(box, paint, above, p.id)
                for first in range(0, len(node_pods), PODS_PER_ROW):
                    with box.subgraph() as row:
                        row.attr(rank="same")
                        for p in node_pods[first : first + PODS_PER_ROW]:
                            row.node(paint.name(p.id))
            else:
                pods_summary(box, node)
                if runtime in drawn_ids:
                    invisible_edge(box, paint, runtime, f"pods-of/{node.name}")

    with graph.subgraph(name="cluster_control_plane") as cp:
        layer(cp, "layer-control-plane", w("Control plane"))
        for node in cp_nodes:
            node_with_members(cp, node, (*CONTROL_PLANE_KINDS, *NODE_AGENT_KINDS))
        hosted = {n.id for n in cp_nodes}
        for kind in CONTROL_PLANE_KINDS:  # managed control planes have no node of their own
            for c in by_kind.get(kind, []):
                if c.parent not in hosted:
                    add_component(cp, c, paint)

    with graph.subgraph(name="cluster_workers") as wk:
        layer(wk, "layer-nodes", w("Worker nodes"))
        if not facts["grouped"]:
            for node in workers:
                node_with_members(wk, node, NODE_AGENT_KINDS)
            for p in pods_on.get("", []):  # not yet scheduled: drawn apart from every node
                add_component(wk, p, paint)
        else:
            _draw_groups(wk, graph, plan, paint)

    # Invisible: the workers hang below the whole control plane rather than beside its members.
    anchor = next(
        (node_agent_id("runtime", n.name) for n in cp_nodes if node_agent_id("runtime", n.name) in drawn_ids), None
    )
    anchor = anchor or next((c.id for c in by_kind.get("apiserver", [])), None)
    if facts["grouped"]:
        tops = [_group_id(key) for key in sorted(facts["groups"])][:GROUPS_PER_ROW]
    else:
        tops = [f"{kind}/{n.name}" for n in workers for kind in ("kubelet", "kube-proxy")]
        tops = [top for top in tops if top in drawn_ids] + [p.id for p in pods_on.get("", [])]
    for top in tops if anchor else ():
        invisible_edge(graph, paint, anchor or "", top)

    with graph.subgraph(name="cluster_storage") as st:
        layer(st, "layer-storage", w("Storage"))
        for c in by_kind.get("storageclass", []):
            add_component(st, c, paint)
        if facts["storage_detailed"]:
            # One row, claims to classes: storage is as low as the rest of what the nodes use.
            with st.subgraph() as row:
                row.attr(rank="same")
                for kind in ("pvc", "pv", "storageclass"):
                    for c in by_kind.get(kind, []):
                        row.node(paint.name(c.id))
            for kind in ("pv", "pvc"):
                for c in by_kind.get(kind, []):
                    add_component(st, c, paint)
        else:
            draw_storage_summary(st, graph, plan, paint)
            with st.subgraph() as row:
                row.attr(rank="same")
                for sc in facts["volume_classes"]:
                    row.node(paint.name(f"volumes-of/{sc}"))
                for c in by_kind.get("storageclass", []):
                    row.node(paint.name(c.id))

    with graph.subgraph(name="cluster_registries") as rg:
        layer(rg, "layer-registries", w("Image registries"))
        for c in by_kind.get("registry", []):
            add_component(rg, c, paint)

    with graph.subgraph(name="cluster_infrastructure") as infra:
        layer(infra, "layer-infrastructure", w("Infrastructure"))
        with infra.subgraph() as row:
            row.attr(rank="same")
            for zone in sorted(facts["zones"]):
                row.node(paint.name(f"zone/{zone}"))
        for zone, count in sorted(facts["zones"].items()):
            machines = w.plural("1 machine", "{count} machines", count)
            infra.node(
                paint.name(f"zone/{zone}"),
                label=dot_text(f"{drawable(zone)}\n{machines}"),
                id=paint.element_id(f"zone/{zone}"),
                shape="box",
                style="rounded,dashed",
                width=str(round(max(1.3, text_width(drawable(zone), float(SIZE["text"])) + 0.3), 2)),
                **{"class": "infrastructure kind-zone"},
            )
    # Invisible: the machines, and the registries and storage the nodes use, form one bottom row
    # beneath the lowest row of nodes, so that a line to them never has to cross another node.
    below = [f"zone/{zone}" for zone in sorted(facts["zones"])] + [c.id for c in by_kind.get("registry", [])]
    if facts["storage_detailed"]:
        below += [c.id for c in by_kind.get("pvc", [])][:1] or [c.id for c in by_kind.get("storageclass", [])][:1]
    else:
        below += [f"volumes-of/{sc}" for sc in facts["volume_classes"]]
    for bottom in _bottoms(plan):
        for target in below:
            invisible_edge(graph, paint, bottom, target)

    # A summarised node's pods still pull images through its runtime: a small cluster
    # takes every edge of the state; a grouped one only those between what it draws.
    edges = derive_edges(plan.drawn) if facts["grouped"] else state.edges
    worker_names = {n.name for n in workers}
    pulls: dict[str, str] = {}  # registry -> the first worker runtime that pulls from it
    kept = []
    for edge in edges:
        if edge.kind is EdgeKind.PULL and edge.source.split("/", 1)[1] in worker_names:
            pulls.setdefault(edge.target, edge.source)
        else:
            kept.append(edge)
    add_state_edges(graph, paint, kept, drawn_ids, w, reverse=_reverse_in_overview({n.name for n in cp_nodes}))
    # The workers' pulls as one line per registry, from the bottom of the worker layer (the
    # node view draws each runtime's own): lines from every runtime would cross the other nodes.
    tail = _bottom_of(plan, workers[len(workers) // 2]) if workers else None
    for registry, runtime in sorted(pulls.items()):
        if tail:
            add_edge(
                graph,
                paint,
                runtime,
                registry,
                EdgeKind.PULL,
                w("image pull (container runtimes)"),
                tail=tail,
                ltail="cluster_workers",
            )
    return graph


def _ordered_pods(pods: list[Component]) -> list[Component]:
    """A node's pods in the order the overview stacks them: those that mount a claim last, at the
    bottom of the node, nearest the storage they use."""
    return sorted(pods, key=lambda p: (bool(p.detail.get("claims")), p.id))


def _bottom_of(plan: ViewPlan, node: Component) -> str | None:
    """The lowest element drawn inside a node's frame."""
    node_pods = _ordered_pods(plan.facts["pods_on"].get(node.id, []))
    if len(node_pods) > POD_DETAIL_LIMIT:
        return f"pods-of/{node.name}"
    if node_pods:
        return node_pods[-1].id
    runtime = node_agent_id("runtime", node.name)
    return runtime if any(c.id == runtime for c in plan.drawn) else None


def _bottoms(plan: ViewPlan) -> list[str]:
    """The lowest elements of the worker layer: each node's lowest, or the last row of groups."""
    if plan.facts["grouped"]:
        keys = sorted(plan.facts["groups"])
        return [_group_id(key) for key in keys[(len(keys) - 1) // GROUPS_PER_ROW * GROUPS_PER_ROW :]]
    nodes = plan.facts["by_kind"].get("node", [])
    found = [_bottom_of(plan, n) for n in nodes if n.detail.get("role") != "control-plane"]
    return [b for b in found if b]


def _draw_groups(wk: graphviz.Digraph, graph: graphviz.Digraph, plan: ViewPlan, paint: Paint) -> None:
    w = paint.words
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
            w.plural(
                "{size} node · {zone} · pool {pool}",
                "{size} nodes · {zone} · pool {pool}",
                groups[key]["size"],
                size=groups[key]["size"],
                zone=drawable(key[0], 16),
                pool=drawable(key[1], 16),
            ),
            [
                counts_slot(w, "nodes", "group-nodes", key),
                counts_slot(w, "pods", "group-pods", key),
                *unhealthy_slots(w, ("group-nodes", "group-agents", "group-pods"), key, UNHEALTHY_LINES),
            ],
            width=3.6,
            kind="node-group",
        )
    # One line per kind of traffic for the whole layer of groups, not one per group: many lines
    # to one target would loop around the groups and through the boxes between. Each starts at
    # the layer's edge (ltail) and names the groups it stands for.
    if not keys:
        return
    first = _group_id(keys[0])
    last_row = keys[(len(keys) - 1) // GROUPS_PER_ROW * GROUPS_PER_ROW :]
    bottom = _group_id(last_row[len(last_row) // 2])
    if apiservers:
        add_edge(
            graph,
            paint,
            first,
            apiservers[0].id,
            EdgeKind.WATCH,
            w("HTTPS watch (kubelets, kube-proxies)"),
            ltail="cluster_workers",
        )

    pulls = sorted({r for key in keys for r in groups[key]["pulls"]})
    for registry in pulls:
        add_edge(graph, paint, first, registry, EdgeKind.PULL, w("image pull"), tail=bottom, ltail="cluster_workers")
    mounts = sorted({m for key in keys for m in groups[key]["mounts"]})
    for pvc in mounts:
        add_edge(graph, paint, first, pvc, EdgeKind.MOUNT, w("mount"), tail=bottom, ltail="cluster_workers")
    if apiservers:
        add_edge(
            graph,
            paint,
            apiservers[0].id,
            first,
            EdgeKind.HTTPS,
            w("HTTPS :10250 logs/exec/port-forward (every kubelet)"),
            lhead="cluster_workers",
            constraint="false",  # the watches already rank the workers below; this one follows
        )
    if plan.facts["pods_on"].get(""):
        add_summary(
            wk,
            "pods-unscheduled",
            paint,
            lambda p: worst(p.tally("pods-of").of("")),
            w("waiting for a node"),
            [lambda p: counts_text(w, "pods", p.tally("pods-of").of(""))],
            kind="pods",
        )


def draw_storage_summary(st: graphviz.Digraph, graph: graphviz.Digraph, plan: ViewPlan, paint: Paint) -> None:
    w = paint.words
    for sc in plan.facts["volume_classes"]:
        add_summary(
            st,
            f"volumes-of/{sc}",
            paint,
            worst_slot("volumes", sc),
            w("volumes of class {name}", name=drawable(sc, 30)),
            [
                counts_slot(w, "PVs", "pv", sc),
                counts_slot(w, "PVCs", "pvc", sc),
                *unhealthy_slots(w, ("volumes",), sc, 3),
            ],
            kind="volumes",
        )
        if component_id("storageclass", sc) in plan.state.components:
            add_edge(
                graph, paint, f"volumes-of/{sc}", component_id("storageclass", sc), EdgeKind.PROVISION, w("provision")
            )
