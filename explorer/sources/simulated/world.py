"""The simulated cluster's Kubernetes objects, and how each is drawn as a Component.

These are mutable, engine-private records; the engine turns them into frozen
Components (the projection) after every step and diffs against what it sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from explorer.model import Component, Health
from explorer.model.ids import component_id, node_agent_id

__all__ = [
    "ControlPlaneMember",
    "SimClaim",
    "SimDeployment",
    "SimNode",
    "SimPod",
    "SimStorageClass",
    "SimVolume",
]


@dataclass
class SimNode:
    name: str
    role: str  # "control-plane" or "worker"
    cpu_milli: int
    memory_mi: int
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict[str, str]] = field(default_factory=list)
    machine_up: bool = True  # ground truth: is the machine (and its kubelet) running
    ready: str = "True"  # the Ready condition as the apiserver holds it: True, False, Unknown
    ready_reason: str = "KubeletReady"
    ready_message: str = "kubelet is posting ready status"
    ready_since: float = 0.0
    lease_renewed: float = 0.0
    runtime_version: str = "containerd://1.7.22"
    kubelet_version: str = "v1.31.2"
    images: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        return component_id("node", self.name)

    def components(self) -> list[Component]:
        ready = self.ready == "True"
        node = Component(
            id=self.id,
            kind="node",
            name=self.name,
            status="Ready" if ready else "NotReady",
            health=Health.OK if ready else Health.ERROR,
            detail={
                "role": self.role,
                "conditions": {
                    "Ready": {"status": self.ready, "reason": self.ready_reason, "message": self.ready_message}
                },
                "capacity": {"cpu": f"{self.cpu_milli}m", "memory": f"{self.memory_mi}Mi"},
                "taints": [dict(t) for t in self.taints],
                "labels": dict(self.labels),
                "why": "" if ready else f"{self.ready_reason}: {self.ready_message}",
            },
        )
        up = self.machine_up
        agent_status, agent_health = ("Running", Health.OK) if up else ("Stopped", Health.ERROR)
        why = "" if up else "the machine is down (the simulation's ground truth)"
        kubelet = Component(
            node_agent_id("kubelet", self.name),
            "kubelet",
            self.name,
            agent_status,
            agent_health,
            parent=self.id,
            detail={"version": self.kubelet_version, "why": why},
        )
        proxy = Component(
            node_agent_id("kube-proxy", self.name),
            "kube-proxy",
            self.name,
            agent_status,
            agent_health,
            parent=self.id,
            detail={"version": self.kubelet_version, "mode": "iptables", "why": why},
        )
        runtime = Component(
            node_agent_id("runtime", self.name),
            "runtime",
            self.name,
            agent_status,
            agent_health,
            parent=self.id,
            detail={"version": self.runtime_version, "why": why},
        )
        return [node, kubelet, proxy, runtime]


@dataclass
class ControlPlaneMember:
    kind: str  # apiserver, etcd, scheduler, controller-manager
    node: str
    up: bool = True

    @property
    def id(self) -> str:
        return component_id(self.kind, self.node)

    def component(self) -> Component:
        if not self.up:
            return Component(
                self.id,
                self.kind,
                self.node,
                "Down",
                Health.ERROR,
                parent=f"node/{self.node}",
                detail={"why": f"{self.kind} is not running"},
            )
        status = "Running" if self.kind == "apiserver" else "Leader"
        return Component(self.id, self.kind, self.node, status, Health.OK, parent=f"node/{self.node}", detail={})


@dataclass
class SimDeployment:
    namespace: str
    name: str
    replicas: int
    image: str
    cpu_milli: int
    memory_mi: int
    template_hash: str


@dataclass
class SimPod:
    namespace: str
    name: str
    owner: str  # "Deployment/web", "StatefulSet/db"
    image: str
    cpu_milli: int
    memory_mi: int
    created: float
    claims: tuple[str, ...] = ()
    node: str | None = None
    phase: str = "Pending"
    status: str = "Pending"  # what kubectl's STATUS column would say
    reason: str = ""
    ready: bool = False
    restarts: int = 0

    @property
    def id(self) -> str:
        return component_id("pod", self.name, self.namespace)

    def component(self) -> Component:
        if self.status == "Running" and self.ready:
            health = Health.OK
        elif self.status in {"CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "Failed", "Error"}:
            health = Health.ERROR
        else:
            health = Health.WARNING
        return Component(
            id=self.id,
            kind="pod",
            name=self.name,
            namespace=self.namespace,
            parent=f"node/{self.node}" if self.node else None,
            status=self.status,
            health=health,
            detail={
                "phase": self.phase,
                "owner": self.owner,
                "node": self.node,
                "images": [self.image],
                "claims": list(self.claims),
                "ready": self.ready,
                "restarts": self.restarts,
                "requests": {"cpu": f"{self.cpu_milli}m", "memory": f"{self.memory_mi}Mi"},
                "why": self.reason,
            },
        )


@dataclass
class SimStorageClass:
    name: str
    provisioner: str
    binding_mode: str = "WaitForFirstConsumer"
    default: bool = False

    def component(self) -> Component:
        return Component(
            component_id("storageclass", self.name),
            "storageclass",
            self.name,
            "Available",
            Health.OK,
            detail={"provisioner": self.provisioner, "volumeBindingMode": self.binding_mode, "default": self.default},
        )


@dataclass
class SimVolume:
    name: str
    storage_class: str
    size: str
    claim: str | None = None  # "namespace/name"
    phase: str = "Available"

    def component(self) -> Component:
        return Component(
            component_id("pv", self.name),
            "pv",
            self.name,
            self.phase,
            Health.OK if self.phase in {"Bound", "Available"} else Health.WARNING,
            detail={"storageClass": self.storage_class, "capacity": self.size, "claim": self.claim},
        )


@dataclass
class SimClaim:
    namespace: str
    name: str
    storage_class: str
    size: str
    volume: str | None = None

    def component(self) -> Component:
        bound = self.volume is not None
        return Component(
            component_id("pvc", self.name, self.namespace),
            "pvc",
            self.name,
            "Bound" if bound else "Pending",
            Health.OK if bound else Health.WARNING,
            namespace=self.namespace,
            detail={"storageClass": self.storage_class, "capacity": self.size, "volume": self.volume},
        )


def registry_component(host: str) -> Component:
    detail: dict[str, Any] = {"host": host}
    return Component(component_id("registry", host), "registry", host, "Reachable", Health.OK, detail=detail)
