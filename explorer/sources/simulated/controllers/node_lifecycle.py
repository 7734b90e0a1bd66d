"""The node lifecycle controller and its taint-based eviction.

It watches each node's Lease. A node whose Lease has not moved for the
grace period (node-monitor-grace-period: 40 s up to v1.31, 50 s from v1.32,
kubernetes PR #126287, pkg/controller/nodelifecycle/config/v1alpha1/defaults.go)
gets Ready=Unknown and the
`node.kubernetes.io/unreachable` taints; its pods turn not ready. Pods carry
the default 300 s toleration for that taint (DefaultTolerationSeconds), so
after it they are marked for deletion; they stay Terminating because the
node's kubelet cannot confirm, and their ReplicaSets replace them elsewhere.
Silence is measured from when this controller last saw the Lease move, so
after an apiserver outage every node gets a fresh grace period.

Eviction deadlines live only in the controller's memory, as in Kubernetes'
taint-eviction controller (pkg/controller/tainteviction/taint_eviction.go):
a controller-manager that starts afresh sees each tainted node's pods anew
and schedules them for now + tolerationSeconds, never from the taint's time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.sources.simulated.world import SimNode

if TYPE_CHECKING:
    from explorer.sources.simulated.engine import Engine

__all__ = [
    "DEFAULT_TOLERATION_SECONDS",
    "NODE_MONITOR_GRACE",
    "NODE_MONITOR_GRACE_BEFORE_1_32",
    "NODE_MONITOR_PERIOD",
    "UNREACHABLE_TAINT",
    "NodeLifecycleController",
    "node_monitor_grace",
]

NODE_MONITOR_PERIOD = 5.0  # --node-monitor-period
NODE_MONITOR_GRACE = 50.0  # --node-monitor-grace-period's default from v1.32
NODE_MONITOR_GRACE_BEFORE_1_32 = 40.0
DEFAULT_TOLERATION_SECONDS = 300.0  # the DefaultTolerationSeconds admission plugin
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"


def node_monitor_grace(version: tuple[int, ...]) -> float:
    """The default node-monitor-grace-period of a Kubernetes release: 50 s from v1.32 (PR #126287)."""
    return NODE_MONITOR_GRACE if version >= (1, 32) else NODE_MONITOR_GRACE_BEFORE_1_32


class NodeLifecycleController:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.grace = node_monitor_grace(engine.version)
        self._observed: dict[str, tuple[float, float]] = {}  # node -> (lease renewTime, when we saw it change)
        self._tainted_at: dict[str, float] = {}

    def relist(self) -> None:
        now = self.engine.clock
        self._observed = {name: (node.lease_renewed, now) for name, node in self.engine.nodes.items()}

    def restarted(self) -> None:
        """A new controller-manager took the Lease: its taint manager plans every eviction from now."""
        now = self.engine.clock
        for name in self._tainted_at:
            self._tainted_at[name] = now
            self.engine.after(DEFAULT_TOLERATION_SECONDS, self._evict, name, now)

    def monitor(self) -> None:
        engine = self.engine
        engine.after(NODE_MONITOR_PERIOD, self.monitor)
        if not engine.control.active("controller-manager"):
            return
        now = engine.clock
        observed = self._observed
        for name, node in engine.nodes.items():
            lease = node.lease_renewed
            seen = observed.get(name)
            if seen is None or seen[0] != lease:
                observed[name] = (lease, now)
                seen_at = now
            else:
                seen_at = seen[1]
            if node.ready == "True":
                if now - seen_at > self.grace:
                    self._mark_unknown(node)
                elif name in self._tainted_at:
                    self.node_ready(node)

    def node_ready(self, node: SimNode) -> None:
        """The node posts Ready again: lift the unreachable taints (once the controller runs)."""
        if not self.engine.control.active("controller-manager"):
            return
        if self._tainted_at.pop(node.name, None) is not None or node.has_taint(UNREACHABLE_TAINT):
            node.taints = [t for t in node.taints if t["key"] != UNREACHABLE_TAINT]
            self.engine.scheduler.nodes_changed()
            self.engine.scheduler.capacity_freed()

    def _mark_unknown(self, node: SimNode) -> None:
        engine = self.engine
        node.ready, node.ready_reason = "Unknown", "NodeStatusUnknown"
        node.ready_message = "Kubelet stopped posting node status."
        node.taints = [
            *node.taints,
            {"key": UNREACHABLE_TAINT, "effect": "NoSchedule"},
            {"key": UNREACHABLE_TAINT, "effect": "NoExecute"},
        ]
        engine.scheduler.nodes_changed()
        engine.node_condition_changed(node)
        engine.event(node.id, "NodeNotReady", f"Node {node.name} status is now: NodeNotReady")
        stamp = engine.clock
        self._tainted_at[node.name] = stamp
        for pod_id in node.pods:
            pod = engine.pods[pod_id]
            if pod.ready:
                engine.set_ready(pod, False)
                pod.reason = "the node is unreachable; Ready condition set to False"
                engine.event(pod.id, "NodeNotReady", "Node is not ready", "Warning")
        engine.after(DEFAULT_TOLERATION_SECONDS, self._evict, node.name, stamp)

    def _evict(self, node_name: str, stamp: float) -> None:
        engine = self.engine
        if self._tainted_at.get(node_name) != stamp:
            return
        if not engine.control.active("controller-manager"):
            # The leader cannot reach the apiserver for now: its deletion call is retried. (A new
            # leader replaces this deadline with its own, see `restarted`.)
            engine.after(NODE_MONITOR_PERIOD, self._evict, node_name, stamp)
            return
        node = engine.nodes[node_name]
        for pod_id in list(node.pods):
            pod = engine.pods[pod_id]
            if pod.deleting or any(
                key == UNREACHABLE_TAINT and effect in ("", "NoExecute") for key, _, effect in pod.template.tolerations
            ):
                continue
            engine.event(pod.id, "TaintManagerEviction", f"Marking for deletion Pod {pod.namespace}/{pod.name}")
            engine.delete_pod(pod)
