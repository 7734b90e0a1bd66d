"""kube-scheduler: filter the nodes, score the feasible ones with the default profile, bind.

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

The feasible nodes are scored by the default profile's score plugins with
their weights (`explorer.model.scheduling.SCORE_WEIGHTS`), each normalised to
0-100 as kube-scheduler does: TaintToleration (PreferNoSchedule taints not
tolerated), NodeAffinity and InterPodAffinity (0: the simulator's pods have no
preferred affinity, so both skip), NodeResourcesFit (LeastAllocated),
NodeResourcesBalancedAllocation, PodTopologySpread with the system default
constraints (hostname skew 3, zone skew 5, for pods a ReplicaSet or
StatefulSet owns) and ImageLocality. The decision (every node's filter
verdict, the top candidates' scores) is kept on the pod for the latest
`DECISIONS_KEPT` pods, so the panel can say why the pod went where it did.
A pod that fails waits out the scheduling queue's back-off (1 s doubling to
10 s per attempt) before a cluster event retries it.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter, OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.model.scheduling import (
    FITS,
    GROUP_SAMPLE,
    NOT_CHECKED,
    PER_NODE_LIMIT,
    SCORE_WEIGHTS,
    TOP_CANDIDATES,
    filter_rows,
    grouped_rows,
)
from explorer.sources.simulated.world import PodTemplate, SimNode, SimPod

if TYPE_CHECKING:
    from explorer.sources.simulated.engine import Engine

__all__ = ["Scheduler", "backoff", "nodes_to_find", "postfilter_prefix", "taint_verdict", "tolerates"]

# The watch delivers a new pod to the scheduler's queue within a moment.
QUEUE_DELAY = 0.05
# Unschedulable pods are retried on a cluster event, and at the latest after podMaxInUnschedulablePodsDuration.
MAX_UNSCHEDULABLE_WAIT = 300.0
EVENT_FLUSH_DELAY = 1.0
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
# Verdicts preemption cannot help with (UnschedulableAndUnresolvable): the static filters', and the
# nodes a PreFilterResult left out.
UNRESOLVABLE_PREFIXES = (
    "node(s) had untolerated",
    "node(s) were unschedulable",
    "node(s) didn't match",
    "node(s) didn't satisfy plugin(s)",
    "node is filtered out",
)
# The scheduling queue's back-off for a pod that failed: 1 s, doubling per attempt, at most 10 s
# (pkg/scheduler/backend/queue/scheduling_queue.go: DefaultPodInitialBackoffDuration, DefaultPodMaxBackoffDuration).
INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 10.0
# How many pods keep their scheduling decision in their detail (older ones drop it).
DECISIONS_KEPT = 256
# ImageLocality (pkg/scheduler/framework/plugins/imagelocality/image_locality.go): no score below 23 MB of
# images present, full score from 1000 MB per container. The simulator pulls no bytes; every image counts as 200 MB.
MB = 1024 * 1024
IMAGE_MIN_THRESHOLD = 23 * MB
IMAGE_MAX_CONTAINER_THRESHOLD = 1000 * MB
IMAGE_SIZE = 200 * MB
# PodTopologySpread's system default constraints (pkg/scheduler/framework/plugins/podtopologyspread/plugin.go):
# maxSkew 3 over kubernetes.io/hostname and 5 over topology.kubernetes.io/zone, both ScheduleAnyway.
HOSTNAME_MAX_SKEW = 3
ZONE_MAX_SKEW = 5
SPREAD_OWNERS = ("ReplicaSet/", "StatefulSet/")
VOLUME_REASON = "node(s) didn't find available persistent volumes to bind"
# The wording that changed between releases (the built-in scenarios declare v1.34):
# - from v1.35 TaintToleration's verdict no longer names the taint, whose key and value may be
#   sensitive (kubernetes PR #134740; the v1.34 patch releases from late 2025 carry it too, PR #135023,
#   which the simulator, following minor releases, does not model);
# - from v1.34 the DynamicResources plugin is on by default (DRA is GA), and its PostFilter, which runs
#   before DefaultPreemption's, reports "no new claims to deallocate" for a pod that has no
#   ResourceClaim; the framework joins the PostFilter plugins' reasons with ", "
#   (pkg/scheduler/framework/runtime/framework.go, RunPostFilterPlugins).
# - but when a PreFilter plugin before it (VolumeBinding: "pod has unbound immediate
#   PersistentVolumeClaims") rejects the pod, DynamicResources' PreFilter never ran, its PostFilter
#   cannot read its cycle state and fails with the state's "not found", which ends the PostFilter
#   phase before DefaultPreemption (dynamicresources.go, PostFilter/getStateData; default_plugins.go
#   puts DynamicResources just before DefaultPreemption).
GENERIC_TAINT_FROM = (1, 35)
ABSENT_NODES_PLUGIN_FROM = (1, 31)
DRA_POSTFILTER_FROM = (1, 34)
NO_CLAIMS_TO_DEALLOCATE = "no new claims to deallocate"
DRA_STATE_NOT_FOUND = "not found"


def taint_verdict(taint: dict[str, Any], version: tuple[int, ...]) -> str:
    """TaintToleration's Filter verdict for a node with a taint the pod does not tolerate, as `version` words it."""
    if version >= GENERIC_TAINT_FROM:
        return "node(s) had untolerated taint(s)"
    return f"node(s) had untolerated taint {{{taint['key']}: {taint.get('value', '')}}}"


