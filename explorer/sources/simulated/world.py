"""The simulated cluster's Kubernetes objects, and how each is drawn as Components.

These are mutable, engine-private records. Every assignment to a drawn field
marks the object dirty (see `Tracked`), so after each event the engine
re-projects only what changed instead of the whole cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from explorer.model import Component, Health
from explorer.model.ids import component_id, node_agent_id
from explorer.model.kinds import endpointslice_health, pod_health, pod_ready_text, service_health, workload_health

__all__ = [
    "ControlPlaneMember",
    "PodTemplate",
    "SimClaim",
    "SimDaemonSet",
    "SimDeployment",
    "SimEndpointSlice",
    "SimNode",
    "SimPod",
    "SimRegistry",
    "SimReplicaSet",
    "SimService",
    "SimStatefulSet",
    "SimStorageClass",
    "SimVolume",
    "Tracked",
]


class Tracked:
    """An object that tells its engine when a field the diagrams show has changed.

    `_sink` is the engine's dirty map (key -> object); fields named in
    `_untracked` are bookkeeping that no Component shows.
    """

    _untracked: ClassVar[frozenset[str]] = frozenset()

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        sink = self.__dict__.get("_sink")
        if sink is not None and name not in self._untracked:
            sink[self.id] = self

    @property
    def key(self) -> str:
        raise NotImplementedError

    @property
    def id(self) -> str:
        """The id of the component it is drawn as (the dirty map's key); its `key` by default."""
        return self.key

    def attach(self, sink: dict[str, Any] | None) -> None:
        object.__setattr__(self, "_sink", sink)
        if sink is not None:
            sink[self.id] = self

    def touch(self) -> None:
        """Mark dirty after mutating a list or set in place."""
        sink = self.__dict__.get("_sink")
        if sink is not None:
            sink[self.id] = self

    def components(self) -> list[Component]:
        raise NotImplementedError


@dataclass(frozen=True)
class PodTemplate:
    """What a Deployment stamps out; its hash names the ReplicaSet (pod-template-hash)."""

    image: str
    cpu_milli: int
    memory_mi: int
    node_selector: tuple[tuple[str, str], ...] = ()
    tolerations: tuple[tuple[str, str, str], ...] = ()  # (key, operator Exists/Equal value, effect or "")
    claims: tuple[str, ...] = ()
    crash_after: float | None = None  # the container exits with an error this long after it starts
    liveness_fails_after: float | None = None  # the liveness probe starts failing this long after start
    labels: tuple[tuple[str, str], ...] = ()  # the pods' labels (`app: <workload>` unless the scenario says)

    @property
    def container(self) -> str:
        # The container is named after the image's repository, as `kubectl create deployment` does.
        return self.image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]


