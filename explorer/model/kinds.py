"""The registry of component kinds: everything the explorer knows about a kind, in one entry.

An id's scope, the layer and problem rank of the operator's lists, the names a
person reads (English and Simplified Chinese, one and many), the shape the
diagrams draw, the view a component is at home in and the detail fields every
source writes for it. Adding a kind is adding an entry here plus what truly
differs about it (docs/DESIGN.md, "Adding a kind").

Plain Python, no Django: the diagrams, the web layer and the sources read it
alike; the dashboard's timeline names kinds in the page's language from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from explorer.model.component import Health

__all__ = [
    "CLUSTER",
    "ERROR_POD_REASONS",
    "KINDS",
    "LAYERS",
    "NAMESPACED",
    "Kind",
    "endpointslice_health",
    "kind_of",
    "kinds_where",
    "missing_detail",
    "pod_health",
    "pod_ready_text",
    "service_health",
    "workload_health",
]

CLUSTER = "cluster"
NAMESPACED = "namespaced"
# The dashboard's health rows. Services and EndpointSlices count as workloads until the network view comes.
LAYERS = ("control-plane", "nodes", "workloads", "storage")


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of component.

    `rank`: lower is worse in the problems list (what takes the whole cluster down first).
    `title`: how a box titles a component: `label` (the kind's label alone, a node's agents),
    `label+name` (label over the name) or `name` (the name alone, pods).
    `home`: the view a component's panel links to: `control-plane`, `storage`, `network`, `node` (the
    view of the node it runs on), `overview`.
    `detail`: the fields of `detail` every source writes for it (besides `why`).
    `drawn`: whether a view (overview, control plane, node, storage, network) draws it.
    """

    name: str
    scope: str
    layer: str
    rank: int
    label: str
    plural: str
    label_zh: str
    plural_zh: str
    shape: Mapping[str, str]
    home: str = "overview"
    title: str = "label+name"
    api_name: str = ""
    agent: bool = False
    control_plane: bool = False
    detail: tuple[str, ...] = ()
    drawn: bool = True  # drawn by the architecture views (the workload kinds wait for their own views)

    @property
    def namespaced(self) -> bool:
        return self.scope == NAMESPACED

    def said(self, language: str, count: int = 1) -> str:
        """The kind's name for a person, in `language` (en or zh-hans), for one or many."""
        if language.lower().startswith("zh"):
            return self.label_zh if count == 1 else self.plural_zh
        return self.label if count == 1 else self.plural


def _k(
    name: str, scope: str, layer: str, rank: int, labels: tuple[str, str, str, str], shape: dict[str, str], **more: Any
) -> Kind:
    return Kind(name, scope, layer, rank, *labels, shape=shape, **more)