def absent_nodes_verdict(version: tuple[int, ...]) -> str:
    """The verdict on the nodes a PreFilterResult leaves out (NodeAffinity's, for a pod bound to one node).

    From v1.31 "node(s) didn't satisfy plugin(s) [NodeAffinity]" (schedule_one.go, SetAbsentNodesStatus,
    kubernetes PR #126022); before, "node is filtered out by the prefilter result" (PR #119779, in v1.28
    and in the last v1.25 to v1.27 patch releases, which the simulator follows for those).
    """
    if version >= ABSENT_NODES_PLUGIN_FROM:
        return "node(s) didn't satisfy plugin(s) [NodeAffinity]"
    return "node is filtered out by the prefilter result"


def postfilter_prefix(version: tuple[int, ...]) -> str:
    """What the PostFilter plugins before DefaultPreemption add to a FailedScheduling message in `version`."""
    return f"{NO_CLAIMS_TO_DEALLOCATE}, " if version >= DRA_POSTFILTER_FROM else ""


# NodeResourcesFit's reasons by the bits (1: pods, 2: cpu, 4: memory) of what a node lacks.
RESOURCE_REASONS = {
    bits: ", ".join(
        reason
        for bit, reason in ((1, "Too many pods"), (2, "Insufficient cpu"), (4, "Insufficient memory"))
        if bits & bit
    )
    for bits in range(8)
}


def preemption_kind(reason: str) -> str:
    """What preemption can do for a node the filters rejected with `reason` (its first one): "unresolvable"
    (UnschedulableAndUnresolvable: "Preemption is not helpful"), or "resources" (evicting might make room)."""
    # Node-local volumes that do not fit are VolumeBinding's UnschedulableAndUnresolvable too.
    return "unresolvable" if reason.startswith(UNRESOLVABLE_PREFIXES) or "persistent volumes" in reason else "resources"


