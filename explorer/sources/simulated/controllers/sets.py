"""The DaemonSet and StatefulSet controllers.

DaemonSet (kubernetes/kubernetes pkg/controller/daemon, daemon_controller.go
and update.go; the tolerations from pkg/controller/daemon/util/daemonset_util.go
AddOrUpdateDaemonPodTolerations): one pod on every node whose taints the pod
tolerates and whose labels match its nodeSelector. Every daemon pod tolerates
node.kubernetes.io/not-ready and unreachable (NoExecute, no time limit, so a
dead node's daemon pod is never evicted), disk-, memory- and pid-pressure and
unschedulable (NoSchedule): a cordoned node still runs its daemons. A new
template rolls out node by node, at most one node's pod unavailable at a time
(RollingUpdate, maxUnavailable 1, maxSurge 0): the old pod is deleted, the new
one created once it is gone.

StatefulSet (pkg/controller/statefulset, stateful_set_control.go and
stateful_set_utils.go): pods named `<set>-<ordinal>`, made in order, each only
once the one before is Running and Ready (podManagementPolicy OrderedReady),
each with claims `<template>-<set>-<ordinal>` made from volumeClaimTemplates
and kept when the pod goes. A pod name is never used twice at once: while the
old pod still exists (Terminating on an unreachable node, say) no replacement
is made, because the old one may still be running and writing. Force-deleting
the pod, or tainting its dead node node.kubernetes.io/out-of-service (the pod
GC then force-deletes its terminating pods, pkg/controller/podgc
gc_controller.go gcTerminating), frees the name.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from explorer.model.ids import component_id
from explorer.model.images import registry_of
from explorer.sources.base import CommandError
from explorer.sources.simulated.controllers.queue import WorkQueue
from explorer.sources.simulated.scenarios import parse_memory
from explorer.sources.simulated.scheduler import tolerates
from explorer.sources.simulated.world import (
    PodTemplate,
    SimClaim,
    SimDaemonSet,
    SimNode,
    SimPod,
    SimStatefulSet,
)

if TYPE_CHECKING:
    from explorer.sources.simulated.engine import Engine

__all__ = ["DAEMON_TOLERATIONS", "OUT_OF_SERVICE_TAINT", "PODGC_PERIOD", "SetControllers"]

# (key, value, effect) as PodTemplate keeps tolerations; operator Exists (no value).
DAEMON_TOLERATIONS = (
    ("node.kubernetes.io/not-ready", "", "NoExecute"),
    ("node.kubernetes.io/unreachable", "", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "", "NoSchedule"),
)
OUT_OF_SERVICE_TAINT = "node.kubernetes.io/out-of-service"
PODGC_PERIOD = 20.0  # the pod GC controller's gcCheckPeriod
MAX_UNAVAILABLE = 1  # a DaemonSet's rollingUpdate.maxUnavailable by default


class SetControllers(WorkQueue):
    def __init__(self, engine: Engine):
        super().__init__(engine)
        self.daemonsets: dict[str, SimDaemonSet] = {}
        self.statefulsets: dict[str, SimStatefulSet] = {}

    def resync_all(self) -> None:
        for key in self.daemonsets:
            self.request("daemonset", key)
        for key in self.statefulsets:
            self.request("statefulset", key)

    def sync(self, kind: str, key: str) -> None:
        if kind == "daemonset":
            self.sync_daemonset(key)
        else:
            self.sync_statefulset(key)

    def _owner_key(self, pod: SimPod) -> tuple[str, str] | None:
        kind, _, name = pod.owner.partition("/")
        if kind == "DaemonSet":
            return "daemonset", f"{pod.namespace}/{name}"
        if kind == "StatefulSet":
            return "statefulset", f"{pod.namespace}/{name}"
        return None

    def pod_changed(self, pod: SimPod) -> None:
        owner = self._owner_key(pod)
        if owner is not None:
            self.request(*owner)

    def pod_removed(self, pod: SimPod) -> None:
        owner = self._owner_key(pod)
        if owner is None:
            return
        if owner[0] == "daemonset":
            ds = self.daemonsets.get(owner[1])
            node = pod.required_node or pod.node
            if ds is not None and node is not None and ds.pods.get(node) == pod.id:
                del ds.pods[node]
                ds.touch()
        self.request(*owner)

    def nodes_changed(self) -> None:
        for key in self.daemonsets:
            self.request("daemonset", key)

    # -- DaemonSets ---------------------------------------------------------------------------

    def create_daemonset(self, namespace: str, name: str, template: PodTemplate) -> None:
        tolerations = (*template.tolerations, *(t for t in DAEMON_TOLERATIONS if t not in template.tolerations))
        ds = SimDaemonSet(namespace, name, dataclasses.replace(template, tolerations=tolerations))
        self.daemonsets[ds.key] = ds
        self.engine.track(ds)
        self.request("daemonset", ds.key)

    @staticmethod
    def should_run(template: PodTemplate, node: SimNode) -> tuple[bool, bool]:
        """nodeShouldRunDaemonPod (daemon_controller.go): (should run, should continue running).

        A new pod needs the labels to match and every NoSchedule and NoExecute taint tolerated; a
        pod already there stays while its NoExecute taints are tolerated (a NotReady node's
        unreachable NoSchedule taint stops new daemon pods, not the one running).
        """
        labels = node.labels
        if any(labels.get(k) != v for k, v in template.node_selector):
            return False, False
        run = all(t["effect"] == "PreferNoSchedule" or tolerates(template, t) for t in node.taints)
        stay = run or all(t["effect"] != "NoExecute" or tolerates(template, t) for t in node.taints)
        return run, stay

    def sync_daemonset(self, key: str) -> None:
        engine = self.engine
        ds = self.daemonsets[key]
        eligible = []
        names = set()
        for node in engine.nodes.values():
            run, stay = self.should_run(ds.template, node)
            if run or (stay and node.name in ds.pods):
                eligible.append(node)
                names.add(node.name)
        for node_name, pod_id in list(ds.pods.items()):
            pod = engine.pods.get(pod_id)
            if node_name not in names and pod is not None and not pod.deleting:
                engine.event(pod.id, "SuccessfulDelete", f"Deleted pod: {pod.name}")
                engine.delete_pod(pod)
        for node in eligible:
            if node.name not in ds.pods and self.should_run(ds.template, node)[0]:
                self._create_daemon_pod(ds, node)
        self._roll_daemonset(ds, names)
        pods = [engine.pods[p] for n, p in ds.pods.items() if n in names and p in engine.pods]
        ds.desired = len(eligible)
        ds.ready = sum(1 for p in pods if p.ready and not p.deleting)
        ds.updated = sum(1 for p in pods if p.template == ds.template)
        ds.touch()

    def _create_daemon_pod(self, ds: SimDaemonSet, node: SimNode) -> None:
        engine = self.engine
        name = f"{ds.name}-{engine.random_suffix()}"
        pod = SimPod(ds.namespace, name, engine.uid(), f"DaemonSet/{ds.name}", ds.template, engine.clock)
        pod.labels = dict(ds.template.labels)
        ds.pods[node.name] = pod.id
        engine.event(pod.id, "SuccessfulCreate", f"Created pod: {name}")
        # Since v1.12 the default scheduler places daemon pods: the controller only pins the pod to its node
        # with a required node affinity on the node's name (daemonset_util.go, ReplaceDaemonSetPodNodeNameNodeAffinity).
        pod.required_node = node.name
        engine.add_pod(pod)

    def _roll_daemonset(self, ds: SimDaemonSet, eligible: set[str]) -> None:
        """RollingUpdate, maxUnavailable 1: replace one old pod at a time, the unavailable ones first."""
        engine = self.engine
        pods = [engine.pods[p] for n, p in ds.pods.items() if n in eligible and p in engine.pods]
        unavailable = sum(1 for p in pods if not p.ready or p.deleting)
        old = [p for p in pods if p.template != ds.template and not p.deleting]
        old.sort(key=lambda p: (p.ready, p.name))
        for pod in old:
            available = pod.ready
            if available and unavailable >= MAX_UNAVAILABLE:
                return
            engine.event(pod.id, "SuccessfulDelete", f"Deleted pod: {pod.name}")
            engine.delete_pod(pod)
            if available:
                unavailable += 1

    # -- StatefulSets --------------------------------------------------------------------------

    def create_statefulset(self, spec: dict[str, Any], template: PodTemplate) -> None:
        claim_templates = tuple(
            (str(c["name"]), str(c["storageClass"]), str(c.get("size", "1Gi")))
            for c in spec.get("volumeClaimTemplates") or []
        )
        sts = SimStatefulSet(
            str(spec["namespace"]),
            str(spec["name"]),
            int(spec["replicas"]),
            template,
            str(spec.get("serviceName", spec["name"])),
            claim_templates,
        )
        self.statefulsets[sts.key] = sts
        self.engine.track(sts)
        self.request("statefulset", sts.key)

    def sync_statefulset(self, key: str) -> None:
        engine = self.engine
        sts = self.statefulsets[key]
        waiting = ""
        pods: list[SimPod] = []
        for ordinal in range(sts.replicas):
            pod = engine.pods.get(component_id("pod", sts.pod_name(ordinal), sts.namespace))
            if pod is None:
                self._create_stateful_pod(sts, ordinal)
                waiting = f"waiting for pod {sts.pod_name(ordinal)} to be Running and Ready"
                break
            pods.append(pod)
            if pod.deleting:
                waiting = (
                    f"pod {pod.name} is Terminating: no replacement while it may still run "
                    "(force-delete it or taint its dead node out-of-service)"
                )
                break
            if not pod.ready:
                waiting = f"waiting for pod {pod.name} to be Running and Ready"
                break
        else:
            # Scale down: the highest ordinal first, one at a time, once the others are ready.
            extra = [
                p
                for p in engine.pods.values()
                if p.owner == f"StatefulSet/{sts.name}"
                and p.namespace == sts.namespace
                and not p.deleting
                and _ordinal(p.name, sts.name) >= sts.replicas
            ]
            if extra:
                victim = max(extra, key=lambda p: _ordinal(p.name, sts.name))
                engine.event(victim.id, "SuccessfulDelete", f"delete Pod {victim.name} in StatefulSet {sts.name}")
                engine.delete_pod(victim)
        sts.waiting = waiting
        sts.current = len(pods)
        sts.ready = sum(1 for p in pods if p.ready and not p.deleting)

    def _create_stateful_pod(self, sts: SimStatefulSet, ordinal: int) -> None:
        engine = self.engine
        claims = []
        for claim_template, storage_class, size in sts.claim_templates:
            name = sts.claim_name(claim_template, ordinal)
            claims.append(name)
            key = f"{sts.namespace}/{name}"
            if key not in engine.claims:
                claim = SimClaim(sts.namespace, name, engine.uid(), storage_class, parse_memory(size), size)
                claim.owner = f"StatefulSet/{sts.name}"
                engine.claims[key] = claim
                engine.track(claim)
                engine.event(claim.key, "SuccessfulCreate", f"create Claim {name} for Pod {sts.pod_name(ordinal)}")
                engine.after(0.1, engine.storage.sync_claim, key)
        template = dataclasses.replace(sts.template, claims=tuple(claims))
        name = sts.pod_name(ordinal)
        pod = SimPod(sts.namespace, name, engine.uid(), f"StatefulSet/{sts.name}", template, engine.clock)
        pod.labels = {**dict(sts.template.labels), "statefulset.kubernetes.io/pod-name": name}
        engine.event(pod.id, "SuccessfulCreate", f"create Pod {name} in StatefulSet {sts.name} successful")
        engine.add_pod(pod)

    # -- commands --------------------------------------------------------------------------------

    def set_image(self, payload: dict[str, Any]) -> None:
        image = payload.get("image")
        if not isinstance(image, str) or not image.strip() or " " in image.strip():
            raise CommandError(f"image must be an image reference such as nginx:1.27, not {image!r}")
        key = payload.get("daemonset")
        if not isinstance(key, str) or key not in self.daemonsets:
            raise CommandError(f"unknown daemonset {key!r}; daemonsets: {', '.join(sorted(self.daemonsets))}")
        ds = self.daemonsets[key]
        ds.template = dataclasses.replace(ds.template, image=image.strip())
        self.engine.add_registry(registry_of(image.strip()))
        self.request("daemonset", key)

    def scale(self, payload: dict[str, Any]) -> None:
        key = payload.get("statefulset")
        if not isinstance(key, str) or key not in self.statefulsets:
            raise CommandError(f"unknown statefulset {key!r}; statefulsets: {', '.join(sorted(self.statefulsets))}")
        value = payload.get("replicas")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
            raise CommandError(f"replicas must be a whole number from 0 to 1000, not {value!r}")
        self.statefulsets[key].replicas = value
        self.request("statefulset", key)

    def pod_gc(self) -> None:
        """gcTerminating: terminating pods on a NotReady node tainted out-of-service are deleted for good."""
        engine = self.engine
        engine.after(PODGC_PERIOD, self.pod_gc)
        if not engine.control.active("controller-manager"):
            return
        for node in engine.nodes.values():
            if node.ready != "True" and node.has_taint(OUT_OF_SERVICE_TAINT):
                for pod_id in list(node.pods):
                    pod = engine.pods[pod_id]
                    if pod.deleting:
                        engine.event(pod.id, "PodGC", f"Forcibly deleted pod {pod.name}: its node is out of service")
                        engine.remove_pod(pod)


def _ordinal(pod_name: str, set_name: str) -> int:
    suffix = pod_name.removeprefix(f"{set_name}-")
    return int(suffix) if suffix.isdigit() else -1
