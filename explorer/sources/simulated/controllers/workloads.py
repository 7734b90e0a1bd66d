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
import heapq
import math
import operator
from collections import Counter
from typing import TYPE_CHECKING, Any

from explorer.model.ids import component_id
from explorer.model.images import registry_of
from explorer.sources.base import CommandError
from explorer.sources.simulated.controllers.queue import WorkQueue
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


_NODE_OF = operator.attrgetter("node")
_CREATED = operator.attrgetter("created")

# podPhaseToOrdinal: Pending < Unknown < Running.
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def _log_rank(then: float, now: float) -> int:
    """logarithmicRankDiff's bucket: floor(log2) of the age in nanoseconds, -1 for no age."""
    age = round((now - then) * 1e9)
    return age.bit_length() - 1 if age > 0 else -1


def deletion_order(pods: list[SimPod], related: list[SimPod], now: float, count: int | None = None) -> list[SimPod]:
    """The pods (the first `count` of them, if given) in the order a ReplicaSet deletes them:
    ActivePodsWithRanks.Less, with LogarithmicScaleDown and PodDeletionCost on (their defaults).

    1. unassigned first; 2. Pending, then Unknown, then Running; 3. not ready first;
    4. lower pod-deletion-cost first; 5. doubled up first: more active `related` pods
    (those of every ReplicaSet of the same Deployment) on the pod's node; 6. both ready:
    ready for less time first, in power-of-two buckets of nanoseconds, the same bucket
    settled by UID (pods that became ready at the same instant go on to 7); 7. more
    restarts first; 8. newer first, in the same buckets, then by UID.

    Less is a pairwise rule; as a sort key it is the same order wherever it is one (pods
    ready at the same instant are placed by the lowest UID among them, then by 7 and 8).
    A key sorts a 30000-pod ReplicaSet in C rather than calling Python per comparison.
    """
    on_node = Counter(map(_NODE_OF, related))
    first_uid: dict[float, str] = {}
    for pod in pods:
        if pod.ready and pod.ready_since is not None:
            held = first_uid.get(pod.ready_since)
            if held is None or pod.uid < held:
                first_uid[pod.ready_since] = pod.uid
    # Many pods share a creation or ready instant: each instant's bucket is worked out once.
    bucket = {t: _log_rank(t, now) for t in {*map(_CREATED, pods), *first_uid}}
    ranked = [
        (
            pod.node is not None,
            _PHASE_ORDINAL.get(pod.phase, 0),
            pod.ready,
            pod.deletion_cost,
            -on_node[pod.node],
            (bucket[pod.ready_since], first_uid[pod.ready_since])
            if pod.ready and pod.ready_since is not None
            else (0, ""),
            -pod.restarts,
            bucket[pod.created],
            pod.uid,
            index,
        )
        for index, pod in enumerate(pods)
    ]
    chosen = sorted(ranked) if count is None else heapq.nsmallest(count, ranked)
    return [pods[entry[-1]] for entry in chosen]


class WorkloadControllers(WorkQueue):
    def __init__(self, engine: Engine):
        super().__init__(engine)
        self.deployments: dict[str, SimDeployment] = {}
        self.replicasets: dict[str, SimReplicaSet] = {}
        self._owned: dict[str, list[str]] = {}  # deployment key -> its ReplicaSet keys, oldest first

    # -- the work queue ----------------------------------------------------------------

    def resync_all(self) -> None:
        for key in self.deployments:
            self.request("deployment", key)
        for key in self.replicasets:
            self.request("replicaset", key)

    def sync(self, kind: str, key: str) -> None:
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
                pods = engine.pods
                owned = self._owned.get(rs.deployment, [rs.key])
                related = [pods[pid] for k in owned for pid in self.replicasets[k].active]
                active = deletion_order(active, related, engine.clock, count)
            victims = active[:count]
            for pod in victims:
                engine.event(pod.id, "SuccessfulDelete", f"Deleted pod: {pod.name}")
                engine.delete_pod(pod)
            if -diff > BURST_REPLICAS:
                self.request("replicaset", key)