@dataclass(eq=False)
class SimNode(Tracked):
    name: str
    role: str  # "control-plane" or "worker"
    cpu_milli: int
    memory_mi: int
    max_pods: int = 110
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict[str, str]] = field(default_factory=list)
    unschedulable: bool = False
    machine_up: bool = True  # ground truth: is the machine (and its kubelet) running
    ready: str = "True"  # the Ready condition as the apiserver holds it: True, False, Unknown
    ready_reason: str = "KubeletReady"
    ready_message: str = "kubelet is posting ready status"
    kubelet_version: str = "v1.31.2"
    runtime_version: str = "containerd://1.7.22"
    proxy_up: bool = True  # ground truth: is kube-proxy running (a teacher may stop it alone)
    pod_cidr: str = ""  # spec.podCIDR: the /24 its pods' addresses come from
    rules_stale_since: str | None = None  # when Services or endpoints moved on without this node's rules
    # Bookkeeping no diagram shows: the Lease, the pulled images, what is bound here.
    lease_renewed: float = 0.0
    rules_version: int = 0  # the version of the Services' rules this node's kube-proxy last programmed
    images: set[str] = field(default_factory=set)
    pods: dict[str, None] = field(default_factory=dict)  # pod ids, in bind order
    alloc_cpu: int = 0
    alloc_memory: int = 0

    _untracked: ClassVar[frozenset[str]] = frozenset(
        {"lease_renewed", "images", "pods", "alloc_cpu", "alloc_memory", "rules_version", "_sink"}
    )

    @property
    def key(self) -> str:
        return component_id("node", self.name)

    @property
    def id(self) -> str:
        return self.key

    def has_taint(self, key: str, effect: str | None = None) -> bool:
        return any(t["key"] == key and (effect is None or t["effect"] == effect) for t in self.taints)

    def components(self) -> list[Component]:
        ready = self.ready == "True"
        if ready:
            status, health = (
                ("Ready,SchedulingDisabled", Health.WARNING) if self.unschedulable else ("Ready", Health.OK)
            )
        else:
            status, health = ("NotReady", Health.ERROR)
        node = Component(
            id=self.id,
            kind="node",
            name=self.name,
            status=status,
            health=health,
            detail={
                "role": self.role,
                "conditions": {
                    "Ready": {"status": self.ready, "reason": self.ready_reason, "message": self.ready_message}
                },
                "capacity": {"cpu": f"{self.cpu_milli}m", "memory": f"{self.memory_mi}Mi", "pods": self.max_pods},
                "taints": [dict(t) for t in self.taints],
                "labels": dict(self.labels),
                "unschedulable": self.unschedulable,
                "podCIDR": self.pod_cidr,
                "why": "" if ready else f"{self.ready_reason}: {self.ready_message}",
            },
        )
        up = self.machine_up
        agent_status, agent_health = ("Running", Health.OK) if up else ("Stopped", Health.ERROR)
        why = "" if up else "the machine is down (the simulation's ground truth)"
        agents = [
            Component(
                node_agent_id(kind, self.name),
                kind,
                self.name,
                agent_status,
                agent_health,
                parent=self.id,
                detail={"version": version, "why": why},
            )
            for kind, version in (("kubelet", self.kubelet_version), ("runtime", self.runtime_version))
        ]
        return [node, agents[0], self._proxy(agent_status, agent_health, why), agents[1]]

    def _proxy(self, status: str, health: Health, why: str) -> Component:
        """kube-proxy: its rules are synced while it runs, stale once Services move on without it."""
        stale = self.rules_stale_since
        if self.machine_up and not self.proxy_up:
            status, health = "Stopped", Health.ERROR
            why = "kube-proxy is stopped: this node's Service rules are no longer updated"
            if stale:
                why += f"; stale since {stale}: they still send traffic as the endpoints were then"
        elif self.machine_up and stale:
            health, why = Health.WARNING, "syncing: its Service rules are stale until the next sync"
        return Component(
            node_agent_id("kube-proxy", self.name),
            "kube-proxy",
            self.name,
            status,
            health,
            parent=self.id,
            detail={
                "version": self.kubelet_version,
                "mode": "iptables",
                "rules": {"state": "stale" if stale else "synced", "staleSince": stale},
                "why": why,
            },
        )


@dataclass(eq=False)
class ControlPlaneMember(Tracked):
    """One apiserver, etcd, scheduler or controller-manager instance on a control-plane node."""

    kind: str
    node: str
    up: bool = True
    status: str = "Running"
    health: Health = Health.OK
    why: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    _untracked: ClassVar[frozenset[str]] = frozenset({"_sink"})

    @property
    def key(self) -> str:
        return component_id(self.kind, self.node)

    @property
    def id(self) -> str:
        return self.key

    def components(self) -> list[Component]:
        return [
            Component(
                self.id,
                self.kind,
                self.node,
                self.status,
                self.health,
                parent=component_id("node", self.node),
                detail={**self.detail, "why": self.why},
            )
        ]


