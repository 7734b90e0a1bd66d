"""The discrete-event engine: a virtual clock, a seeded RNG and Kubernetes' control loops.

Nothing here reads the wall clock or the global random module, so a scenario
and a seed give the same change stream every time. The engine is synchronous;
`explorer.sources.simulated.source` paces it against real time.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from explorer.model import ChangeType, ClusterState, Component, ComponentChange, Event
from explorer.model.images import registry_of
from explorer.sources.base import CommandError
from explorer.sources.simulated.scenarios import Scenario
from explorer.sources.simulated.world import (
    ControlPlaneMember,
    SimClaim,
    SimDeployment,
    SimNode,
    SimPod,
    SimStorageClass,
    SimVolume,
    registry_component,
)

__all__ = ["Engine", "parse_cpu", "parse_memory"]

EPOCH = datetime(2026, 1, 1, 9, 0, 0, tzinfo=UTC)

# Kubernetes' defaults (kubelet and kube-controller-manager documentation).
LEASE_RENEW_INTERVAL = 10.0  # kubelet renews its Lease every 10 s
NODE_MONITOR_PERIOD = 5.0  # the node lifecycle controller checks every 5 s
NODE_MONITOR_GRACE = 40.0  # and calls a node NotReady after 40 s of silence
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
# How far ahead a single step looks for something visible to happen.
STEP_HORIZON = 300.0
# The alphabet Kubernetes uses for generated names (no vowels, no look-alikes).
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def parse_cpu(value: str | int | float) -> int:
    """'250m' -> 250, '2' -> 2000 (millicores)."""
    text = str(value)
    if text.endswith("m"):
        return int(text[:-1])
    return int(float(text) * 1000)


_MEMORY_UNITS = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024 * 1024}


def parse_memory(value: str | int) -> int:
    """'128Mi' -> 128, '8Gi' -> 8192 (mebibytes)."""
    text = str(value)
    for suffix, factor in _MEMORY_UNITS.items():
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text) // (1024 * 1024)


class Engine:
    """One simulated cluster. Call `run_until`, `step` or `command`; each returns the changes it made."""

    def __init__(self, scenario: Scenario, seed: int = 1):
        self.scenario = scenario
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = 0.0
        self._queue: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._order = itertools.count()
        self._events: list[Event] = []
        self.nodes: dict[str, SimNode] = {}
        self.control_plane: dict[str, ControlPlaneMember] = {}
        self.deployments: dict[str, SimDeployment] = {}
        self.pods: dict[str, SimPod] = {}
        self.storage_classes: dict[str, SimStorageClass] = {}
        self.volumes: dict[str, SimVolume] = {}
        self.claims: dict[str, SimClaim] = {}
        self.registries: set[str] = set()  # the registries the scenario's images come from
        self.cluster_name = "sim"
        self._build(scenario.data)
        self._sent = self._project()

    # -- time and the event queue -------------------------------------------------

    def timestamp(self, at: float | None = None) -> str:
        moment = EPOCH + timedelta(seconds=self.clock if at is None else at)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def after(self, delay: float, action: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._queue, (self.clock + delay, next(self._order), action, args))

    def next_time(self) -> float | None:
        return self._queue[0][0] if self._queue else None

    def run_until(self, until: float) -> list[ComponentChange | Event]:
        """Process every event due by `until`, then set the clock to it."""
        changes: list[ComponentChange | Event] = []
        while self._queue and self._queue[0][0] <= until:
            changes.extend(self._process_next())
        self.clock = max(self.clock, until)
        return changes

    def step(self, horizon: float = STEP_HORIZON) -> list[ComponentChange | Event]:
        """Run to the next event that changes something visible, looking at most `horizon` seconds ahead.

        Heartbeats and controller ticks change nothing visible in a quiet cluster;
        stepping through them one by one would look to a class like a broken button.
        """
        limit = self.clock + horizon
        changes: list[ComponentChange | Event] = []
        while self._queue and not changes and self._queue[0][0] <= limit:
            changes.extend(self._process_next())
        if not changes:
            self.clock = max(self.clock, limit)
        return changes

    def _process_next(self) -> list[ComponentChange | Event]:
        at, _, action, args = heapq.heappop(self._queue)
        self.clock = at
        action(*args)
        return self._flush()

    # -- what the outside world sees ------------------------------------------------

    def state(self) -> ClusterState:
        return ClusterState(self._sent, cluster=self.cluster_name, source="sim")

    def _project(self) -> dict[str, Component]:
        components: list[Component] = []
        for node in self.nodes.values():
            components.extend(node.components())
        components.extend(m.component() for m in self.control_plane.values())
        components.extend(p.component() for p in self.pods.values())
        components.extend(s.component() for s in self.storage_classes.values())
        components.extend(v.component() for v in self.volumes.values())
        components.extend(c.component() for c in self.claims.values())
        components.extend(registry_component(host) for host in sorted(self.registries))
        return {c.id: c for c in components}

    def _flush(self) -> list[ComponentChange | Event]:
        """Diff the projection against what was sent; events follow the changes they explain."""
        current = self._project()
        now = self.timestamp()
        changes: list[ComponentChange | Event] = []
        for cid, component in current.items():
            before = self._sent.get(cid)
            if before is None:
                changes.append(ComponentChange(ChangeType.ADDED, component, now))
            elif before != component:
                changes.append(ComponentChange(ChangeType.UPDATED, component, now))
        for cid, component in self._sent.items():
            if cid not in current:
                changes.append(ComponentChange(ChangeType.REMOVED, component, now))
        self._sent = current
        changes.extend(self._events)
        self._events = []
        return changes

    def event(self, involved: str, reason: str, message: str, severity: str = "Normal") -> None:
        self._events.append(Event(reason, message, involved, self.timestamp(), severity))

    # -- building the cluster from the scenario -------------------------------------

    def _build(self, data: dict[str, Any]) -> None:
        cluster = data["cluster"]
        self.cluster_name = str(cluster.get("name", "sim"))
        for spec in cluster.get("controlPlane", []):
            node = self._add_node(spec, "control-plane")
            node.taints.append({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"})
            for kind in ("apiserver", "etcd", "scheduler", "controller-manager"):
                member = ControlPlaneMember(kind, node.name)
                self.control_plane[member.id] = member
        for spec in cluster.get("nodes", []):
            self._add_node(spec, "worker")
        for spec in data.get("storageClasses", []):
            sc = SimStorageClass(
                spec["name"],
                spec["provisioner"],
                spec.get("bindingMode", "WaitForFirstConsumer"),
                bool(spec.get("default", False)),
            )
            self.storage_classes[sc.name] = sc
        for spec in data.get("volumes", []):
            self.volumes[spec["name"]] = SimVolume(spec["name"], spec["storageClass"], str(spec["size"]))
        for spec in data.get("claims", []):
            claim = SimClaim(spec["namespace"], spec["name"], spec["storageClass"], str(spec["size"]))
            self.claims[f"{claim.namespace}/{claim.name}"] = claim
        for spec in data.get("workloads", []):
            self.registries.add(registry_of(spec["image"]))
            self.after(float(spec.get("at", 0)), self._create_workload, spec)
        for node in self.nodes.values():
            # Spread the first renewals so a thousand kubelets do not beat in step.
            self.after(self.rng.uniform(0, LEASE_RENEW_INTERVAL), self._renew_lease, node.name)
        self.after(NODE_MONITOR_PERIOD, self._monitor_nodes)
        for entry in data.get("timeline", []):
            self.after(float(entry["at"]), self._timeline_action, entry)

    def _add_node(self, spec: dict[str, Any], role: str) -> SimNode:
        labels = {"kubernetes.io/hostname": spec["name"], "topology.kubernetes.io/zone": spec.get("zone", "zone-a")}
        if role == "control-plane":
            labels["node-role.kubernetes.io/control-plane"] = ""
        node = SimNode(
            spec["name"], role, parse_cpu(spec.get("cpu", "4")), parse_memory(spec.get("memory", "8Gi")), labels
        )
        self.nodes[node.name] = node
        return node

    def _create_workload(self, spec: dict[str, Any]) -> None:
        kind = spec.get("kind", "Deployment")
        if kind == "Deployment":
            suffix = "".join(self.rng.choices(SAFE_ALPHABET, k=10))
            dep = SimDeployment(
                spec["namespace"],
                spec["name"],
                int(spec["replicas"]),
                spec["image"],
                parse_cpu(spec.get("cpu", "100m")),
                parse_memory(spec.get("memory", "128Mi")),
                suffix,
            )
            self.deployments[f"{dep.namespace}/{dep.name}"] = dep
            self.event(
                self._controller_manager_id(),
                "ScalingReplicaSet",
                f"Scaled up replica set {dep.name}-{dep.template_hash} to {dep.replicas}",
            )
            self._reconcile_deployment(f"{dep.namespace}/{dep.name}")
        elif kind == "Pod":
            pod = SimPod(
                spec["namespace"],
                spec["name"],
                "StatefulSet/" + spec["name"].rsplit("-", 1)[0],
                spec["image"],
                parse_cpu(spec.get("cpu", "100m")),
                parse_memory(spec.get("memory", "128Mi")),
                self.clock,
                claims=tuple(spec.get("claims", ())),
            )
            self._add_pod(pod)

    def _timeline_action(self, entry: dict[str, Any]) -> None:
        self.apply_command(dict(entry))

    # -- controllers ----------------------------------------------------------------

    def _add_pod(self, pod: SimPod) -> None:
        self.pods[pod.id] = pod
        self.after(0.05, self._schedule_pod, pod.id)

    def _reconcile_deployment(self, key: str) -> None:
        """The Deployment and ReplicaSet controllers, folded together: keep `replicas` pods alive."""
        dep = self.deployments.get(key)
        if dep is None or not self._member_up("controller-manager"):
            return
        owner = f"Deployment/{dep.name}"
        mine = [p for p in self.pods.values() if p.owner == owner and p.namespace == dep.namespace]
        for _ in range(dep.replicas - len(mine)):
            name = f"{dep.name}-{dep.template_hash}-{self._random_suffix()}"
            pod = SimPod(dep.namespace, name, owner, dep.image, dep.cpu_milli, dep.memory_mi, self.clock)
            self.event(pod.id, "SuccessfulCreate", f"Created pod: {name}")
            self._add_pod(pod)

    def _controller_manager_id(self) -> str:
        members = sorted(m.id for m in self.control_plane.values() if m.kind == "controller-manager")
        return members[0] if members else "controller-manager/managed"

    def _random_suffix(self) -> str:
        return "".join(self.rng.choices(SAFE_ALPHABET, k=5))

    def _member_up(self, kind: str) -> bool:
        return any(m.up for m in self.control_plane.values() if m.kind == kind)

    def _fits(self, node: SimNode, pod: SimPod) -> bool:
        used_cpu = sum(p.cpu_milli for p in self.pods.values() if p.node == node.name)
        used_mem = sum(p.memory_mi for p in self.pods.values() if p.node == node.name)
        return used_cpu + pod.cpu_milli <= node.cpu_milli and used_mem + pod.memory_mi <= node.memory_mi

    def _schedule_pod(self, pod_id: str) -> None:
        """kube-scheduler: filter nodes, score by least allocated, bind."""
        pod = self.pods.get(pod_id)
        if pod is None or pod.node is not None:
            return
        if not self._member_up("scheduler") or not self._member_up("apiserver"):
            self.after(5.0, self._schedule_pod, pod_id)
            return
        candidates = [
            n
            for n in self.nodes.values()
            if n.ready == "True"
            and not any(t["effect"] in {"NoSchedule", "NoExecute"} for t in n.taints)
            and self._fits(n, pod)
        ]
        if not candidates:
            total = len(self.nodes)
            self.event(
                pod.id,
                "FailedScheduling",
                f"0/{total} nodes are available: {total} node(s) didn't match the pod's requirements.",
                "Warning",
            )
            pod.reason = "Unschedulable"
            self.after(10.0, self._schedule_pod, pod_id)
            return

        def free_share(n: SimNode) -> float:
            used = sum(p.cpu_milli for p in self.pods.values() if p.node == n.name)
            return (n.cpu_milli - used) / n.cpu_milli

        unbound = [c for c in self._claims_of(pod) if c.volume is None]
        for claim in unbound:
            if not self._bind_claim(claim):
                self.event(
                    pod.id,
                    "FailedScheduling",
                    f"0/{len(self.nodes)} nodes are available: pod has unbound immediate PersistentVolumeClaims.",
                    "Warning",
                )
                pod.reason = f'persistentvolumeclaim "{claim.name}" is not bound'
                self.after(10.0, self._schedule_pod, pod_id)
                return

        best = max(candidates, key=lambda n: (free_share(n), n.name))
        pod.node = best.name
        pod.reason = ""
        self.event(pod.id, "Scheduled", f"Successfully assigned {pod.namespace}/{pod.name} to {best.name}")
        self.after(0.3, self._kubelet_start_pod, pod_id)

    def _claims_of(self, pod: SimPod) -> list[SimClaim]:
        return [
            self.claims[f"{pod.namespace}/{name}"] for name in pod.claims if f"{pod.namespace}/{name}" in self.claims
        ]

    def _bind_claim(self, claim: SimClaim) -> bool:
        """The PV controller: bind a claim to the smallest Available volume of its class that is big enough."""
        fitting = [
            v
            for v in self.volumes.values()
            if v.phase == "Available"
            and v.storage_class == claim.storage_class
            and parse_memory(v.size) >= parse_memory(claim.size)
        ]
        if not fitting:
            return False
        volume = min(fitting, key=lambda v: (parse_memory(v.size), v.name))
        volume.phase, volume.claim = "Bound", f"{claim.namespace}/{claim.name}"
        claim.volume = volume.name
        return True

    def _kubelet_start_pod(self, pod_id: str) -> None:
        pod = self.pods.get(pod_id)
        if pod is None or pod.node is None or not self.nodes[pod.node].machine_up:
            return
        node = self.nodes[pod.node]
        pod.status = "ContainerCreating"
        if pod.image in node.images:
            self.event(pod.id, "Pulled", f'Container image "{pod.image}" already present on machine')
            self.after(0.5, self._container_started, pod_id)
            return
        self.event(pod.id, "Pulling", f'Pulling image "{pod.image}"')
        self.after(round(self.rng.uniform(1.5, 6.0), 3), self._image_pulled, pod_id)

    def _image_pulled(self, pod_id: str) -> None:
        pod = self.pods.get(pod_id)
        if pod is None or pod.node is None or not self.nodes[pod.node].machine_up:
            return
        self.nodes[pod.node].images.add(pod.image)
        took = self.clock - pod.created
        self.event(pod.id, "Pulled", f'Successfully pulled image "{pod.image}" in {took:.3f}s')
        self.after(0.4, self._container_started, pod_id)

    def _container_started(self, pod_id: str) -> None:
        pod = self.pods.get(pod_id)
        if pod is None or pod.node is None or not self.nodes[pod.node].machine_up:
            return
        container = pod.name.split("-")[0]
        self.event(pod.id, "Created", f"Created container {container}")
        self.event(pod.id, "Started", f"Started container {container}")
        pod.phase = pod.status = "Running"
        pod.ready = True
        pod.reason = ""

    def _renew_lease(self, node_name: str) -> None:
        """kubelet's heartbeat loop, every LEASE_RENEW_INTERVAL."""
        self._heartbeat(self.nodes[node_name])
        self.after(LEASE_RENEW_INTERVAL, self._renew_lease, node_name)

    def _heartbeat(self, node: SimNode) -> None:
        """kubelet: renew the node's Lease; after a silence, post Ready again."""
        if node.machine_up and self._member_up("apiserver"):
            node.lease_renewed = self.clock
            if node.ready != "True":
                node.ready, node.ready_reason, node.ready_message = (
                    "True",
                    "KubeletReady",
                    "kubelet is posting ready status",
                )
                node.ready_since = self.clock
                self.event(node.id, "NodeReady", f"Node {node.name} status is now: NodeReady")

    def _monitor_nodes(self) -> None:
        """The node lifecycle controller: a node silent past the grace period becomes NotReady (Unknown)."""
        if self._member_up("controller-manager") and self._member_up("apiserver"):
            for node in self.nodes.values():
                silent = self.clock - node.lease_renewed
                if node.ready == "True" and silent > NODE_MONITOR_GRACE:
                    node.ready, node.ready_reason = "Unknown", "NodeStatusUnknown"
                    node.ready_message = "Kubelet stopped posting node status."
                    node.ready_since = self.clock
                    for effect in ("NoSchedule", "NoExecute"):
                        node.taints.append({"key": UNREACHABLE_TAINT, "effect": effect})
                    self.event(node.id, "NodeNotReady", f"Node {node.name} status is now: NodeNotReady", "Warning")
                    for pod in self.pods.values():
                        if pod.node == node.name and pod.ready:
                            pod.ready = False
                            pod.reason = "the node is unreachable; Ready condition set to False"
                elif node.ready == "True" and any(t["key"] == UNREACHABLE_TAINT for t in node.taints):
                    node.taints = [t for t in node.taints if t["key"] != UNREACHABLE_TAINT]
        self.after(NODE_MONITOR_PERIOD, self._monitor_nodes)

    # -- commands from the teacher ----------------------------------------------------

    def actions(self) -> list[str]:
        return ["pause", "resume", "step", "reset", "speed", "scenario", "node-down", "node-up"]

    def command(self, payload: dict[str, Any]) -> list[ComponentChange | Event]:
        """Apply an engine action now; raises CommandError with a clear message."""
        self.apply_command(payload)
        return self._flush()

    def apply_command(self, payload: dict[str, Any]) -> None:
        action = payload.get("action")
        if action in {"node-down", "node-up"}:
            node = self._node_arg(payload)
            if action == "node-down":
                self._node_down(node)
            else:
                self._node_up(node)
        else:
            raise CommandError(f"unknown action {action!r}; actions: {', '.join(self.actions())}")

    def _node_arg(self, payload: dict[str, Any]) -> SimNode:
        name = payload.get("node")
        if not isinstance(name, str) or name not in self.nodes:
            raise CommandError(f"unknown node {name!r}; nodes: {', '.join(self.nodes)}")
        return self.nodes[name]

    def _node_down(self, node: SimNode) -> None:
        """The machine stops: its kubelet falls silent and its containers die with it."""
        if not node.machine_up:
            return
        node.machine_up = False
        node.images.clear()

    def _node_up(self, node: SimNode) -> None:
        if node.machine_up:
            return
        node.machine_up = True
        self.event(node.id, "Starting", "Starting kubelet.")
        self._heartbeat(node)
        for pod in self.pods.values():
            if pod.node == node.name:
                pod.restarts += 1
                pod.status, pod.ready = "ContainerCreating", False
                self.after(0.3, self._kubelet_start_pod, pod.id)
