"""The network view: Services, their EndpointSlices and the pods behind them, on their nodes with each kube-proxy.

Columns, left to right: the Services (CoreDNS's `kube-dns` among them), their
EndpointSlices, then the nodes, each with its kube-proxy and the pods that are
some Service's endpoints. A Service routes to its ready endpoints (an arrow per
pod, drawn from the slice that lists it); a kube-proxy programs the rules of
every Service (one arrow per node back to the Services, labelled `stale rules`
while it lags).

Past `NETWORK_NODE_LIMIT` nodes (or `NETWORK_POD_LIMIT` endpoint pods, or
`NETWORK_SLICE_LIMIT` slices), the view summarises as the overview does: each
Service's slices and endpoint pods become one box of counts, and the nodes
become groups by zone and pool counting their nodes, kube-proxies and endpoint
pods by health and naming the unhealthy ones. Past `SERVICE_LIMIT` Services,
they are counted per namespace too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import graphviz

from explorer.diagrams.elements import (
    add_component,
    add_edge,
    add_state_edges,
    add_summary,
    invisible_edge,
    layer,
    new_graph,
    node_frame,
    node_title,
)
from explorer.diagrams.overview import counts_slot, group_of, unhealthy_slots, worst_slot
from explorer.diagrams.paint import Paint, ViewPlan, component_lines, drawable
from explorer.model import ClusterState, Component, EdgeKind, Health, derive_edges
from explorer.model.ids import component_id
from explorer.model.state import topology_key

__all__ = [
    "NETWORK_NODE_LIMIT",
    "NETWORK_POD_LIMIT",
    "NETWORK_SLICE_LIMIT",
    "SERVICE_LIMIT",
    "build_network",
    "network_scope",
    "plan_network",
]

# Past this many nodes, endpoint pods or slices, the view draws counts instead of one box per thing.
NETWORK_NODE_LIMIT = 12
NETWORK_POD_LIMIT = 60
NETWORK_SLICE_LIMIT = 40
# Past this many Services, they are counted per namespace.
SERVICE_LIMIT = 24
# Groups of nodes stand in rows of this many.
GROUPS_PER_ROW = 3
# How many unhealthy things a summary box names.
UNHEALTHY_LINES = 3


def network_scope(argument: str | None) -> dict[str, Any]:
    return {"kinds": ["service", "endpointslice", "pod", "node", "kube-proxy"]}


def _group_id(key: tuple[str, str]) -> str:
    return f"node-group/{key[0]}/{key[1]}"


def plan_network(state: ClusterState, arg: str | None = None) -> ViewPlan:
    services: list[Component] = []
    slices: list[Component] = []
    nodes: list[Component] = []
    proxies: dict[str, Component] = {}  # node id -> its kube-proxy
    for c in state.components.values():
        if c.kind == "service":
            services.append(c)
        elif c.kind == "endpointslice":
            slices.append(c)
        elif c.kind == "node":
            nodes.append(c)
        elif c.kind == "kube-proxy" and c.parent:
            proxies[c.parent] = c
    for group in (services, slices, nodes):
        group.sort(key=lambda c: c.id)
    service_ids = {s.id for s in services}
    # Each slice under its Service; each endpoint pod (once) under the first Service that has it.
    slices_of: dict[str, list[Component]] = {}
    endpoint_pods: dict[str, Component] = {}
    service_of_pod: dict[str, str] = {}
    slice_of_pod: dict[str, str] = {}
    for s in slices:
        service = component_id("service", str(s.detail.get("service", "")), s.namespace) if s.namespace else ""
        if service not in service_ids:
            continue
        slices_of.setdefault(service, []).append(s)
        for e in s.detail.get("endpoints", ()) or ():
            if not isinstance(e, dict):
                continue
            pod = state.components.get(component_id("pod", str(e.get("pod", "")), s.namespace))
            if pod is not None and pod.kind == "pod" and pod.id not in endpoint_pods:
                endpoint_pods[pod.id] = pod
                service_of_pod[pod.id] = service
            if pod is not None:
                slice_of_pod.setdefault(f"{service}>{pod.id}", s.id)
    pods = sorted(endpoint_pods.values(), key=lambda c: c.id)
    pods_on: dict[str, list[Component]] = {}
    for p in pods:
        pods_on.setdefault(p.parent or "", []).append(p)
    services_drawn = len(services) <= SERVICE_LIMIT
    sliced = sum(len(v) for v in slices_of.values())
    detailed = (
        services_drawn
        and len(nodes) <= NETWORK_NODE_LIMIT
        and len(pods) <= NETWORK_POD_LIMIT
        and sliced <= NETWORK_SLICE_LIMIT
    )
    drawn: list[Component] = []
    signature: list[Any] = [("detailed", detailed, "services", services_drawn)]
    facts: dict[str, Any] = {
        "services": services,
        "slices_of": slices_of,
        "nodes": nodes,
        "proxies": proxies,
        "pods_on": pods_on,
        "detailed": detailed,
        "services_drawn": services_drawn,
        "slice_of_pod": slice_of_pod,
    }
    plan = ViewPlan("network", state, drawn, signature, facts)
    if services_drawn:
        drawn.extend(services)
    else:
        for s in services:
            plan.count("services", s.namespace or "", s)
        facts["namespaces"] = sorted(plan.tally("services").counts)
        signature.append(("namespaces", tuple(facts["namespaces"])))
    if detailed:
        for service in sorted(slices_of):
            drawn.extend(slices_of[service])
        # A node with neither a kube-proxy nor an endpoint has nothing here (and Graphviz drops an empty frame).
        facts["framed"] = [n for n in nodes if n.id in proxies or pods_on.get(n.id)]
        for n in facts["framed"]:
            drawn.append(n)
            if n.id in proxies:
                drawn.append(proxies[n.id])
        drawn.extend(pods)
        signature.extend((topology_key(c), len(component_lines(c))) for c in drawn)
        return plan

    def front(service: str) -> str:
        """What stands for a Service in the summarised view: its own box, or its namespace's count."""
        if services_drawn:
            return service
        return f"services-in/{state.components[service].namespace or ''}"

    fronts: dict[str, None] = {}
    for service, members in sorted(slices_of.items()):
        key = front(service)
        fronts[key] = None
        for s in members:
            plan.count("slices", key, s)
    group_key: dict[str, tuple[str, str]] = {}
    groups: dict[tuple[str, str], int] = {}
    for n in nodes:
        where = group_of(n)
        group_key[n.id] = where
        groups[where] = groups.get(where, 0) + 1
        plan.count("group-nodes", where, n)
        if n.id in proxies:
            plan.count("group-proxies", where, proxies[n.id])
    routes: set[tuple[str, tuple[str, str]]] = set()
    for p in pods:
        key = front(service_of_pod[p.id])
        plan.count("endpoints", key, p)
        at = group_key.get(p.parent or "")
        if at is not None:
            plan.count("group-endpoints", at, p)
            routes.add((key, at))
    facts.update(fronts=list(fronts), groups=groups, routes=sorted(routes))
    signature.append(("fronts", tuple(fronts), "groups", tuple(sorted(groups.items())), "routes", tuple(routes)))
    signature.extend(sorted((topology_key(c), len(component_lines(c))) for c in drawn))
    return plan


