"""ClusterState: every component at one moment, and the edges they imply.

Edges are derived from the components (parents, claims, images, control-plane
placement) rather than stored, so a change message that carries one component
is all a client or a diagram needs to stay correct.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from explorer.model.component import Component, Edge, EdgeKind
from explorer.model.ids import component_id, node_agent_id
from explorer.model.images import registry_of
from explorer.model.limits import cap_text

__all__ = [
    "ETCD_PEER_LABEL",
    "KUBELET_API_LABEL",
    "ChangeJournal",
    "ClusterState",
    "derive_edges",
    "parent_cycle",
    "topology_key",
]

# Ids a journal keeps: enough for any two copies a page asks to draw a few seconds apart.
JOURNAL_LIMIT = 1 << 16


class ChangeJournal:
    """The ids a state's put/remove touched, by revision, shared with its unmodified copies.

    One state writes it (`writer`); a copy shares it read-only and, once changed,
    starts a journal of its own. So two states with one journal differ at most in
    the ids journalled between their revisions: a diagram finds what changed
    without comparing every component. Readers may be other threads: `window`
    is replaced whole when trimmed, and list appends and slices are atomic.
    """

    __slots__ = ("_writer", "revision", "window")

    def __init__(self, writer: ClusterState):
        # Weak: a state and its journal must not form a cycle that only a full collection frees.
        self._writer = weakref.ref(writer)
        self.revision = 0
        # (revision before the first id kept, the ids of the revisions after it)
        self.window: tuple[int, list[str]] = (0, [])

    def record(self, component_id: str) -> int:
        ids = self.window[1]
        ids.append(component_id)
        self.revision += 1
        if len(ids) > JOURNAL_LIMIT:
            keep = JOURNAL_LIMIT // 2
            self.window = (self.revision - keep, ids[-keep:])
        return self.revision

    def touched(self, first: int, second: int) -> set[str] | None:
        """The ids changed between two revisions (either order), or None if the journal no longer reaches back."""
        low, high = sorted((first, second))
        base, ids = self.window
        if low < base or high > base + len(ids):
            return None
        return set(ids[low - base : high - base])

    @property
    def writer(self) -> ClusterState | None:
        return self._writer()


class ClusterState:
    """Components by id, plus the cluster's name and which source fed it.

    Treat an instance as a value: `explorer.model.apply_change` returns a new
    one. `apply_in_place` exists for the hub, which owns its copy and applies
    thousands of changes a second to states of 150000 components.
    """

    __slots__ = ("__weakref__", "_edges", "cluster", "components", "health_since", "journal", "revision", "source")

    def __init__(
        self, components: Iterable[Component] | Mapping[str, Component] = (), *, cluster: str = "", source: str = ""
    ):
        if isinstance(components, Mapping):
            self.components: dict[str, Component] = dict(components)
        else:
            self.components = {c.id: c for c in components}
        self.cluster = cap_text(cluster)
        self.source = cap_text(source)
        # When each component entered its current health, as far as this state has seen it change.
        self.health_since: dict[str, str] = {}
        self._edges: list[Edge] | None = None
        self.journal = ChangeJournal(self)
        self.revision = 0

    def copy(self) -> ClusterState:
        twin = ClusterState(self.components, cluster=self.cluster, source=self.source)
        twin.health_since = dict(self.health_since)
        twin.journal, twin.revision = self.journal, self.revision
        return twin

    def _journal(self, component_id: str) -> None:
        journal = self.journal
        if journal.writer is not self or journal.revision != self.revision:
            # A copy that changes leaves its origin's journal: its story is its own from here.
            journal = self.journal = ChangeJournal(self)
        self.revision = journal.record(component_id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClusterState) and self.components == other.components

    def __len__(self) -> int:
        return len(self.components)

    def only_namespace(self, namespace: str) -> ClusterState:
        """The cluster-scoped components plus the namespaced ones of `namespace`: what a namespace filter shows."""
        kept = ClusterState(
            (c for c in self.components.values() if c.namespace is None or c.namespace == namespace),
            cluster=self.cluster,
            source=self.source,
        )
        kept.health_since = {k: v for k, v in self.health_since.items() if k in kept.components}
        return kept

    def get(self, component_id: str) -> Component | None:
        return self.components.get(component_id)

    def of_kind(self, kind: str) -> list[Component]:
        return sorted((c for c in self.components.values() if c.kind == kind), key=lambda c: c.id)

    def children(self, parent_id: str) -> list[Component]:
        return sorted((c for c in self.components.values() if c.parent == parent_id), key=lambda c: c.id)

    @property
    def edges(self) -> list[Edge]:
        if self._edges is None:
            self._edges = derive_edges(self.components.values())
        return self._edges

    def put(self, component: Component, time: str | None = None) -> Component | None:
        """Store a component; return the one it replaced. Drops cached edges only when topology moved.

        With `time`, a change of health is remembered as starting then.
        """
        previous = self.components.get(component.id)
        self.components[component.id] = component
        self._journal(component.id)
        if time is not None and (previous is None or previous.health != component.health):
            self.health_since[component.id] = time
        if previous is None or _edge_inputs(previous) != _edge_inputs(component):
            self._edges = None
        return previous

    def remove(self, component_id: str) -> Component | None:
        previous = self.components.pop(component_id, None)
        self.health_since.pop(component_id, None)
        if previous is not None:
            self._edges = None
            self._journal(component_id)
        return previous

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "cluster": self.cluster,
            "components": [c.to_dict() for c in sorted(self.components.values(), key=lambda c: c.id)],
            "edges": [e.to_dict() for e in self.edges],
            # An addition to the contract's snapshot: when each component entered its current health.
            "health_since": dict(sorted(self.health_since.items())),
        }

    @classmethod
    def from_dict(cls, data: Any) -> ClusterState:
        if not isinstance(data, dict) or not isinstance(data.get("components"), list):
            raise ValueError("a snapshot must be an object with a components list")
        state = cls(
            (Component.from_dict(c) for c in data["components"]),
            cluster=str(data.get("cluster", "")),
            source=str(data.get("source", "")),
        )
        since = data.get("health_since") or {}
        if isinstance(since, dict):
            state.health_since = {str(k): str(v) for k, v in since.items() if k in state.components}
        return state


def parent_cycle(parents: Mapping[str, str | None], start: str) -> list[str] | None:
    """The ids around a loop of parents that `start` is on (`a, b, a`), or None when following parents from it ends.

    A parent is a component's container (a pod's node): following parents must end, or whatever walks
    up from a component to the one drawn for it (a page's focus, say) never stops.
    """
    path = [start]
    seen = {start}
    current = parents.get(start)
    while current is not None:
        if current in seen:
            return [*path[path.index(current) :], current] if current == start else None
        path.append(current)
        seen.add(current)
        current = parents.get(current)
    return None


def _edge_inputs(c: Component) -> tuple[Any, ...]:
    d = c.detail
    return (
        c.parent,
        tuple(d.get("claims", ())),
        tuple(d.get("images", ())),
        d.get("volume"),
        d.get("storageClass"),
        d.get("owner"),
        d.get("endpoints") if c.kind == "endpointslice" else None,
        d.get("rules"),
    )


def topology_key(c: Component) -> tuple[Any, ...]:
    """What about a component changes a diagram's layout (as opposed to its look)."""
    return (c.id, c.kind, *_edge_inputs(c))


KUBELET_API_LABEL = "HTTPS :10250 logs/exec/port-forward"
ETCD_PEER_LABEL = "Raft peers :2380"


def derive_edges(components: Iterable[Component]) -> list[Edge]:
    """The edges DESIGN.md names, worked out from the components alone."""
    by_kind: dict[str, list[Component]] = {}
    ids: set[str] = set()
    for c in components:
        by_kind.setdefault(c.kind, []).append(c)
        ids.add(c.id)
    for group in by_kind.values():
        group.sort(key=lambda c: c.id)

    edges: list[Edge] = []
    apiservers = by_kind.get("apiserver", [])
    etcds = by_kind.get("etcd", [])

    def nearest_apiserver(c: Component) -> str | None:
        # Components on a control-plane node talk to the apiserver beside them
        # (kubeadm points them at localhost); everything else reaches one
        # through the cluster's endpoint, drawn as the first apiserver.
        for a in apiservers:
            if a.name == c.name:
                return a.id
        return apiservers[0].id if apiservers else None

    for a in apiservers:
        local = [e for e in etcds if e.name == a.name]
        for e in local or etcds:
            edges.append(Edge(a.id, e.id, EdgeKind.GRPC, "gRPC"))
    for kind in ("scheduler", "controller-manager", "cloud-controller-manager"):
        for c in by_kind.get(kind, []):
            target = nearest_apiserver(c)
            if target:
                edges.append(Edge(c.id, target, EdgeKind.WATCH, "HTTPS watch"))
    for kind in ("kubelet", "kube-proxy"):
        for c in by_kind.get(kind, []):
            target = nearest_apiserver(c)
            if target:
                edges.append(Edge(c.id, target, EdgeKind.WATCH, "HTTPS watch"))
    # The other way: the apiserver calls each kubelet's own server on :10250 for a pod's logs,
    # `kubectl exec` and port-forward (pkg/kubelet/server/server.go; ports.KubeletPort).
    for k in by_kind.get("kubelet", []):
        source = nearest_apiserver(k)
        if source:
            edges.append(Edge(source, k.id, EdgeKind.HTTPS, KUBELET_API_LABEL))
    # etcd members replicate to each other over their peer port (Raft over HTTPS, :2380).
    for i, first in enumerate(etcds):
        for second in etcds[i + 1 :]:
            edges.append(Edge(first.id, second.id, EdgeKind.PEER, ETCD_PEER_LABEL))
    for k in by_kind.get("kubelet", []):
        runtime = node_agent_id("runtime", k.name)
        if runtime in ids:
            edges.append(Edge(k.id, runtime, EdgeKind.CRI, "CRI gRPC"))

    pulls: set[tuple[str, str]] = set()
    for p in by_kind.get("pod", []):
        if p.parent:
            edges.append(Edge(p.id, p.parent, EdgeKind.RUNS_ON, "runs on"))
            node_name = p.parent.split("/", 1)[1]
            for image in p.detail.get("images", ()):
                registry = component_id("registry", registry_of(image))
                if registry in ids and node_agent_id("runtime", node_name) in ids:
                    pulls.add((node_agent_id("runtime", node_name), registry))
        for claim in p.detail.get("claims", ()):
            pvc = component_id("pvc", claim, p.namespace)
            if pvc in ids:
                edges.append(Edge(p.id, pvc, EdgeKind.MOUNT, "mount"))
    edges.extend(Edge(s, t, EdgeKind.PULL, "image pull") for s, t in sorted(pulls))
    for c in by_kind.get("pvc", []):
        volume = c.detail.get("volume")
        if volume and component_id("pv", volume) in ids:
            edges.append(Edge(c.id, component_id("pv", volume), EdgeKind.BIND, "bind"))
    for v in by_kind.get("pv", []):
        sc = v.detail.get("storageClass")
        if sc and component_id("storageclass", sc) in ids:
            edges.append(Edge(v.id, component_id("storageclass", sc), EdgeKind.PROVISION, "provision"))
    edges.extend(_workload_edges(by_kind, ids))
    return edges


def _owner_id(c: Component, ids: set[str]) -> str | None:
    """The id of what `c`'s detail.owner (`ReplicaSet/web-5d8f7`) names, if it is a component here."""
    owner = c.detail.get("owner")
    if not isinstance(owner, str) or "/" not in owner or not c.namespace:
        return None
    kind, _, name = owner.partition("/")
    try:
        found = component_id(kind.lower(), name, c.namespace)
    except ValueError:
        return None
    return found if found in ids else None


def _workload_edges(by_kind: dict[str, list[Component]], ids: set[str]) -> list[Edge]:
    """Owners to what they own, Services to their ready endpoints, kube-proxies to the Services they program."""
    edges: list[Edge] = []
    for kind in ("replicaset", "pod", "pvc", "endpointslice"):
        for c in by_kind.get(kind, []):
            owner = _owner_id(c, ids)
            if owner:
                edges.append(Edge(owner, c.id, EdgeKind.OWNS, "owns"))
    services = by_kind.get("service", [])
    for s in by_kind.get("endpointslice", []):
        service = component_id("service", str(s.detail.get("service", "")), s.namespace) if s.namespace else ""
        if service not in ids:
            continue
        for e in s.detail.get("endpoints", ()):
            pod = component_id("pod", str(e.get("pod", "")), s.namespace) if isinstance(e, dict) else ""
            if e.get("ready") and pod in ids:
                edges.append(Edge(service, pod, EdgeKind.ROUTES, "routes"))
    for proxy in by_kind.get("kube-proxy", []):
        rules = proxy.detail.get("rules")
        label = "stale rules" if isinstance(rules, dict) and rules.get("state") == "stale" else "programs"
        edges.extend(Edge(proxy.id, s.id, EdgeKind.PROGRAMS, label) for s in services)
    return edges