_CP = {"home": "control-plane", "control_plane": True, "api_name": ""}
_AGENT = {"home": "node", "agent": True, "title": "label"}

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        _k(
            "apiserver",
            CLUSTER,
            "control-plane",
            1,
            ("kube-apiserver", "kube-apiservers", "kube-apiserver", "kube-apiserver"),
            {"shape": "box", "peripheries": "2"},
            **_CP,
        ),
        _k(
            "etcd",
            CLUSTER,
            "control-plane",
            0,
            ("etcd", "etcd members", "etcd", "etcd 成员"),
            {"shape": "cylinder"},
            detail=("term",),
            **_CP,
        ),
        _k(
            "scheduler",
            CLUSTER,
            "control-plane",
            3,
            ("kube-scheduler", "kube-schedulers", "kube-scheduler", "kube-scheduler"),
            {"shape": "hexagon"},
            **_CP,
        ),
        _k(
            "controller-manager",
            CLUSTER,
            "control-plane",
            3,
            (
                "kube-controller-manager",
                "kube-controller-managers",
                "kube-controller-manager",
                "kube-controller-manager",
            ),
            {"shape": "octagon"},
            **_CP,
        ),
        _k(
            "cloud-controller-manager",
            CLUSTER,
            "control-plane",
            3,
            (
                "cloud-controller-manager",
                "cloud-controller-managers",
                "cloud-controller-manager",
                "cloud-controller-manager",
            ),
            {"shape": "doubleoctagon"},
            **_CP,
        ),
        _k(
            "node",
            CLUSTER,
            "nodes",
            2,
            ("node", "nodes", "节点", "节点"),
            {"shape": "box", "rounded": "true", "penwidth": "2.5"},
            home="node",
            api_name="Node",
            detail=("role", "conditions", "capacity", "taints", "labels", "unschedulable", "podCIDR"),
        ),
        _k(
            "kubelet",
            CLUSTER,
            "nodes",
            4,
            ("kubelet", "kubelets", "kubelet", "kubelet"),
            {"shape": "house"},
            detail=("version",),
            **_AGENT,
        ),
        _k(
            "kube-proxy",
            CLUSTER,
            "nodes",
            5,
            ("kube-proxy", "kube-proxies", "kube-proxy", "kube-proxy"),
            {"shape": "cds"},
            detail=("version", "mode", "rules"),
            **_AGENT,
        ),
        _k(
            "runtime",
            CLUSTER,
            "nodes",
            4,
            ("container runtime", "container runtimes", "容器运行时", "容器运行时"),
            {"shape": "component"},
            api_name="Container runtime",
            detail=("version",),
            **_AGENT,
        ),
        _k(
            "pod",
            NAMESPACED,
            "workloads",
            6,
            ("Pod", "pods", "Pod", "Pod"),
            {"shape": "box", "rounded": "true"},
            home="node",
            title="name",
            api_name="Pod",
            detail=("phase", "owner", "node", "images", "claims", "ready", "restarts", "ip", "scheduling"),
        ),
        _k(
            "registry",
            CLUSTER,
            "workloads",
            5,
            ("image registry", "image registries", "镜像仓库", "镜像仓库"),
            {"shape": "invhouse"},
            api_name="Image registry",
            detail=("host",),
        ),
        _k(
            "deployment",
            NAMESPACED,
            "workloads",
            6,
            ("Deployment", "Deployments", "Deployment", "Deployment"),
            {"shape": "trapezium"},
            api_name="Deployment",
            detail=("replicas", "ready", "updated", "available", "strategy", "revision"),
            drawn=False,
        ),
        _k(
            "replicaset",
            NAMESPACED,
            "workloads",
            6,
            ("ReplicaSet", "ReplicaSets", "ReplicaSet", "ReplicaSet"),
            {"shape": "invtrapezium"},
            api_name="ReplicaSet",
            detail=("owner", "replicas", "ready", "revision", "templateHash"),
            drawn=False,
        ),
        _k(
            "daemonset",
            NAMESPACED,
            "workloads",
            5,
            ("DaemonSet", "DaemonSets", "DaemonSet", "DaemonSet"),
            {"shape": "pentagon"},
            api_name="DaemonSet",
            detail=("desired", "current", "ready", "updated", "image", "tolerations"),
            drawn=False,
        ),
        _k(
            "statefulset",
            NAMESPACED,
            "workloads",
            6,
            ("StatefulSet", "StatefulSets", "StatefulSet", "StatefulSet"),
            {"shape": "septagon"},
            api_name="StatefulSet",
            detail=("replicas", "ready", "current", "serviceName", "volumeClaimTemplates", "image"),
            drawn=False,
        ),
        _k(
            "service",
            NAMESPACED,
            "workloads",
            6,
            ("Service", "Services", "Service", "Service"),
            {"shape": "ellipse"},
            api_name="Service",
            detail=("type", "clusterIP", "ports", "selector", "endpoints"),
            home="network",
        ),
        _k(
            "endpointslice",
            NAMESPACED,
            "workloads",
            7,
            ("EndpointSlice", "EndpointSlices", "EndpointSlice", "EndpointSlice"),
            {"shape": "parallelogram"},
            api_name="EndpointSlice",
            detail=("service", "addressType", "endpoints", "ready", "notReady", "byNode"),
            home="network",
        ),
        _k(
            "pv",
            CLUSTER,
            "storage",
            7,
            ("PV", "PVs", "PV", "PV"),
            {"shape": "tab"},
            home="storage",
            api_name="PersistentVolume",
            detail=("storageClass", "capacity", "claim"),
        ),
        _k(
            "pvc",
            NAMESPACED,
            "storage",
            7,
            ("PVC", "PVCs", "PVC", "PVC"),
            {"shape": "note"},
            home="storage",
            api_name="PersistentVolumeClaim",
            detail=("storageClass", "capacity", "volume"),
        ),
        _k(
            "storageclass",
            CLUSTER,
            "storage",
            8,
            ("StorageClass", "StorageClasses", "StorageClass", "StorageClass"),
            {"shape": "folder"},
            home="storage",
            api_name="StorageClass",
            detail=("provisioner", "volumeBindingMode", "default"),
        ),
    )
}