def build_network(plan: ViewPlan, paint: Paint) -> graphviz.Digraph:
    state = plan.state
    f = plan.facts
    w = paint.words
    title = w(
        "cluster {cluster} ({source}): network", cluster=drawable(state.cluster), source=drawable(state.source, 12)
    )
    graph = new_graph("network", title)
    detailed = f["detailed"]
    # Detailed, left to right (Services, slices, nodes as columns); summarised, top to bottom like the overview.
    graph.attr(rankdir="LR" if detailed else "TB", ranksep="0.9" if detailed else "0.55", nodesep="0.25")
    services: list[Component] = f["services"]
    with graph.subgraph(name="cluster_services") as row:
        layer(row, "layer-services", w("Services"))
        if f["services_drawn"]:
            for s in services:
                add_component(row, s, paint, with_lines=True)
            _same_rank(row, paint, [s.id for s in services])
        else:
            for namespace in f["namespaces"]:
                add_summary(
                    row,
                    f"services-in/{namespace}",
                    paint,
                    worst_slot("services", namespace),
                    w("Services in {namespace}", namespace=drawable(namespace, 30)),
                    [
                        counts_slot(w, "Services", "services", namespace),
                        *unhealthy_slots(w, ("services",), namespace, UNHEALTHY_LINES),
                    ],
                    kind="services",
                )
            _same_rank(row, paint, [f"services-in/{namespace}" for namespace in f["namespaces"]])
    if f["detailed"]:
        _draw_detailed(graph, plan, paint)
    else:
        _draw_summarised(graph, plan, paint)
    return graph


