"""kube-scheduler: filter the nodes, score the feasible ones (least allocated), bind.

The filters run in the default plugin order (NodeUnschedulable,
TaintToleration, NodeAffinity, NodeResourcesFit, VolumeBinding) and the first
one that rejects a node gives that node's reason, so FailedScheduling reads as
kube-scheduler writes it. Like the real scheduler on a big cluster, it stops
filtering once it has found `percentageOfNodesToScore` feasible nodes and
starts the next pod where the last search stopped, and it keeps each node's
allocated requests as running totals: scheduling a pod never walks every pod.

The common case (some node fits) runs over NumPy arrays of those totals and
of a cached per-template mask of the filters that do not depend on resources;
only a pod that fits nowhere walks the nodes one by one to count the reasons.
Both paths apply the same filters in the same order and pick the same node.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.sources.simulated.world import PodTemplate, SimNode, SimPod

if TYPE_CHECKING:
    from explorer.sources.simulated.engine import Engine

__all__ = ["Scheduler", "nodes_to_find", "tolerates"]

# The watch delivers a new pod to the scheduler's queue within a moment.
QUEUE_DELAY = 0.05
# Unschedulable pods are retried on a cluster event, and at the latest after podMaxInUnschedulablePodsDuration.
MAX_UNSCHEDULABLE_WAIT = 300.0
EVENT_FLUSH_DELAY = 1.0
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
UNRESOLVABLE_PREFIXES = ("node(s) had untolerated", "node(s) were unschedulable", "node(s) didn't match")


def nodes_to_find(total: int) -> int:
    """numFeasibleNodesToFind with the default adaptive percentageOfNodesToScore."""
    if total < 100:
        return total
    percentage = max(50 - total // 125, 5)
    return max(total * percentage // 100, 100)


def tolerates(template: PodTemplate, taint: dict[str, str]) -> bool:
    for key, value, effect in template.tolerations:
        matches_key = not key or key == taint["key"]
        if matches_key and (not effect or effect == taint["effect"]) and (not value or value == taint.get("value", "")):
            return True
    return False


class Scheduler:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._next_start = 0
        self.unschedulable: dict[str, None] = {}
        self._flush_pending = False
        self._periodic_pending = False
        self._binding: set[str] = set()
        self._arrays: dict[str, Any] | None = None
        self._index: dict[str, int] = {}
        self._nodes: list[SimNode] = []
        self._static: dict[Any, Any] = {}  # (template filters) -> mask, cleared when a node's taints change

    # -- the running totals, as arrays -------------------------------------------------

    def _ensure_arrays(self) -> dict[str, Any]:
        if self._arrays is None or len(self._index) != len(self.engine.nodes):
            nodes = self._nodes = list(self.engine.nodes.values())
            self._index = {n.name: i for i, n in enumerate(nodes)}

            def column(attribute: str) -> Any:
                return np.array([getattr(n, attribute) for n in nodes], dtype=np.int64)

            cap_cpu, cap_mem, max_pods = column("cpu_milli"), column("memory_mi"), column("max_pods")
            self._arrays = {
                "cap_cpu": cap_cpu,
                "cap_mem": cap_mem,
                "free_cpu": cap_cpu - column("alloc_cpu"),
                "free_mem": cap_mem - column("alloc_memory"),
                "free_pods": max_pods - np.array([len(n.pods) for n in nodes], dtype=np.int64),
                "max_pods": max_pods,
            }
            self._static.clear()
        return self._arrays

    def sync_node(self, node: SimNode) -> None:
        """A node's allocated totals changed: keep the arrays in step."""
        if self._arrays is None:
            return
        i = self._index[node.name]
        arrays = self._arrays
        arrays["free_cpu"][i] = node.cpu_milli - node.alloc_cpu
        arrays["free_mem"][i] = node.memory_mi - node.alloc_memory
        arrays["free_pods"][i] = node.max_pods - len(node.pods)

    def nodes_changed(self) -> None:
        """A node's taints, cordon or readiness changed: the cached filter masks are stale."""
        self._static.clear()

    def _static_reason(self, node: SimNode, template: PodTemplate) -> str | None:
        """The first of NodeUnschedulable, TaintToleration and NodeAffinity that rejects the node."""
        tolerations = template.tolerations
        if node.unschedulable and not any(k in ("", UNSCHEDULABLE_TAINT) for k, _, _ in tolerations):
            return "node(s) were unschedulable"
        for taint in node.taints:
            if taint["effect"] != "PreferNoSchedule" and not (tolerations and tolerates(template, taint)):
                return f"node(s) had untolerated taint {{{taint['key']}: {taint.get('value', '')}}}"
        if template.node_selector and any(node.labels.get(k) != v for k, v in template.node_selector):
            return "node(s) didn't match Pod's node affinity/selector"
        return None

    def _static_mask(self, template: PodTemplate) -> Any:
        key = (template.node_selector, template.tolerations)
        mask = self._static.get(key)
        if mask is None:
            mask = np.array([self._static_reason(n, template) is None for n in self.engine.nodes.values()], dtype=bool)
            self._static[key] = mask
        return mask

    def _pick(self, pod: SimPod) -> SimNode | None:
        """Filter and score over the arrays; None when no node fits (the slow path then says why)."""
        arrays = self._ensure_arrays()
        total = len(self._index)
        if total == 0 or not self.engine.storage.volumes_fit(pod):
            return None
        t = pod.template
        fits = self._static_mask(t) & (arrays["free_pods"] >= 1)
        fits &= arrays["free_cpu"] >= t.cpu_milli
        fits &= arrays["free_mem"] >= t.memory_mi
        feasible = np.flatnonzero(fits)
        if feasible.size == 0:
            return None
        # Walk the feasible nodes in the order a search starting at `_next_start` meets them.
        start = self._next_start % total
        split = int(np.searchsorted(feasible, start))
        ordered = np.concatenate((feasible[split:], feasible[:split])) if split else feasible
        wanted = nodes_to_find(total)
        if ordered.size >= wanted:
            chosen = ordered[:wanted]
            processed = (int(chosen[-1]) - start) % total + 1
        else:
            chosen, processed = ordered, total
        cpu_score = (arrays["free_cpu"][chosen] - t.cpu_milli) * 100 // arrays["cap_cpu"][chosen]
        mem_score = (arrays["free_mem"][chosen] - t.memory_mi) * 100 // arrays["cap_mem"][chosen]
        best = int(chosen[int(np.argmax((cpu_score + mem_score) // 2))])
        self._next_start = (start + processed) % total
        return self._nodes[best]

    @property
    def instance_id(self) -> str:
        return self.engine.control.leader_id("scheduler")

    def enqueue(self, pod: SimPod) -> None:
        self.engine.after(QUEUE_DELAY, self.schedule, pod.id)

    def retry_all(self) -> None:
        waiting, self.unschedulable = list(self.unschedulable), {}
        for pod_id in waiting:
            self.engine.after(0.0, self.schedule, pod_id)

    def capacity_freed(self) -> None:
        """A cluster event that may make a waiting pod fit: retry them shortly (once per burst)."""
        if self.unschedulable and not self._flush_pending:
            self._flush_pending = True
            self.engine.after(EVENT_FLUSH_DELAY, self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        self.retry_all()

    def _periodic(self) -> None:
        self._periodic_pending = False
        self.retry_all()

    def _park(self, pod: SimPod) -> None:
        self.unschedulable[pod.id] = None
        if not self._periodic_pending:
            self._periodic_pending = True
            self.engine.after(MAX_UNSCHEDULABLE_WAIT, self._periodic)

    # -- one scheduling cycle ---------------------------------------------------------

    def schedule(self, pod_id: str) -> None:
        engine = self.engine
        pod = engine.pods.get(pod_id)
        if pod is None or pod.node is not None or pod.deleting or pod_id in self._binding:
            return
        if not engine.control.active("scheduler"):
            # Nobody is scheduling: the pod waits in the (absent) scheduler's queue, Pending, without a word.
            self.unschedulable[pod_id] = None
            return
        total = len(engine.nodes)
        blocked = engine.storage.prefilter(pod)
        if blocked:
            self._fail(pod, f"0/{total} nodes are available: {blocked}.", Counter({"unresolvable": total}))
            return
        best = self._pick(pod)
        if best is None:
            _, reasons = self._filter(pod)
            preemption: Counter[str] = Counter()
            for reason, count in reasons.items():
                unresolvable = reason.startswith(UNRESOLVABLE_PREFIXES) or "persistent volumes" in reason
                preemption["unresolvable" if unresolvable else "resources"] += count
            histogram = ", ".join(sorted(f"{count} {reason}" for reason, count in reasons.items()))
            self._fail(pod, f"0/{total} nodes are available: {histogram}.", preemption)
            return
        delay = engine.storage.prebind(pod, best)
        if delay:
            # VolumeBinding's PreBind waits for the provisioner; the node's resources are reserved meanwhile.
            self._binding.add(pod.id)
            best.pods[pod.id] = None
            best.alloc_cpu += pod.template.cpu_milli
            best.alloc_memory += pod.template.memory_mi
            self.sync_node(best)
            engine.after(delay, self._finish_bind, pod.id, best.name, pod.template)
            return
        self._bind(pod, best)

    def _finish_bind(self, pod_id: str, node_name: str, template: PodTemplate) -> None:
        self._binding.discard(pod_id)
        node = self.engine.nodes[node_name]
        node.pods.pop(pod_id, None)
        node.alloc_cpu -= template.cpu_milli
        node.alloc_memory -= template.memory_mi
        self.sync_node(node)
        pod = self.engine.pods.get(pod_id)
        if pod is None or pod.deleting or pod.node is not None:
            return
        if not self.engine.control.active("scheduler"):
            self.unschedulable[pod_id] = None
            return
        self._bind(pod, node)

    def _bind(self, pod: SimPod, node: SimNode) -> None:
        engine = self.engine
        engine.bind(pod, node)
        pod.reason = ""
        engine.event(pod.id, "Scheduled", f"Successfully assigned {pod.namespace}/{pod.name} to {node.name}")
        engine.kubelet.pod_assigned(pod)

    def _fail(self, pod: SimPod, message: str, preemption: Counter[str]) -> None:
        total = len(self.engine.nodes)
        parts = []
        if preemption["unresolvable"]:
            parts.append(f"{preemption['unresolvable']} Preemption is not helpful for scheduling")
        if preemption["resources"]:
            parts.append(f"{preemption['resources']} No preemption victims found for incoming pod")
        full = f"{message} preemption: 0/{total} nodes are available: {', '.join(sorted(parts))}."
        pod.reason = full
        self.engine.event(pod.id, "FailedScheduling", full, "Warning")
        self._park(pod)

    def _filter(self, pod: SimPod) -> tuple[list[SimNode], Counter[str]]:
        template = pod.template
        cpu, memory = template.cpu_milli, template.memory_mi
        volumes_ok = self.engine.storage.volumes_fit(pod)
        nodes = list(self.engine.nodes.values())
        total = len(nodes)
        wanted = nodes_to_find(total)
        feasible: list[SimNode] = []
        reasons: Counter[str] = Counter()
        start = self._next_start
        processed = 0
        while processed < total and len(feasible) < wanted:
            node = nodes[(start + processed) % total]
            processed += 1
            static = self._static_reason(node, template)
            if static is not None:
                reasons[static] += 1
                continue
            short = False
            if len(node.pods) + 1 > node.max_pods:
                reasons["Too many pods"] += 1
                short = True
            if node.alloc_cpu + cpu > node.cpu_milli:
                reasons["Insufficient cpu"] += 1
                short = True
            if node.alloc_memory + memory > node.memory_mi:
                reasons["Insufficient memory"] += 1
                short = True
            if short:
                continue
            if not volumes_ok:
                reasons["node(s) didn't find available persistent volumes to bind"] += 1
                continue
            feasible.append(node)
        self._next_start = (start + processed) % total if total else 0
        return feasible, reasons