@dataclass(eq=False)
class SimDeployment(Tracked):
    namespace: str
    name: str
    replicas: int
    template: PodTemplate
    max_surge: int | str = "25%"
    max_unavailable: int | str = "25%"
    revision: int = 1
    ready: int = 0  # status.readyReplicas
    updated: int = 0  # status.updatedReplicas: pods of the newest template

    _untracked: ClassVar[frozenset[str]] = frozenset({"template", "_sink"})

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def id(self) -> str:
        return component_id("deployment", self.name, self.namespace)

    def components(self) -> list[Component]:
        status, health, why = workload_health(self.ready, self.replicas)
        detail = {
            "replicas": self.replicas,
            "ready": self.ready,
            "updated": self.updated,
            "available": self.ready,
            "strategy": {"type": "RollingUpdate", "maxSurge": self.max_surge, "maxUnavailable": self.max_unavailable},
            "revision": self.revision,
            "image": self.template.image,
            "why": why,
        }
        return [Component(self.id, "deployment", self.name, status, health, self.namespace, None, detail)]


@dataclass(eq=False)
class SimReplicaSet(Tracked):
    """A ReplicaSet: it owns the pods of one template of its Deployment."""

    namespace: str
    name: str
    deployment: str  # "namespace/name"
    template: PodTemplate
    template_hash: str
    replicas: int = 0
    revision: int = 1
    created: float = 0.0
    active: dict[str, None] = field(default_factory=dict)  # pod ids not being deleted
    available: set[str] = field(default_factory=set)  # active pods that are Ready

    _untracked: ClassVar[frozenset[str]] = frozenset({"template", "created", "active", "available", "_sink"})

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def id(self) -> str:
        return component_id("replicaset", self.name, self.namespace)

    def components(self) -> list[Component]:
        ready = len(self.available)
        status, health, why = workload_health(ready, self.replicas)
        detail = {
            "owner": f"Deployment/{self.deployment.split('/', 1)[1]}",
            "replicas": self.replicas,
            "current": len(self.active),
            "ready": ready,
            "revision": self.revision,
            "templateHash": self.template_hash,
            "why": why,
        }
        return [Component(self.id, "replicaset", self.name, status, health, self.namespace, None, detail)]