def _draw_detailed(graph: graphviz.Digraph, plan: ViewPlan, paint: Paint) -> None:
    f = plan.facts
    w = paint.words
    slices_of: dict[str, list[Component]] = f["slices_of"]
    pods_on: dict[str, list[Component]] = f["pods_on"]
    proxies: dict[str, Component] = f["proxies"]
    services: list[Component] = f["services"]
    drawn_ids = {c.id for c in plan.drawn}
    if slices_of:
        with graph.subgraph(name="cluster_slices") as row:
            layer(row, "layer-endpointslices", w("EndpointSlices"))
            for service in sorted(slices_of):
                for s in slices_of[service]:
                    add_component(row, s, paint, with_lines=True)
            _same_rank(row, paint, [s.id for service in sorted(slices_of) for s in slices_of[service]])
    with graph.subgraph(name="cluster_nodes") as layer_box:
        layer(layer_box, "layer-nodes", w("Nodes"))
        for node in f["framed"]:
            with node_frame(layer_box, node, paint, node_title(w, node, group_of(node)[0])) as box:
                proxy = proxies.get(node.id)
                members = ([proxy] if proxy is not None else []) + pods_on.get(node.id, [])
                for c in members:
                    add_component(box, c, paint)
                # One column per node: the arrows from the slices reach each pod from the side they come from.
                _same_rank(box, paint, [c.id for c in members])
        for p in pods_on.get("", []):  # an endpoint whose node the state does not have
            add_component(layer_box, p, paint)
    # Invisible: slices below the Services, nodes below the slices, even where no arrow says so.
    tops = [s.id for s in services][:1]
    middles = [s.id for v in slices_of.values() for s in v][:1]
    for upper in tops:
        for middle in middles:
            invisible_edge(graph, paint, upper, middle)
    for node in f["framed"]:
        proxy = proxies.get(node.id)
        if proxy is None:
            continue
        for upper in middles or tops:
            invisible_edge(graph, paint, upper, proxy.id)
    edges = derive_edges(plan.drawn)
    add_state_edges(graph, paint, [e for e in edges if e.kind is EdgeKind.OWNS], drawn_ids, w)
    # A Service's routes are drawn from the slice that lists the endpoint: straight down, not around it.
    for e in edges:
        if e.kind is EdgeKind.ROUTES and e.source in drawn_ids and e.target in drawn_ids:
            tail = f["slice_of_pod"].get(f"{e.source}>{e.target}")
            add_edge(graph, paint, e.source, e.target, e.kind, w(e.label), False, tail=tail)
    # One arrow per kube-proxy up to the Services' row: it programs the rules of every Service alike.
    if services:
        for edge in derive_edges([*services[:1], *proxies.values()]):
            if edge.kind is EdgeKind.PROGRAMS and edge.source in drawn_ids:
                label = w("stale rules") if edge.label == "stale rules" else w("programs every Service")
                add_edge(
                    graph, paint, edge.source, edge.target, EdgeKind.PROGRAMS, label, True, lhead="cluster_services"
                )


