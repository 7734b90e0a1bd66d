"""The discrete-event engine: a virtual clock, a seeded RNG, the event queue, and the facade over the control loops.

Nothing here reads the wall clock or the global random module, so a scenario
and a seed give the same change stream every time. The engine is synchronous;
`explorer.sources.simulated.source` paces it against real time. The control
loops live in their own modules (scheduler, kubelet, node lifecycle,
workloads, storage, control plane) and act on the objects the engine holds.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import itertools
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from explorer.model import ChangeType, ClusterState, Component, ComponentChange, Event
from explorer.model.ids import component_id
from explorer.model.images import registry_of
from explorer.model.timestamps import iso_timestamp
from explorer.sources.base import CommandError
from explorer.sources.simulated.addresses import HostLocal, node_pod_cidr
from explorer.sources.simulated.control_plane import ControlPlane
from explorer.sources.simulated.controllers.network import NetworkControllers
from explorer.sources.simulated.controllers.node_lifecycle import (
    NODE_MONITOR_GRACE,
    NODE_MONITOR_PERIOD,
    NodeLifecycleController,
)
from explorer.sources.simulated.controllers.sets import OUT_OF_SERVICE_TAINT, PODGC_PERIOD, SetControllers
from explorer.sources.simulated.controllers.workloads import WorkloadControllers
from explorer.sources.simulated.kubelet import LEASE_RENEW_INTERVAL, Kubelet
from explorer.sources.simulated.scenarios import ACTIONS, Scenario, parse_cpu, parse_memory
from explorer.sources.simulated.scheduler import Scheduler, tolerates
from explorer.sources.simulated.storage import VolumeController
from explorer.sources.simulated.world import (
    ControlPlaneMember,
    PodTemplate,
    SimClaim,
    SimNode,
    SimPod,
    SimRegistry,
    SimStorageClass,
    SimVolume,
    Tracked,
)

__all__ = [
    "EPOCH",
    "LEASE_RENEW_INTERVAL",
    "NODE_MONITOR_GRACE",
    "NODE_MONITOR_PERIOD",
    "Engine",
    "parse_cpu",
    "parse_memory",
]

EPOCH = datetime(2026, 1, 1, 9, 0, 0, tzinfo=UTC)
# How far ahead a single step looks for something visible to happen.
STEP_HORIZON = 300.0
# The alphabet Kubernetes uses for generated names (no vowels, no look-alikes).
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane"

Change = ComponentChange | Event


def _taint(spec: dict[str, Any]) -> dict[str, str]:
    """A taint as the API shows it: the value only when it has one."""
    taint = {"key": str(spec["key"]), "effect": str(spec["effect"])}
    if spec.get("value"):
        taint["value"] = str(spec["value"])
    return taint


class Engine:
    """One simulated cluster. Call `run_until`, `step` or `command`; each returns the changes it made."""

    def __init__(self, scenario: Scenario, seed: int = 1):
        self.scenario = scenario
        self.seed = seed
        # The Kubernetes release followed, comparable: `engine.version >= (1, 32)`.
        self.version: tuple[int, int, int] = scenario.version
        self.rng = random.Random(seed)
        self.clock = 0.0
        self._stamp: tuple[float, str] = (-1.0, "")
        self._queue: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._order = itertools.count()
        self._events: list[Event] = []
        self._dirty: dict[str, Tracked | None] = {}
        self.nodes: dict[str, SimNode] = {}
        self.ipam: dict[str, HostLocal] = {}  # each node's CNI address pool
        self._node_count = 0
        self.pods: dict[str, SimPod] = {}
        self.storage_classes: dict[str, SimStorageClass] = {}
        self.volumes: dict[str, SimVolume] = {}
        self.claims: dict[str, SimClaim] = {}
        self.registries: set[str] = set()
        self.missing_images: set[str] = set()
        self.cluster_name = "sim"
        self.control = ControlPlane(self)
        self.scheduler = Scheduler(self)
        self.kubelet = Kubelet(self)
        self.lifecycle = NodeLifecycleController(self)
        self.workloads = WorkloadControllers(self)
        self.sets = SetControllers(self)
        self.network = NetworkControllers(self)
        self.storage = VolumeController(self)
        self._build(scenario.data)
        self._sent: dict[str, Component] = {}
        for obj in self._dirty.values():
            if obj is not None:
                for component in obj.components():
                    self._sent[component.id] = component
        self._dirty.clear()
        self._events.clear()

    # -- time and the event queue -------------------------------------------------

    def timestamp(self, at: float | None = None) -> str:
        at = self.clock if at is None else at
        if at != self._stamp[0]:
            moment = EPOCH + timedelta(seconds=at)
            self._stamp = (at, iso_timestamp(moment))
        return self._stamp[1]

    def after(self, delay: float, action: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._queue, (self.clock + max(delay, 0.0), next(self._order), action, args))

    def next_time(self) -> float | None:
        return self._queue[0][0] if self._queue else None

    def run_until(self, until: float, enough: Callable[[], bool] | None = None) -> list[Change]:
        """Process every event due by `until`, then set the clock to it.

        `enough`, asked after each event, may stop the run early (the server runs
        the engine in slices so its event loop keeps answering): the clock then
        stays at the last event processed and `due(until)` tells that more is left.
        """
        changes: list[Change] = []
        while self._queue and self._queue[0][0] <= until:
            changes.extend(self._process_next())
            if enough is not None and enough() and self._queue and self._queue[0][0] <= until:
                return changes
        self.clock = max(self.clock, until)
        return changes

    def due(self, until: float) -> bool:
        """Whether an event is waiting at or before `until` (or the clock has not reached it)."""
        return self.clock < until or bool(self._queue and self._queue[0][0] <= until)

    def step(self, horizon: float = STEP_HORIZON) -> list[Change]:
        """Run to the next event that changes something visible, looking at most `horizon` seconds ahead.

        Heartbeats and controller ticks change nothing visible in a quiet cluster;
        stepping through them one by one would look to a class like a broken button.
        """
        return self.step_until(self.clock + horizon)[0]

    def step_until(self, limit: float, enough: Callable[[], bool] | None = None) -> tuple[list[Change], bool]:
        """`step` up to the absolute time `limit`; answers the changes and whether the step is over.

        `enough` may stop it early, as for `run_until`; call again with the same limit to go on.
        """
        changes: list[Change] = []
        while self._queue and not changes and self._queue[0][0] <= limit:
            changes.extend(self._process_next())
            if not changes and enough is not None and enough():
                return changes, False
        if not changes:
            self.clock = max(self.clock, limit)
        return changes, True

    def _process_next(self) -> list[Change]:
        at, _, action, args = heapq.heappop(self._queue)
        self.clock = at
        action(*args)
        return self._flush()

    # -- what the outside world sees ------------------------------------------------

    def state(self) -> ClusterState:
        return ClusterState(self._sent, cluster=self.cluster_name, source="sim")

    def _tracked(self) -> list[Tracked]:
        objects: list[Tracked] = [*self.control.members.values(), *self.nodes.values()]
        objects.extend(self.pods.values())
        objects.extend(self.storage_classes.values())
        objects.extend(self.volumes.values())
        objects.extend(self.claims.values())
        return objects

    def _flush(self) -> list[Change]:
        """Project only the objects that changed; events follow the changes they explain."""
        if not self._dirty and not self._events:
            return []
        now = self.timestamp()
        changes: list[Change] = []
        sent = self._sent
        for key, obj in self._dirty.items():
            if obj is None:
                before = sent.pop(key, None)
                if before is not None:
                    changes.append(ComponentChange(ChangeType.REMOVED, before, now))
                continue
            for component in obj.components():
                previous = sent.get(component.id)
                if previous is None:
                    changes.append(ComponentChange(ChangeType.ADDED, component, now))
                elif previous != component:
                    changes.append(ComponentChange(ChangeType.UPDATED, component, now))
                else:
                    continue
                sent[component.id] = component
        self._dirty.clear()
        changes.extend(self._events)
        self._events = []
        return changes

    def event(self, involved: str, reason: str, message: str, severity: str = "Normal") -> None:
        self._events.append(Event(reason, message, involved, self.timestamp(), severity))

    def track(self, obj: Tracked) -> None:
        obj.attach(self._dirty)

    def untrack(self, obj: Tracked) -> None:
        obj.attach(None)
        self._dirty[obj.id] = None

    # -- names ------------------------------------------------------------------------

    def random_suffix(self, length: int = 5) -> str:
        return "".join(self.rng.choices(SAFE_ALPHABET, k=length))

    def uid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    @staticmethod
    @functools.lru_cache(maxsize=1024)
    def template_hash(template: PodTemplate) -> str:
        """A stable pod-template-hash: the same template always names the same ReplicaSet."""
        digest = hashlib.sha256(repr(template).encode()).digest()
        return "".join(SAFE_ALPHABET[b % len(SAFE_ALPHABET)] for b in digest[:10])

    # -- the pods' index ------------------------------------------------------------

    def add_pod(self, pod: SimPod) -> None:
        self.pods[pod.id] = pod
        self.track(pod)
        self.network.pod_added(pod)
        self.scheduler.enqueue(pod)

    def node_condition_changed(self, node: SimNode) -> None:
        """A node's Ready condition or taints moved: endpoints and daemons look again."""
        self.network.node_changed(node)
        self.sets.nodes_changed()

    def bind(self, pod: SimPod, node: SimNode) -> None:
        pod.node = node.name
        node.pods[pod.id] = None
        node.alloc_cpu += pod.template.cpu_milli
        node.alloc_memory += pod.template.memory_mi
        self.scheduler.sync_node(node, pod, 1)

    def remove_pod(self, pod: SimPod) -> None:
        """The pod object is gone from the apiserver: free its node's resources and tell its owner."""
        if self.pods.pop(pod.id, None) is None:
            return
        pod.generation += 1
        if pod.node is not None:
            node = self.nodes[pod.node]
            if pod.ip:
                self.ipam[pod.node].free(pod.ip)
            node.pods.pop(pod.id, None)
            node.alloc_cpu -= pod.template.cpu_milli
            node.alloc_memory -= pod.template.memory_mi
            self.scheduler.sync_node(node, pod, -1)
        self.untrack(pod)
        self.workloads.forget_pod(pod)
        self.network.pod_removed(pod)
        self.sets.pod_removed(pod)
        self.scheduler.capacity_freed()

    def delete_pod(self, pod: SimPod) -> None:
        """The apiserver sets the pod's deletionTimestamp; its kubelet must stop it and confirm."""
        if pod.deleting:
            return
        pod.deleting = True
        pod.status = "Terminating"
        self.set_ready(pod, False)
        self.workloads.pod_deleting(pod)
        self.network.pod_changed(pod)
        self.sets.pod_changed(pod)
        self.kubelet.stop_pod(pod)

    def add_registry(self, host: str) -> None:
        if host not in self.registries:
            self.registries.add(host)
            self.track(SimRegistry(host))

    def set_ready(self, pod: SimPod, ready: bool) -> None:
        if pod.ready != ready:
            pod.ready = ready
            pod.ready_since = self.clock if ready else None
            self.workloads.pod_readiness_changed(pod)
            self.network.pod_changed(pod)
            self.sets.pod_changed(pod)

    # -- building the cluster from the scenario -------------------------------------

    def _build(self, data: dict[str, Any]) -> None:
        cluster = data["cluster"]
        self.cluster_name = str(cluster.get("name", "sim"))
        self._node_count = len(cluster.get("controlPlane") or []) + len(cluster.get("nodes") or [])
        for spec in cluster.get("controlPlane") or []:
            node = self._add_node(spec, "control-plane")
            node.taints.append({"key": CONTROL_PLANE_TAINT, "effect": "NoSchedule"})
            for kind in ("apiserver", "etcd", "scheduler", "controller-manager"):
                member = ControlPlaneMember(kind, node.name)
                self.control.members[member.id] = member
        for spec in cluster.get("nodes") or []:
            self._add_node(spec, "worker")
        self.missing_images = {str(i) for i in data.get("missingImages") or []}
        for spec in data.get("storageClasses") or []:
            sc = SimStorageClass(
                spec["name"],
                spec["provisioner"],
                spec.get("bindingMode", "WaitForFirstConsumer"),
                bool(spec.get("default", False)),
            )
            self.storage_classes[sc.name] = sc
        for spec in data.get("volumes") or []:
            size = str(spec.get("size", "1Gi"))
            self.volumes[spec["name"]] = SimVolume(spec["name"], spec["storageClass"], parse_memory(size), size)
        for spec in data.get("claims") or []:
            size = str(spec.get("size", "1Gi"))
            claim = SimClaim(
                spec["namespace"], spec["name"], self.uid(), spec["storageClass"], parse_memory(size), size
            )
            self.claims[f"{claim.namespace}/{claim.name}"] = claim
        for obj in self._tracked():
            self.track(obj)
        self.control.start()
        for claim in self.claims.values():
            self.after(0.1, self.storage.sync_claim, claim.namespace + "/" + claim.name)
        for spec in data.get("services") or []:
            self.network.add_service(spec)
        for spec in data.get("workloads") or []:
            self.add_registry(registry_of(spec["image"]))
            self.after(float(spec.get("at", 0)), self._create_workload, spec)
        self.after(PODGC_PERIOD, self.sets.pod_gc)
        for node in self.nodes.values():
            # Spread the first renewals so a thousand kubelets do not beat in step.
            self.after(self.rng.uniform(0, LEASE_RENEW_INTERVAL), self.kubelet.renew_lease, node.name)
        self.after(NODE_MONITOR_PERIOD, self.lifecycle.monitor)
        for entry in data.get("timeline") or []:
            self.after(float(entry["at"]), self._timeline_action, dict(entry))

    def _add_node(self, spec: dict[str, Any], role: str) -> SimNode:
        labels = {
            "kubernetes.io/hostname": spec["name"],
            "kubernetes.io/os": "linux",
            "topology.kubernetes.io/zone": spec.get("zone", "zone-a"),
        }
        if role == "control-plane":
            labels["node-role.kubernetes.io/control-plane"] = ""
        labels.update({str(k): str(v) for k, v in (spec.get("labels") or {}).items()})
        node = SimNode(
            spec["name"],
            role,
            parse_cpu(spec.get("cpu", "4")),
            parse_memory(spec.get("memory", "8Gi")),
            int(spec.get("maxPods", 110)),
            labels,
            [_taint(t) for t in spec.get("taints") or []],
            bool(spec.get("unschedulable", False)),
            kubelet_version="v{}.{}.{}".format(*self.version),
            pod_cidr=node_pod_cidr(len(self.nodes), self._node_count),
        )
        self.nodes[node.name] = node
        self.ipam[node.name] = HostLocal(node.pod_cidr)
        return node

    def assign_ip(self, pod: SimPod) -> None:
        """The CNI's ADD for the pod's sandbox on its node: an address from the node's /24."""
        if not pod.ip and pod.node is not None:
            pod.ip = self.ipam[pod.node].take()

    def template_of(self, spec: dict[str, Any]) -> PodTemplate:
        tolerations = tuple(
            (str(t.get("key", "")), str(t.get("value", "")), str(t.get("effect", "")))
            for t in spec.get("tolerations") or []
        )
        crash = spec.get("crashAfter")
        liveness = spec.get("livenessFailsAfter")
        labels = spec.get("labels") or {}
        return PodTemplate(
            image=str(spec["image"]),
            cpu_milli=parse_cpu(spec.get("cpu", "100m")),
            memory_mi=parse_memory(spec.get("memory", "128Mi")),
            node_selector=tuple(sorted((str(k), str(v)) for k, v in (spec.get("nodeSelector") or {}).items())),
            tolerations=tolerations,
            claims=tuple(str(c) for c in spec.get("claims") or ()),
            crash_after=None if crash is None else float(crash),
            liveness_fails_after=None if liveness is None else float(liveness),
            # `kubectl create deployment` labels the pods app=<name>; a scenario may add its own.
            labels=tuple(sorted({"app": str(spec["name"]), **{str(k): str(v) for k, v in labels.items()}}.items())),
        )

    def _create_workload(self, spec: dict[str, Any]) -> None:
        template = self.template_of(spec)
        kind = spec.get("kind", "Deployment")
        if kind == "DaemonSet":
            self.sets.create_daemonset(spec["namespace"], spec["name"], template)
        elif kind == "StatefulSet":
            self.sets.create_statefulset(spec, template)
        elif kind == "Deployment":
            self.workloads.create_deployment(
                spec["namespace"],
                spec["name"],
                int(spec["replicas"]),
                template,
                spec.get("maxSurge", "25%"),
                spec.get("maxUnavailable", "25%"),
            )
        else:
            pod = SimPod(spec["namespace"], spec["name"], self.uid(), "", template, self.clock)
            pod.labels = dict(template.labels)
            self.add_pod(pod)

    def _timeline_action(self, entry: dict[str, Any]) -> None:
        entry.pop("at", None)
        try:
            self.apply_command(entry)
        except CommandError as error:
            # A scaled-down scenario may lack a node its timeline names: say so, go on.
            self.event(self.control.any_id("controller-manager"), "ScenarioActionSkipped", str(error), "Warning")

    # -- commands from the teacher ----------------------------------------------------

    def actions(self) -> list[str]:
        return ["pause", "resume", "step", "reset", "speed", "scenario", *ACTIONS]

    def command(self, payload: dict[str, Any]) -> list[Change]:
        """Apply an engine action now; raises CommandError with a clear message."""
        self.apply_command(payload)
        return self._flush()

    def apply_command(self, payload: dict[str, Any]) -> None:
        action = payload.get("action")
        if action in {"node-down", "node-up", "cordon", "uncordon"}:
            node = self._node_arg(payload)
            if action == "node-down":
                self.kubelet.machine_down(node)
            elif action == "node-up":
                self.kubelet.machine_up(node)
            else:
                self.kubelet.set_unschedulable(node, action == "cordon")
        elif action in {"out-of-service", "in-service"}:
            self._out_of_service(self._node_arg(payload), action == "out-of-service")
        elif action == "force-delete":
            self._force_delete(payload.get("pod"))
        elif action in {"stop", "start"} and str(payload.get("component", "")).startswith("kube-proxy/"):
            self.network.command(action, self._node_arg({"node": str(payload["component"]).split("/", 1)[1]}))
        elif action == "set-image" and "daemonset" in payload:
            self.sets.set_image(payload)
        elif action == "scale" and "statefulset" in payload:
            self.sets.scale(payload)
        elif action in {"stop", "start"}:
            member = self.control.member_arg(payload.get("component"))
            if action == "stop":
                self.control.stop(member, graceful=payload.get("graceful") is True)
            else:
                self.control.start_member(member)
        elif action in {"scale", "set-image"}:
            self.workloads.command(action, payload)
        else:
            raise CommandError(f"unknown action {action!r}; actions: {', '.join(self.actions())}")

    def _out_of_service(self, node: SimNode, on: bool) -> None:
        """The node.kubernetes.io/out-of-service taint an operator sets on a node that is truly down."""
        if not self.control.api_ok():
            raise CommandError("the apiserver is not answering, so the node cannot be tainted")
        if on == node.has_taint(OUT_OF_SERVICE_TAINT):
            return
        if on:
            node.taints = [*node.taints, {"key": OUT_OF_SERVICE_TAINT, "value": "nodeshutdown", "effect": "NoExecute"}]
            taint = node.taints[-1]
            # The taint manager evicts every pod that does not tolerate the NoExecute taint, at once.
            for pod_id in list(node.pods):
                pod = self.pods[pod_id]
                if not pod.deleting and not tolerates(pod.template, taint):
                    self.event(pod.id, "TaintManagerEviction", f"Marking for deletion Pod {pod.namespace}/{pod.name}")
                    self.delete_pod(pod)
        else:
            node.taints = [t for t in node.taints if t["key"] != OUT_OF_SERVICE_TAINT]
            self.scheduler.capacity_freed()
        self.scheduler.nodes_changed()
        self.node_condition_changed(node)

    def _force_delete(self, name: Any) -> None:
        """`kubectl delete pod --force --grace-period=0`: the object goes without its kubelet's word."""
        key = component_id("pod", *reversed(name.split("/", 1))) if isinstance(name, str) and "/" in name else ""
        pod = self.pods.get(key)
        if pod is None:
            raise CommandError(f"unknown pod {name!r} (write it namespace/name)")
        if not self.control.api_ok():
            raise CommandError("the apiserver is not answering, so the pod cannot be deleted")
        self.event(pod.id, "ForceDeleted", f"Pod {pod.namespace}/{pod.name} deleted without waiting for its kubelet")
        self.remove_pod(pod)

    def _node_arg(self, payload: dict[str, Any]) -> SimNode:
        name = payload.get("node")
        if not isinstance(name, str) or name not in self.nodes:
            known = list(self.nodes)
            shown = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
            raise CommandError(f"unknown node {name!r}; nodes: {shown}")
        return self.nodes[name]

    def deployments_names(self) -> list[str]:
        """The Deployments there are, and those the scenario will create."""
        planned = {
            f"{w['namespace']}/{w['name']}"
            for w in self.scenario.data.get("workloads") or []
            if w.get("kind", "Deployment") == "Deployment"
        }
        return sorted(planned | set(self.workloads.deployments))

    def faults(self) -> dict[str, list[str]]:
        """What the page's controls may offer: nodes, control-plane members, deployments."""
        return {
            "nodes": sorted(self.nodes),
            "components": sorted(self.control.members),
            "deployments": self.deployments_names(),
        }