@dataclass(eq=False)
class SimPod(Tracked):
    namespace: str
    name: str
    uid: str
    owner: str  # "ReplicaSet/web-5d8f7c9b6d", or "" for a bare pod
    template: PodTemplate
    created: float
    node: str | None = None
    phase: str = "Pending"
    status: str = "Pending"  # what kubectl's STATUS column would say
    reason: str = ""
    ready: bool = False
    restarts: int = 0
    deleting: bool = False
    # Bookkeeping: the kubelet's back-off state and a counter that retires stale timers.
    crashes: int = 0
    pull_failures: int = 0
    generation: int = 0
    started_at: float = 0.0
    backoff_updated: float | None = None  # when the kubelet last moved the container's back-off on
    ready_since: float | None = None  # the Ready condition's lastTransitionTime while it is True
    deletion_cost: int = 0  # the controller.kubernetes.io/pod-deletion-cost annotation
    labels: dict[str, str] = field(default_factory=dict)  # what Services select it by
    decision: dict[str, Any] | None = None  # the scheduler's last decision about it, while it is among the latest
    # The one node its required node affinity names (a DaemonSet's pod: matchFields metadata.name), if any.
    required_node: str | None = None
    ip: str = ""  # status.podIP, from its node's CNI once the kubelet made its sandbox

    _untracked: ClassVar[frozenset[str]] = frozenset(
        {
            "crashes",
            "pull_failures",
            "generation",
            "started_at",
            "backoff_updated",
            "ready_since",
            "deletion_cost",
            "labels",
            "required_node",
            "_sink",
        }
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", component_id("pod", self.name, self.namespace))

    @property
    def key(self) -> str:
        return self._key  # type: ignore[attr-defined, no-any-return]

    @property
    def id(self) -> str:
        return self._key  # type: ignore[attr-defined, no-any-return]

    def components(self) -> list[Component]:
        health = pod_health(self.status, self.ready)
        t = self.template
        return [
            Component(
                id=self.id,
                kind="pod",
                name=self.name,
                namespace=self.namespace,
                parent=component_id("node", self.node) if self.node else None,
                status=self.status,
                health=health,
                detail={
                    "phase": self.phase,
                    "owner": self.owner,
                    "node": self.node,
                    "images": [t.image],
                    "claims": list(t.claims),
                    "ready": pod_ready_text(int(self.ready), 1),  # one container a pod
                    "restarts": self.restarts,
                    "ip": self.ip,
                    "requests": {"cpu": f"{t.cpu_milli}m", "memory": f"{t.memory_mi}Mi"},
                    "scheduling": self.decision,
                    "why": self.reason,
                },
            )
        ]


@dataclass(eq=False)
class SimStorageClass(Tracked):
    name: str
    provisioner: str
    binding_mode: str = "WaitForFirstConsumer"
    default: bool = False

    @property
    def key(self) -> str:
        return component_id("storageclass", self.name)

    @property
    def dynamic(self) -> bool:
        return self.provisioner != "kubernetes.io/no-provisioner"

    def components(self) -> list[Component]:
        return [
            Component(
                self.key,
                "storageclass",
                self.name,
                "Available",
                Health.OK,
                detail={
                    "provisioner": self.provisioner,
                    "volumeBindingMode": self.binding_mode,
                    "default": self.default,
                },
            )
        ]


@dataclass(eq=False)
class SimVolume(Tracked):
    name: str
    storage_class: str
    size_mi: int
    size: str
    claim: str | None = None  # "namespace/name"
    phase: str = "Available"

    @property
    def key(self) -> str:
        return component_id("pv", self.name)

    def components(self) -> list[Component]:
        return [
            Component(
                self.key,
                "pv",
                self.name,
                self.phase,
                Health.OK if self.phase in {"Bound", "Available"} else Health.WARNING,
                detail={"storageClass": self.storage_class, "capacity": self.size, "claim": self.claim},
            )
        ]


@dataclass(eq=False)
class SimClaim(Tracked):
    namespace: str
    name: str
    uid: str
    storage_class: str
    size_mi: int
    size: str
    volume: str | None = None
    reason: str = ""
    provisioning: bool = False
    owner: str = ""  # "StatefulSet/db" for a claim made from a volumeClaimTemplate

    _untracked: ClassVar[frozenset[str]] = frozenset({"provisioning", "_sink"})

    @property
    def key(self) -> str:
        return component_id("pvc", self.name, self.namespace)

    def components(self) -> list[Component]:
        bound = self.volume is not None
        return [
            Component(
                self.key,
                "pvc",
                self.name,
                "Bound" if bound else "Pending",
                Health.OK if bound else Health.WARNING,
                namespace=self.namespace,
                detail={
                    "storageClass": self.storage_class,
                    "capacity": self.size,
                    "volume": self.volume,
                    "owner": self.owner,
                    "why": "" if bound else self.reason,
                },
            )
        ]


@dataclass(eq=False)
class SimRegistry(Tracked):
    """A container image registry the scenario's images come from."""

    host: str

    @property
    def key(self) -> str:
        return component_id("registry", self.host)

    def components(self) -> list[Component]:
        detail: dict[str, Any] = {"host": self.host}
        return [Component(self.key, "registry", self.host, "Reachable", Health.OK, detail=detail)]


@dataclass(eq=False)
class SimService(Tracked):
    """A Service: a stable virtual IP and ports in front of the pods its selector picks."""

    namespace: str
    name: str
    type: str
    cluster_ip: str
    ports: list[dict[str, Any]]
    selector: dict[str, str]
    ready: int = 0  # endpoints, as its EndpointSlices hold them
    not_ready: int = 0

    _untracked: ClassVar[frozenset[str]] = frozenset({"_sink"})

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def id(self) -> str:
        return component_id("service", self.name, self.namespace)

    def selects(self, labels: dict[str, str]) -> bool:
        return bool(self.selector) and all(labels.get(k) == v for k, v in self.selector.items())

    def components(self) -> list[Component]:
        status, health, why = service_health(self.ready, self.type)
        detail = {
            "type": self.type,
            "clusterIP": self.cluster_ip,
            "ports": [dict(p) for p in self.ports],
            "selector": dict(self.selector),
            "endpoints": {"ready": self.ready, "notReady": self.not_ready},
            "why": why,
        }
        return [Component(self.id, "service", self.name, status, health, self.namespace, None, detail)]


@dataclass(eq=False)
class SimEndpointSlice(Tracked):
    """At most 100 endpoints of one Service (maxEndpointsPerSlice), each a pod with its node and conditions."""

    namespace: str
    name: str
    service: str  # the Service's name
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)  # pod id -> endpoint

    _untracked: ClassVar[frozenset[str]] = frozenset({"endpoints", "_sink"})

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def id(self) -> str:
        return component_id("endpointslice", self.name, self.namespace)

    def components(self) -> list[Component]:
        endpoints = list(self.endpoints.values())  # in the order they joined the slice
        ready = 0
        tally: dict[str, list[int]] = {}
        for e in endpoints:
            counts = tally.get(e["node"])
            if counts is None:
                counts = tally[e["node"]] = [0, 0]
            if e["ready"]:
                counts[0] += 1
                ready += 1
            else:
                counts[1] += 1
        by_node = {node: {"ready": r, "notReady": n} for node, (r, n) in sorted(tally.items())}
        status, health, why = endpointslice_health(len(endpoints), ready)
        detail = {
            "owner": f"Service/{self.service}",
            "service": self.service,
            "addressType": "IPv4",
            "endpoints": endpoints,  # each endpoint is replaced, never changed in place: shared, not copied
            "ready": ready,
            "notReady": len(endpoints) - ready,
            "byNode": by_node,
            "why": why,
        }
        return [Component(self.id, "endpointslice", self.name, status, health, self.namespace, None, detail)]