def backoff(attempts: int) -> float:
    """The queue's back-off after `attempts` failed attempts (calculateBackoffDuration)."""
    return min(INITIAL_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def spread_key(pod: SimPod) -> tuple[str, str] | None:
    """Whose pods the default spread constraints count with this one's: its ReplicaSet's or StatefulSet's."""
    return (pod.namespace, pod.owner) if pod.owner.startswith(SPREAD_OWNERS) else None


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
        self._static: dict[Any, Any] = {}  # (template filters) -> masks, cleared when a node's taints change
        self._attempts: dict[str, tuple[int, float]] = {}  # pod id -> (failed attempts, when it last failed)
        self._decisions: OrderedDict[str, None] = OrderedDict()  # the pods that keep a decision, oldest first
        self._spread: dict[tuple[str, str], Any] = {}  # spread key -> its pods per node
        self._node_keys: list[Counter[tuple[str, str]]] = []
        self._images: dict[str, Any] = {}  # image -> which nodes have it
        self._last_static: tuple[PodTemplate | None, dict[str, Any]] = (None, {})
        # selectHost breaks a tie for the top score at random (reservoir sampling). Its own stream,
        # seeded from the scenario's seed: one seed still tells one story, and a tie does not shift
        # the names and timings the engine's own generator draws.
        self._ties = random.Random(f"{engine.seed}:select-host")

    # -- the running totals, as arrays -------------------------------------------------

    def _ensure_arrays(self) -> dict[str, Any]:
        if self._arrays is None or len(self._index) != len(self.engine.nodes):
            nodes = self._nodes = list(self.engine.nodes.values())
            self._index = {n.name: i for i, n in enumerate(nodes)}

            def column(attribute: str) -> Any:
                return np.array([getattr(n, attribute) for n in nodes], dtype=np.int64)

            cap_cpu, cap_mem, max_pods = column("cpu_milli"), column("memory_mi"), column("max_pods")
            zones: dict[str, int] = {}
            zone = np.array(
                [zones.setdefault(n.labels.get("topology.kubernetes.io/zone", ""), len(zones)) for n in nodes],
                dtype=np.int64,
            )
            self._arrays = {
                "cap_cpu": cap_cpu,
                "cap_mem": cap_mem,
                "free_cpu": cap_cpu - column("alloc_cpu"),
                "free_mem": cap_mem - column("alloc_memory"),
                "free_pods": max_pods - np.array([len(n.pods) for n in nodes], dtype=np.int64),
                "max_pods": max_pods,
                "zone": zone,
                "names": np.array([n.name for n in nodes], dtype=object),
            }
            self._static.clear()
            self._last_static = (None, {})
            self._images.clear()
            self._spread.clear()
            self._node_keys = [Counter() for _ in nodes]
            for node in nodes:
                self._count_spread(node)
        return self._arrays

    def _count_spread(self, node: SimNode) -> None:
        """Recount the node's pods per spread key (a node holds at most max-pods of them)."""
        i = self._index[node.name]
        pods = self.engine.pods
        counts: Counter[tuple[str, str]] = Counter()
        for pod_id in node.pods:
            pod = pods.get(pod_id)
            key = spread_key(pod) if pod is not None else None
            if key is not None:
                counts[key] += 1
        for key in counts.keys() | self._node_keys[i].keys():
            column = self._spread.get(key)
            if column is None:
                column = self._spread[key] = np.zeros(len(self._nodes), dtype=np.int64)
            column[i] = counts[key]
        self._node_keys[i] = counts

    def images_changed(self, node: SimNode) -> None:
        """The node pulled or lost images: ImageLocality's columns follow."""
        if self._arrays is None or node.name not in self._index:
            return
        i = self._index[node.name]
        for image, column in self._images.items():
            column[i] = image in node.images

    def sync_node(self, node: SimNode, pod: SimPod | None = None, delta: int = 0) -> None:
        """A node's allocated totals changed (`pod` came, delta 1, or went, -1): keep the arrays in step."""
        if self._arrays is None:
            return
        i = self._index[node.name]
        arrays = self._arrays
        arrays["free_cpu"][i] = node.cpu_milli - node.alloc_cpu
        arrays["free_mem"][i] = node.memory_mi - node.alloc_memory
        arrays["free_pods"][i] = node.max_pods - len(node.pods)
        if pod is None:
            self._count_spread(node)
            return
        key = spread_key(pod)
        if key is not None:
            column = self._spread.get(key)
            if column is None:
                column = self._spread[key] = np.zeros(len(self._nodes), dtype=np.int64)
            column[i] += delta
            self._node_keys[i][key] += delta

    def nodes_changed(self) -> None:
        """A node's taints, cordon or readiness changed: the cached filter masks are stale."""
        self._static.clear()
        self._last_static = (None, {})

    def _static_reason(self, node: SimNode, template: PodTemplate) -> str | None:
        """The first of NodeUnschedulable, TaintToleration and NodeAffinity that rejects the node."""
        tolerations = template.tolerations
        if node.unschedulable and not any(k in ("", UNSCHEDULABLE_TAINT) for k, _, _ in tolerations):
            return "node(s) were unschedulable"
        for taint in node.taints:
            if taint["effect"] != "PreferNoSchedule" and not (tolerations and tolerates(template, taint)):
                return taint_verdict(taint, self.engine.version)
        if template.node_selector and any(node.labels.get(k) != v for k, v in template.node_selector):
            return "node(s) didn't match Pod's node affinity/selector"
        return None

    def _static_mask(self, template: PodTemplate) -> Any:
        return self._static_filters(template)["mask"]

    def _static_filters(self, template: PodTemplate) -> dict[str, Any]:
        """Per node, for this template: the static filters' verdict (code 0 passes), PreferNoSchedule taints
        it does not tolerate, and whether the node selector matches (PodTopologySpread counts only those)."""
        if self._last_static[0] is template:
            return self._last_static[1]  # the same template again (a ReplicaSet's pods come in runs): no hashing
        key = (template.node_selector, template.tolerations)
        cached = self._static.get(key)
        if cached is None:
            nodes = self._nodes
            reasons: dict[str, int] = {}
            codes = np.zeros(len(nodes), dtype=np.int64)
            prefer = np.zeros(len(nodes), dtype=np.int64)
            for i, node in enumerate(nodes):
                reason = self._static_reason(node, template)
                if reason is not None:
                    codes[i] = reasons.setdefault(reason, len(reasons) + 1)
                prefer[i] = sum(
                    1
                    for taint in node.taints
                    if taint["effect"] == "PreferNoSchedule"
                    and not (template.tolerations and tolerates(template, taint))
                )
            selected = np.array(
                [all(n.labels.get(k) == v for k, v in template.node_selector) for n in nodes], dtype=bool
            )
            cached = {
                "mask": codes == 0,
                "codes": codes,
                "reasons": {code: reason for reason, code in reasons.items()},
                "prefer": prefer,
                "selected": selected,
            }
            self._static[key] = cached
        self._last_static = (template, cached)
        return cached

    def _image_column(self, image: str) -> Any:
        column = self._images.get(image)
        if column is None:
            column = self._images[image] = np.array([image in n.images for n in self._nodes], dtype=bool)
        return column

    def _scores(self, pod: SimPod, chosen: Any) -> dict[str, Any]:
        """Each score plugin's normalised score (0-100) on the `chosen` nodes, as the default profile gives it."""
        arrays = self._arrays
        assert arrays is not None
        t = pod.template
        static = self._static_filters(t)
        cap_cpu = np.maximum(arrays["cap_cpu"][chosen], 1)
        cap_mem = np.maximum(arrays["cap_mem"][chosen], 1)
        req_cpu = cap_cpu - arrays["free_cpu"][chosen] + t.cpu_milli
        req_mem = cap_mem - arrays["free_mem"][chosen] + t.memory_mi
        # NodeResourcesFit, LeastAllocated: the free share of each resource, cpu and memory weighted alike.
        least = ((cap_cpu - req_cpu) * 100 // cap_cpu + (cap_mem - req_mem) * 100 // cap_mem) // 2
        # BalancedAllocation: 1 - the standard deviation of the two requested fractions.
        cpu_fraction = np.minimum(req_cpu / cap_cpu, 1.0)
        mem_fraction = np.minimum(req_mem / cap_mem, 1.0)
        balanced = ((1.0 - np.abs(cpu_fraction - mem_fraction) / 2) * 100).astype(np.int64)
        # TaintToleration: fewer intolerable PreferNoSchedule taints is better (DefaultNormalizeScore, reversed).
        prefer = static["prefer"][chosen]
        worst = int(prefer.max()) if prefer.size else 0
        taint = 100 - prefer * 100 // worst if worst else np.full(chosen.size, 100, dtype=np.int64)
        none = np.zeros(chosen.size, dtype=np.int64)
        return {
            "TaintToleration": taint,
            "NodeAffinity": none,
            "NodeResourcesFit": least,
            "PodTopologySpread": self._spread_scores(pod, chosen, static["selected"]),
            "InterPodAffinity": none,
            "NodeResourcesBalancedAllocation": balanced,
            "ImageLocality": self._image_scores(t.image, chosen),
        }

    def _spread_scores(self, pod: SimPod, chosen: Any, selected: Any) -> Any:
        """PodTopologySpread's Score and NormalizeScore with the system default constraints."""
        key = spread_key(pod)
        if key is None or key not in self._spread:
            # No owner to spread with (PreScore skips), or none of its pods placed yet: every node alike.
            return np.full(chosen.size, 100 if key else 0, dtype=np.int64)
        arrays = self._arrays
        assert arrays is not None
        counts = self._spread[key]
        zone = arrays["zone"]
        per_zone = np.bincount(zone, weights=np.where(selected, counts, 0), minlength=int(zone.max()) + 1)
        zones_seen = int(np.count_nonzero(np.bincount(zone[chosen])))
        raw = counts[chosen] * math.log(chosen.size + 2) + (HOSTNAME_MAX_SKEW - 1)
        raw = raw + per_zone[zone[chosen]] * math.log(zones_seen + 2) + (ZONE_MAX_SKEW - 1)
        raw = np.rint(raw).astype(np.int64)
        low, high = int(raw.min()), int(raw.max())
        return 100 * (high + low - raw) // high

    def _image_scores(self, image: str, chosen: Any) -> Any:
        """ImageLocality: the image's size scaled by how many nodes have it, where the node has it."""
        column = self._image_column(image)
        scaled = int(IMAGE_SIZE * (int(np.count_nonzero(column)) / max(column.size, 1)))
        # calculatePriority: the sum clamped to the thresholds, scaled to 0-100 (a node without it scores 0).
        clamped = min(max(scaled, IMAGE_MIN_THRESHOLD), IMAGE_MAX_CONTAINER_THRESHOLD)
        score = 100 * (clamped - IMAGE_MIN_THRESHOLD) // (IMAGE_MAX_CONTAINER_THRESHOLD - IMAGE_MIN_THRESHOLD)
        return np.where(column[chosen], score, 0)

    def _pick(self, pod: SimPod) -> SimNode | None:
        """Filter and score over the arrays; None when no node fits (the slow path then says why)."""
        self._ensure_arrays()
        total = len(self._index)
        if total == 0 or not self.engine.storage.volumes_fit(pod):
            return None
        t = pod.template
        lacking = self._lacking(t)
        feasible = np.flatnonzero(self._static_mask(t) & (lacking == 0))
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
        if chosen.size == 1:
            # schedulePod: "When only one node after predicate, just use it" (no scoring).
            only = int(chosen[0])
            self._record(pod, self._filter_rows(pod, start, processed, lacking=lacking), self._nodes[only])
            self._next_start = (start + processed) % total
            return self._nodes[only]
        scores = self._scores(pod, chosen)
        total_score = sum(scores[name] * weight for name, weight in SCORE_WEIGHTS.items())
        # selectHost (pkg/scheduler/schedule_one.go): one of the nodes with the top score, each as likely.
        tied = np.flatnonzero(total_score == total_score.max())
        pick = int(tied[self._ties.randrange(tied.size)]) if tied.size > 1 else int(tied[0])
        best = int(chosen[pick])
        rows = self._filter_rows(pod, start, processed, lacking=lacking)
        self._record(pod, rows, self._nodes[best], chosen, scores, total_score, pick, int(tied.size))
        self._next_start = (start + processed) % total
        return self._nodes[best]

    def _pick_pinned(self, pod: SimPod) -> SimNode | None:
        """A pod whose required node affinity names one node (a DaemonSet's): that node, or a FailedScheduling.

        NodeAffinity's PreFilter returns that node alone (PreFilterResult), so only it is filtered; the
        others get the absent nodes' verdict, and a single feasible node is taken without scoring.
        None when it does not fit (the failure is recorded here).
        """
        engine = self.engine
        self._ensure_arrays()
        total = len(engine.nodes)
        node = engine.nodes.get(pod.required_node or "")
        reasons = self._node_reasons(node, pod.template, engine.storage.volumes_fit(pod)) if node else []
        others = total - (1 if node is not None else 0)
        if node is not None:
            self._next_start = (self._next_start + 1) % total  # the search moves on by the nodes it processed
        absent = absent_nodes_verdict(engine.version)
        groups: list[tuple[str, int, list[str]]] = []
        if node is not None:
            groups.append((", ".join(reasons) or FITS, 1, [node.name]))
        if others:
            wanted = PER_NODE_LIMIT if total <= PER_NODE_LIMIT else GROUP_SAMPLE
            sample = [n.name for n in itertools.islice((n for n in self._nodes if n is not node), wanted)]
            groups.append((absent, others, sample))
        if total <= PER_NODE_LIMIT:
            rows = filter_rows([(name, v) for v, _, names in groups for name in names])
        else:
            rows = grouped_rows(groups)
        if node is not None and not reasons:
            self._record(pod, rows, node)
            return node
        histogram = Counter(reasons)
        preemption = Counter({"unresolvable": others})
        if others:
            histogram[absent] += others
        if reasons:
            preemption[preemption_kind(reasons[0])] += 1
        self._fail_filters(pod, total, histogram, preemption, rows)
        return None

    def _node_reasons(self, node: SimNode, template: PodTemplate, volumes_ok: bool) -> list[str]:
        """Why the filters reject `node`: the first static filter's reason, else each resource it lacks, else
        the volumes; empty when it fits."""
        static = self._static_reason(node, template)
        if static is not None:
            return [static]
        reasons = []
        if len(node.pods) + 1 > node.max_pods:
            reasons.append("Too many pods")
        if node.alloc_cpu + template.cpu_milli > node.cpu_milli:
            reasons.append("Insufficient cpu")
        if node.alloc_memory + template.memory_mi > node.memory_mi:
            reasons.append("Insufficient memory")
        if not reasons and not volumes_ok:
            reasons.append(VOLUME_REASON)
        return reasons

    # -- the decision, for the panel ---------------------------------------------------

    def _lacking(self, template: PodTemplate) -> Any:
        """Per node, NodeResourcesFit's shortfall as bits: 1 a pod slot, 2 cpu, 4 memory (0 fits)."""
        arrays = self._arrays
        assert arrays is not None
        lacking = (arrays["free_pods"] < 1).astype(np.int64)
        lacking |= (arrays["free_cpu"] < template.cpu_milli) * 2
        lacking |= (arrays["free_mem"] < template.memory_mi) * 4
        return lacking

    def _filter_rows(
        self, pod: SimPod, start: int, processed: int, volumes_ok: bool = True, lacking: Any = None
    ) -> list[dict[str, Any]]:
        """Each node's verdict (the first filter that rejects it), per node or grouped past 20 nodes."""
        arrays = self._arrays
        assert arrays is not None
        static = self._static_filters(pod.template)
        total = len(self._nodes)
        if lacking is None:
            lacking = self._lacking(pod.template)
        # Codes: a static reason's code (1..), resources 100 + bits (100 fits), 200 volumes, -1 not reached.
        codes = np.where(static["codes"] > 0, static["codes"], 100 + lacking)
        if not volumes_ok:
            codes = np.where(codes == 100, 200, codes)
        if processed < total:
            reached = np.zeros(total, dtype=bool)
            reached[start : start + processed] = True
            reached[: max(start + processed - total, 0)] = True  # the search wrapped around
            codes = np.where(reached, codes, -1)

        def verdict(code: int) -> str:
            if code == -1:
                return NOT_CHECKED
            if code == 200:
                return VOLUME_REASON
            if code >= 100:
                return RESOURCE_REASONS[code - 100] or FITS
            return str(static["reasons"][code])

        names = arrays["names"]
        if total <= PER_NODE_LIMIT:
            return filter_rows([(str(names[i]), verdict(int(code))) for i, code in enumerate(codes)])
        counts = np.bincount(codes + 1)  # the codes are small integers from -1: a histogram beats np.unique
        return grouped_rows(
            [
                (verdict(code), int(counts[code + 1]), [str(n) for n in names[np.flatnonzero(codes == code)[:5]]])
                for code in (int(c) - 1 for c in np.flatnonzero(counts))
            ]
        )

    def _record(
        self,
        pod: SimPod,
        rows: list[dict[str, Any]],
        node: SimNode | None,
        chosen: Any = None,
        scores: dict[str, Any] | None = None,
        total_score: Any = None,
        pick: int = 0,
        tied: int = 0,
    ) -> None:
        """Keep the decision on the pod, and drop the oldest kept one past `DECISIONS_KEPT`.

        The candidates are the top scores, the chosen node first (as selectHost returns them).
        """
        candidates = []
        if scores is not None and chosen is not None and chosen.size:
            order = np.argsort(-total_score, kind="stable")[: TOP_CANDIDATES + 1]
            top = [pick, *(int(i) for i in order if i != pick)][:TOP_CANDIDATES]
            candidates = [
                {
                    "node": self._nodes[int(chosen[i])].name,
                    "total": int(total_score[i]),
                    "plugins": {name: int(scores[name][i]) for name in SCORE_WEIGHTS},
                }
                for i in top
            ]
        pod.decision = {
            "result": "Scheduled" if node is not None else "FailedScheduling",
            "node": node.name if node is not None else None,
            "nodes": len(self._nodes),
            "filters": rows,
            "scores": candidates,
            "weights": dict(SCORE_WEIGHTS),
            "preemption": "",
            "tied": tied,
            "source": "scheduler",
        }
        self._decisions[pod.id] = None
        self._decisions.move_to_end(pod.id)
        while len(self._decisions) > DECISIONS_KEPT:
            old_id, _ = self._decisions.popitem(last=False)
            old = self.engine.pods.get(old_id)
            if old is not None:
                old.decision = None

    @property
    def instance_id(self) -> str:
        return self.engine.control.leader_id("scheduler")

    def enqueue(self, pod: SimPod) -> None:
        self.engine.after(QUEUE_DELAY, self.schedule, pod.id)

    def retry_all(self) -> None:
        """Move the waiting pods back to the queue; one still backing off waits out its back-off first."""
        waiting, self.unschedulable = list(self.unschedulable), {}
        now = self.engine.clock
        for pod_id in waiting:
            attempts, failed_at = self._attempts.get(pod_id, (0, now))
            delay = failed_at + backoff(attempts) - now if attempts else 0.0
            self.engine.after(max(delay, 0.0), self.schedule, pod_id)

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
            if pod is None:
                self._attempts.pop(pod_id, None)
            return
        if not engine.control.active("scheduler"):
            # Nobody is scheduling: the pod waits in the (absent) scheduler's queue, Pending, without a word.
            self.unschedulable[pod_id] = None
            return
        total = len(engine.nodes)
        blocked = engine.storage.prefilter(pod)
        if blocked:
            rows = [{"verdict": blocked, "count": total, "nodes": []}]
            self._fail(pod, f"0/{total} nodes are available: {blocked}.", Counter({"unresolvable": total}), rows, True)
            return
        if pod.required_node is not None:
            best = self._pick_pinned(pod)
            if best is None:
                return
        else:
            best = self._pick(pod)
        if best is None:
            rows = []
            if total:
                self._ensure_arrays()
                rows = self._filter_rows(pod, self._next_start % total, total, engine.storage.volumes_fit(pod))
            _, reasons, preemption = self._filter(pod)
            self._fail_filters(pod, total, reasons, preemption, rows)
            return
        delay = engine.storage.prebind(pod, best)
        if delay:
            # VolumeBinding's PreBind waits for the provisioner; the node's resources are reserved meanwhile.
            self._binding.add(pod.id)
            best.pods[pod.id] = None
            best.alloc_cpu += pod.template.cpu_milli
            best.alloc_memory += pod.template.memory_mi
            self.sync_node(best, pod, 1)
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
        self._attempts.pop(pod.id, None)
        engine.bind(pod, node)
        pod.reason = ""
        engine.event(pod.id, "Scheduled", f"Successfully assigned {pod.namespace}/{pod.name} to {node.name}")
        engine.kubelet.pod_assigned(pod)

    def _fail_filters(
        self, pod: SimPod, total: int, reasons: Counter[str], preemption: Counter[str], rows: list[dict[str, Any]]
    ) -> None:
        """FailedScheduling from the filters' reasons, as FitError sorts their histogram."""
        histogram = ", ".join(sorted(f"{count} {reason}" for reason, count in reasons.items()))
        self._fail(pod, f"0/{total} nodes are available: {histogram}.", preemption, rows)

    def _fail(
        self,
        pod: SimPod,
        message: str,
        preemption: Counter[str],
        rows: list[dict[str, Any]],
        prefiltered: bool = False,
    ) -> None:
        total = len(self.engine.nodes)
        attempts, _ = self._attempts.get(pod.id, (0, 0.0))
        self._attempts[pod.id] = (attempts + 1, self.engine.clock)
        parts = []
        if preemption["unresolvable"]:
            parts.append(f"{preemption['unresolvable']} Preemption is not helpful for scheduling")
        if preemption["resources"]:
            parts.append(f"{preemption['resources']} No preemption victims found for incoming pod")
        if prefiltered and self.engine.version >= DRA_POSTFILTER_FROM:
            full = f"{message} {DRA_STATE_NOT_FOUND}"
        else:
            prefix = postfilter_prefix(self.engine.version)
            full = f"{message} {prefix}preemption: 0/{total} nodes are available: {', '.join(sorted(parts))}."
        pod.reason = full
        self._record(pod, rows, None)
        if pod.decision is not None:
            pod.decision["preemption"] = full.partition(" preemption: ")[2].rstrip(".")
        self.engine.event(pod.id, "FailedScheduling", full, "Warning")
        self._park(pod)

    def _filter(self, pod: SimPod) -> tuple[list[SimNode], Counter[str], Counter[str]]:
        """The feasible nodes, the filters' reasons counted (a node may lack cpu and memory both), and the
        rejected nodes counted by what preemption could do for them."""
        template = pod.template
        volumes_ok = self.engine.storage.volumes_fit(pod)
        nodes = list(self.engine.nodes.values())
        total = len(nodes)
        wanted = nodes_to_find(total)
        feasible: list[SimNode] = []
        reasons: Counter[str] = Counter()
        preemption: Counter[str] = Counter()
        start = self._next_start
        processed = 0
        while processed < total and len(feasible) < wanted:
            node = nodes[(start + processed) % total]
            processed += 1
            rejected = self._node_reasons(node, template, volumes_ok)
            if rejected:
                reasons.update(rejected)
                preemption[preemption_kind(rejected[0])] += 1
                continue
            feasible.append(node)
        self._next_start = (start + processed) % total if total else 0
        return feasible, reasons, preemption