def _draw_summarised(graph: graphviz.Digraph, plan: ViewPlan, paint: Paint) -> None:
    f = plan.facts
    w = paint.words
    fronts: list[str] = f["fronts"]
    groups: dict[tuple[str, str], int] = f["groups"]
    if fronts:
        with graph.subgraph(name="cluster_slices") as row:
            layer(row, "layer-endpointslices", w("EndpointSlices"))
            for key in fronts:
                name = key.split("/", 1)[1] if key.startswith("services-in/") else key.rsplit("/", 1)[-1]
                add_summary(
                    row,
                    f"endpoints-of/{key}",
                    paint,
                    _endpoints_health(key),
                    w("endpoints of {name}", name=drawable(name, 30)),
                    [
                        counts_slot(w, "EndpointSlices", "slices", key),
                        counts_slot(w, "endpoint pods", "endpoints", key),
                        *unhealthy_slots(w, ("slices", "endpoints"), key, UNHEALTHY_LINES),
                    ],
                    kind="endpoints",
                )
                add_edge(graph, paint, key, f"endpoints-of/{key}", EdgeKind.OWNS, w("owns"))
            _same_rank(row, paint, [f"endpoints-of/{key}" for key in fronts])
    keys = sorted(groups)
    with graph.subgraph(name="cluster_nodes") as row:
        layer(row, "layer-nodes", w("Nodes"))
        for i, group in enumerate(keys):
            gid = _group_id(group)
            if i >= GROUPS_PER_ROW:  # Invisible: groups wrap into rows, for a 4:3 screen.
                invisible_edge(graph, paint, _group_id(keys[i - GROUPS_PER_ROW]), gid)
            add_summary(
                row,
                gid,
                paint,
                _group_health(group),
                w.plural(
                    "{size} node · {zone} · pool {pool}",
                    "{size} nodes · {zone} · pool {pool}",
                    groups[group],
                    size=groups[group],
                    zone=drawable(group[0], 16),
                    pool=drawable(group[1], 16),
                ),
                [
                    counts_slot(w, "nodes", "group-nodes", group),
                    counts_slot(w, "kube-proxies", "group-proxies", group),
                    counts_slot(w, "endpoint pods", "group-endpoints", group),
                    *unhealthy_slots(w, ("group-nodes", "group-proxies", "group-endpoints"), group, UNHEALTHY_LINES),
                ],
                kind="node-group",
            )
    # Invisible: the groups of nodes hang below the endpoints, not beside them.
    for group in keys[:GROUPS_PER_ROW] if fronts else ():
        invisible_edge(graph, paint, f"endpoints-of/{fronts[0]}", _group_id(group))
    for key, where in f["routes"]:
        add_edge(graph, paint, f"endpoints-of/{key}", _group_id(where), EdgeKind.ROUTES, w("routes"))
    if keys and fronts:
        # The kube-proxies of every node program every Service: one arrow for the whole layer.
        first = fronts[0]
        add_edge(
            graph,
            paint,
            _group_id(keys[0]),
            first,
            EdgeKind.PROGRAMS,
            w("kube-proxies program every Service"),
            True,
            ltail="cluster_nodes",
            lhead="cluster_services",
        )
    elif keys and f["services"] and f["services_drawn"]:
        invisible_edge(graph, paint, f["services"][0].id, _group_id(keys[0]))


def _same_rank(graph: graphviz.Digraph, paint: Paint, ids: list[str]) -> None:
    """One rank (a column left to right, a row top to bottom), whatever arrows join its members."""
    with graph.subgraph() as row:
        row.attr(rank="same")
        for element in ids:
            row.node(paint.name(element))


def _endpoints_health(key: str) -> Callable[[ViewPlan], Health]:
    """An error when no endpoint pod is healthy (the Service answers nobody); a warning when some are not."""

    def health(p: ViewPlan) -> Health:
        slices, pods = p.tally("slices").of(key), p.tally("endpoints").of(key)
        if sum(pods.values()) and not pods[Health.OK]:
            return Health.ERROR
        unhealthy = sum(slices.values()) + sum(pods.values()) - slices[Health.OK] - pods[Health.OK]
        return Health.WARNING if unhealthy else Health.OK

    return health


def _group_health(key: tuple[str, str]) -> Callable[[ViewPlan], Health]:
    def health(p: ViewPlan) -> Health:
        nodes = p.tally("group-nodes").of(key)
        if nodes.get(Health.ERROR):
            return Health.ERROR
        others = (p.tally(t).of(key) for t in ("group-nodes", "group-proxies", "group-endpoints"))
        return Health.WARNING if any(sum(c.values()) - c[Health.OK] for c in others) else Health.OK

    return health
