"""The Deployment and ReplicaSet controllers.

A Deployment owns one ReplicaSet per pod template (named by the template's
hash). Changing the template starts a rolling update: the new ReplicaSet
grows by at most maxSurge above the desired count and the old ones shrink
only while at least `replicas - maxUnavailable` pods stay available. A
ReplicaSet keeps its count of live pods (not being deleted) equal to its
desired count. Work is queued and coalesced like the controllers' work queues.

Scaling down, a ReplicaSet deletes the pods ActivePodsWithRanks puts first
(pkg/controller/controller_utils.go, with getPodsToDelete and
getPodsRankedByRelatedPodsOnSameNode in pkg/controller/replicaset/replica_set.go).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import Counter
from typing import TYPE_CHECKING, Any

from explorer.model.ids import component_id
from explorer.model.images import registry_of
from explorer.sources.base import CommandError
from explorer.sources.simulated.world import PodTemplate, SimDeployment, SimPod, SimReplicaSet

if TYPE_CHECKING:
    from explorer.sources.simulated.engine import Engine

__all__ = ["BURST_REPLICAS", "WorkloadControllers", "deletion_order", "resolve_fraction"]

# The ReplicaSet controller creates or deletes at most this many pods per sync (burstReplicas).
BURST_REPLICAS = 500
MAX_REPLICAS = 100_000


def resolve_fraction(value: int | str, total: int, round_up: bool) -> int:
    """maxSurge / maxUnavailable: an absolute number or a percentage of the desired replicas."""
    if isinstance(value, str) and value.endswith("%"):
        exact = total * float(value[:-1]) / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


# podPhaseToOrdinal: Pending < Unknown < Running.
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def _log_rank(then: float, now: float) -> int:
    """logarithmicRankDiff's bucket: floor(log2) of the age in nanoseconds, -1 for no age."""
    age = round((now - then) * 1e9)
    return int(math.log2(age)) if age > 0 else -1


def _compare(a: tuple[SimPod, int], b: tuple[SimPod, int], now: float) -> int:
    """ActivePodsWithRanks.Less (LogarithmicScaleDown and PodDeletionCost on, their defaults): <0 if a goes first."""
    (p, rank_p), (q, rank_q) = a, b
    # 1. Unassigned before assigned.
    if p.node != q.node and (p.node is None or q.node is None):
        return -1 if p.node is None else 1
    # 2. Pending before Unknown before Running.
    phase_p, phase_q = _PHASE_ORDINAL.get(p.phase, 0), _PHASE_ORDINAL.get(q.phase, 0)
    if phase_p != phase_q:
        return -1 if phase_p < phase_q else 1
    # 3. Not ready before ready.
    if p.ready != q.ready:
        return -1 if not p.ready else 1
    # 4. A lower pod-deletion-cost first.
    if p.deletion_cost != q.deletion_cost:
        return -1 if p.deletion_cost < q.deletion_cost else 1
    # 5. Doubled up first: more active related pods on the same node.
    if rank_p != rank_q:
        return -1 if rank_p > rank_q else 1
    # 6. Ready for less time first, in power-of-two buckets; the same bucket is settled by UID.
    since_p, since_q = p.ready_since, q.ready_since
    if p.ready and q.ready and since_p is not None and since_q is not None and since_p != since_q:
        diff = _log_rank(since_p, now) - _log_rank(since_q, now)
        if diff == 0:
            return -1 if p.uid < q.uid else 1
        return -1 if diff < 0 else 1
    # 7. More restarts first.
    if p.restarts != q.restarts:
        return -1 if p.restarts > q.restarts else 1
    # 8. Newer first, in the same buckets, the same bucket settled by UID.
    if p.created != q.created:
        diff = _log_rank(p.created, now) - _log_rank(q.created, now)
        if diff == 0:
            return -1 if p.uid < q.uid else 1
        return -1 if diff < 0 else 1
    return 0


def deletion_order(pods: list[SimPod], related: list[SimPod], now: float) -> list[SimPod]:
    """The pods in the order a ReplicaSet deletes them.

    Each pod's rank is how many active `related` pods (those of every
    ReplicaSet of the same Deployment) share its node.
    """
    on_node = Counter(pod.node or "" for pod in related)
    ranked = [(pod, on_node[pod.node or ""]) for pod in pods]
    ranked.sort(key=functools.cmp_to_key(functools.partial(_compare, now=now)))
    return [pod for pod, _ in ranked]