# What a kind the registry lacks (a newer source, a recording from elsewhere) counts as: last, never first.
_UNKNOWN = Kind("?", CLUSTER, "workloads", 9, "?", "?", "?", "?", {"shape": "box", "rounded": "true"})


def kind_of(name: str) -> Kind:
    """The registry's entry for `name`; an unknown kind ranks last and is at home in the overview."""
    return KINDS.get(name) or _UNKNOWN


def kinds_where(**wanted: Any) -> tuple[str, ...]:
    """The kinds' names whose entries have these attribute values, in registry order."""
    return tuple(k.name for k in KINDS.values() if all(getattr(k, a) == v for a, v in wanted.items()))


def missing_detail(kind: str, detail: Mapping[str, Any]) -> list[str]:
    """The fields of the kind's detail schema that `detail` lacks (a contract test's question)."""
    return [name for name in kind_of(kind).detail if name not in detail]


# A pod's status words that mean its containers cannot run: the health rule below, shared by the sources.
ERROR_POD_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ErrImagePull",
        "ImagePullBackOff",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "PreStartHookError",
        "PostStartHookError",
        "OOMKilled",
        "Error",
        "Failed",
        "Evicted",
        "ContainerStatusUnknown",
        "DeadlineExceeded",
        "BackoffLimitExceeded",
    }
)


def pod_health(status: str, ready: bool) -> Health:
    """A pod's health from its STATUS word (as kubectl prints it) and its Ready condition.

    error: the containers cannot run; unknown: the node lost contact; ok: Running and Ready, or done;
    warning: everything on its way (Pending, ContainerCreating, Terminating, Running but not ready).
    """
    base = status.removeprefix("Init:")
    if base in ERROR_POD_REASONS or base.startswith(("Signal:", "ExitCode:")):
        return Health.ERROR
    if status == "Unknown":
        return Health.UNKNOWN
    if status in {"Completed", "Succeeded"}:
        return Health.OK
    if status == "Running":
        return Health.OK if ready else Health.WARNING
    return Health.WARNING


def pod_ready_text(ready_containers: int, containers: int) -> str:
    """`detail["ready"]` of a pod: kubectl's READY column, ready containers over containers (`1/1`)."""
    return f"{ready_containers}/{containers}"


def workload_health(ready: int, wanted: int) -> tuple[str, Health, str]:
    """A Deployment's, ReplicaSet's, DaemonSet's or StatefulSet's (status, health, why) from its pods.

    All the pods it wants ready (a Deployment: available) is ok; fewer is on its way, a warning, as
    kubectl's READY column `2/3` says. Both sources ask this.
    """
    if ready >= wanted:
        return "Available", Health.OK, ""
    return "Progressing", Health.WARNING, f"{ready} of {wanted} pods ready"


def service_health(ready_endpoints: int, service_type: str = "ClusterIP") -> tuple[str, Health, str]:
    """A Service's (status, health, why) from the ready endpoints its EndpointSlices hold.

    None ready: connections to it are refused (a warning). An ExternalName Service has no endpoints,
    only a DNS name, and is ok as it is.
    """
    if ready_endpoints or service_type == "ExternalName":
        return "Active", Health.OK, ""
    return "NoReadyEndpoints", Health.WARNING, "no ready endpoint: connections to the Service are refused"


def endpointslice_health(endpoints: int, ready: int) -> tuple[str, Health, str]:
    """An EndpointSlice's (status, health, why): any endpoint not ready makes it a warning; empty is ok."""
    if not endpoints:
        return "Empty", Health.OK, ""
    if ready == endpoints:
        return "Ready", Health.OK, ""
    return "NotReady", Health.WARNING, f"{endpoints - ready} of {endpoints} endpoints not ready"