@dataclass(eq=False)
class SimDaemonSet(Tracked):
    """A DaemonSet: one pod on every eligible node."""

    namespace: str
    name: str
    template: PodTemplate
    pods: dict[str, str] = field(default_factory=dict)  # node name -> pod id
    desired: int = 0
    ready: int = 0
    updated: int = 0

    _untracked: ClassVar[frozenset[str]] = frozenset({"pods", "_sink"})

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def id(self) -> str:
        return component_id("daemonset", self.name, self.namespace)

    def components(self) -> list[Component]:
        status, health, why = workload_health(self.ready, self.desired)
        detail = {
            "desired": self.desired,
            "current": len(self.pods),
            "ready": self.ready,
            "updated": self.updated,
            "image": self.template.image,
            "tolerations": [{"key": k, "value": v, "effect": e} for k, v, e in self.template.tolerations],
            "why": why,
        }
        return [Component(self.id, "daemonset", self.name, status, health, self.namespace, None, detail)]


@dataclass(eq=False)
class SimStatefulSet(Tracked):
    """A StatefulSet: pods with stable names (`db-0`, `db-1`) and a claim each from its templates."""

    namespace: str
    name: str
    replicas: int
    template: PodTemplate
    service_name: str
    claim_templates: tuple[tuple[str, str, str], ...]  # (name, storage class, size)
    ready: int = 0
    current: int = 0
    waiting: str = ""  # why the controller holds back (OrderedReady, a pod that may still run)

    _untracked: ClassVar[frozenset[str]] = frozenset({"_sink"})

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def id(self) -> str:
        return component_id("statefulset", self.name, self.namespace)

    def pod_name(self, ordinal: int) -> str:
        return f"{self.name}-{ordinal}"

    def claim_name(self, template: str, ordinal: int) -> str:
        return f"{template}-{self.name}-{ordinal}"

    def components(self) -> list[Component]:
        status, health, why = workload_health(self.ready, self.replicas)
        detail = {
            "replicas": self.replicas,
            "ready": self.ready,
            "current": self.current,
            "serviceName": self.service_name,
            "volumeClaimTemplates": [
                {"name": n, "storageClass": sc, "size": size} for n, sc, size in self.claim_templates
            ],
            "image": self.template.image,
            "why": self.waiting or why,
        }
        return [Component(self.id, "statefulset", self.name, status, health, self.namespace, None, detail)]