class WorkloadControllers:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.deployments: dict[str, SimDeployment] = {}
        self.replicasets: dict[str, SimReplicaSet] = {}
        self._owned: dict[str, list[str]] = {}  # deployment key -> its ReplicaSet keys, oldest first
        self._pending: dict[tuple[str, str], None] = {}
        self._drain_scheduled = False

    @property
    def instance_id(self) -> str:
        return self.engine.control.leader_id("controller-manager")

    # -- the work queue ----------------------------------------------------------------

    def request(self, kind: str, key: str) -> None:
        self._pending[(kind, key)] = None
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self.engine.after(0.0, self._drain)

    def resync_all(self) -> None:
        for key in self.deployments:
            self.request("deployment", key)
        for key in self.replicasets:
            self.request("replicaset", key)

    def _drain(self) -> None:
        self._drain_scheduled = False
        work, self._pending = list(self._pending), {}
        if not self.engine.control.active("controller-manager"):
            return  # resync_all runs when the controller-manager is back
        for kind, key in work:
            if kind == "deployment":
                self.sync_deployment(key)
            else:
                self.sync_replicaset(key)

    # -- what the controllers are told about pods -----------------------------------------

    def _rs_of(self, pod: SimPod) -> SimReplicaSet | None:
        if not pod.owner.startswith("ReplicaSet/"):
            return None
        return self.replicasets.get(f"{pod.namespace}/{pod.owner[11:]}")

    def pod_readiness_changed(self, pod: SimPod) -> None:
        rs = self._rs_of(pod)
        if rs is None:
            return
        if pod.ready and not pod.deleting:
            rs.available.add(pod.id)
        else:
            rs.available.discard(pod.id)
        rs.touch()
        self.request("deployment", rs.deployment)

    def pod_deleting(self, pod: SimPod) -> None:
        rs = self._rs_of(pod)
        if rs is None:
            return
        rs.active.pop(pod.id, None)
        rs.available.discard(pod.id)
        rs.touch()
        self.request("replicaset", rs.key)
        self.request("deployment", rs.deployment)

    def forget_pod(self, pod: SimPod) -> None:
        self.pod_deleting(pod)

    # -- Deployments ------------------------------------------------------------------------

    def create_deployment(
        self,
        namespace: str,
        name: str,
        replicas: int,
        template: PodTemplate,
        max_surge: int | str = "25%",
        max_unavailable: int | str = "25%",
    ) -> None:
        dep = SimDeployment(namespace, name, replicas, template, max_surge, max_unavailable)
        self.deployments[dep.key] = dep
        self.engine.track(dep)
        self._owned[dep.key] = []
        self.request("deployment", dep.key)

    def command(self, action: str, payload: dict[str, Any]) -> None:
        engine = self.engine
        key = payload.get("deployment")
        if not isinstance(key, str) or key not in self.deployments:
            raise CommandError(f"unknown deployment {key!r}; deployments: {', '.join(sorted(self.deployments))}")
        if not engine.control.api_ok():
            raise CommandError("the apiserver is not answering, so the Deployment cannot be changed")
        dep = self.deployments[key]
        if action == "scale":
            # `by` scales relative to now, so a tour's "try it" adds a pod however often it runs.
            field = "by" if "by" in payload and "replicas" not in payload else "replicas"
            value = payload.get(field)
            try:
                number = int(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise CommandError(f"{field} must be a whole number, not {value!r}") from None
            replicas = dep.replicas + number if field == "by" else number
            if not 0 <= replicas <= MAX_REPLICAS:
                raise CommandError(f"replicas must be from 0 to {MAX_REPLICAS}, not {replicas}")
            dep.replicas = replicas
        else:
            image = payload.get("image")
            if not isinstance(image, str) or not image.strip() or " " in image.strip():
                raise CommandError(f"image must be an image reference such as nginx:1.27, not {image!r}")
            dep.template = dataclasses.replace(dep.template, image=image.strip())
            engine.add_registry(registry_of(image.strip()))
        self.request("deployment", key)

    def sync_deployment(self, key: str) -> None:
        new = self._sync_deployment(key)
        dep = self.deployments[key]
        # The status the Deployment reports: ready pods of every revision, and pods of the newest.
        dep.ready = sum(len(self.replicasets[k].available) for k in self._owned[key])
        dep.updated = len(new.active)

    def _sync_deployment(self, key: str) -> SimReplicaSet:
        engine = self.engine
        dep = self.deployments[key]
        template_hash = engine.template_hash(dep.template)
        owned = [self.replicasets[k] for k in self._owned[key]]
        new = next((rs for rs in owned if rs.template_hash == template_hash), None)
        old = [rs for rs in owned if rs is not new]
        if new is None:
            revision = max((rs.revision for rs in owned), default=0) + 1
            new = SimReplicaSet(
                dep.namespace,
                f"{dep.name}-{template_hash}",
                key,
                dep.template,
                template_hash,
                0,
                revision,
                engine.clock,
            )
            self.replicasets[new.key] = new
            engine.track(new)
            self._owned[key].append(new.key)
        elif old and new.revision < max(rs.revision for rs in old):
            # A rollback: the old template's ReplicaSet becomes the newest revision again.
            new.revision = max(rs.revision for rs in old) + 1
        dep.revision = new.revision
        if not any(rs.replicas for rs in old) and not any(rs.active for rs in old):
            self._scale(new, dep.replicas)
            return new
        self._rolling_update(dep, new, old)
        return new

    def _scale(self, rs: SimReplicaSet, replicas: int) -> None:
        if rs.replicas == replicas:
            return
        direction = "up" if replicas > rs.replicas else "down"
        # The Deployment controller records it on the Deployment, in its own words
        # (pkg/controller/deployment/sync.go, scaleReplicaSet).
        self.engine.event(
            self.deployments[rs.deployment].id,
            "ScalingReplicaSet",
            f"Scaled {direction} replica set {rs.name} to {replicas} from {rs.replicas}",
        )
        rs.replicas = replicas
        self.request("replicaset", rs.key)

    def _rolling_update(self, dep: SimDeployment, new: SimReplicaSet, old: list[SimReplicaSet]) -> None:
        replicas = dep.replicas
        surge = resolve_fraction(dep.max_surge, replicas, round_up=True)
        unavailable = resolve_fraction(dep.max_unavailable, replicas, round_up=False)
        if surge == 0 and unavailable == 0:
            unavailable = 1
        everyone = [*old, new]
        total = sum(rs.replicas for rs in everyone)
        # Scale the new ReplicaSet up, within maxSurge.
        if new.replicas < replicas and total < replicas + surge:
            self._scale(new, new.replicas + min(replicas + surge - total, replicas - new.replicas))
        elif new.replicas > replicas:
            self._scale(new, replicas)
        # Scale the old ones down, keeping replicas - maxUnavailable available.
        min_available = replicas - unavailable
        new_unavailable = new.replicas - len(new.available)
        all_count = sum(rs.replicas for rs in everyone)
        budget = all_count - min_available - new_unavailable
        if budget <= 0:
            return
        oldest_first = sorted(old, key=lambda rs: (rs.created, rs.name))
        for rs in oldest_first:
            # First the old pods that are not available anyway: removing them costs nothing.
            unhealthy = rs.replicas - len(rs.available)
            cut = min(max(unhealthy, 0), budget)
            if cut > 0:
                self._scale(rs, rs.replicas - cut)
                budget -= cut
            if budget <= 0:
                return
        available = sum(len(rs.available) for rs in everyone)
        room = available - min_available
        for rs in oldest_first:
            if room <= 0:
                break
            cut = min(rs.replicas, room)
            if cut > 0:
                self._scale(rs, rs.replicas - cut)
                room -= cut

    # -- ReplicaSets --------------------------------------------------------------------------

    def sync_replicaset(self, key: str) -> None:
        engine = self.engine
        rs = self.replicasets[key]
        diff = rs.replicas - len(rs.active)
        if diff > 0:
            for _ in range(min(diff, BURST_REPLICAS)):
                name = f"{rs.name}-{engine.random_suffix()}"
                while component_id("pod", name, rs.namespace) in engine.pods:
                    # generateName collided: the apiserver answers AlreadyExists and the controller tries again.
                    name = f"{rs.name}-{engine.random_suffix()}"
                pod = SimPod(rs.namespace, name, engine.uid(), f"ReplicaSet/{rs.name}", rs.template, engine.clock)
                pod.labels = {**dict(rs.template.labels), "pod-template-hash": rs.template_hash}
                rs.active[pod.id] = None
                rs.touch()
                engine.event(pod.id, "SuccessfulCreate", f"Created pod: {name}")
                engine.add_pod(pod)
            if diff > BURST_REPLICAS:
                self.request("replicaset", key)
        elif diff < 0:
            count = min(-diff, BURST_REPLICAS)
            active = [engine.pods[pid] for pid in rs.active]
            if count < len(active):
                related = [
                    engine.pods[pid]
                    for k in self._owned.get(rs.deployment, [rs.key])
                    for pid in self.replicasets[k].active
                ]
                active = deletion_order(active, related, engine.clock)
            victims = active[:count]
            for pod in victims:
                engine.event(pod.id, "SuccessfulDelete", f"Deleted pod: {pod.name}")
                engine.delete_pod(pod)
            if -diff > BURST_REPLICAS:
                self.request("replicaset", key)
