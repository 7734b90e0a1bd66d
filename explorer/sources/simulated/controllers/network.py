"""Services: the EndpointSlice controller and each node's kube-proxy.

The EndpointSlice controller (kubernetes/kubernetes pkg/controller/endpointslice,
endpointslice_controller.go and staging/src/k8s.io/endpointslice/reconciler.go)
keeps, per Service, slices of at most 100 endpoints (maxEndpointsPerSlice): one
endpoint per selected pod that has an address (scheduled and started). An
endpoint is `ready` when its pod is Ready and not terminating (and, here, its
node is Ready: the node lifecycle controller turns a NotReady node's pods not
ready anyway); a terminating pod stays as `terminating`, not ready, until it
is gone, then its endpoint goes. It runs in the controller-manager: while that
is down, the slices keep what they last said.

kube-proxy (pkg/proxy, iptables/proxier.go; defaults in
pkg/proxy/apis/config/v1alpha1/defaults.go: minSyncPeriod 1 s) programs every
node's rules from the Services and their slices. A running kube-proxy follows
every change within a second; a stopped one (or a dead machine's) keeps the
rules it last wrote, shown as stale once the Services or their endpoints move
on, until it runs again and syncs.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from explorer.model.ids import node_agent_id
from explorer.sources.base import CommandError
from explorer.sources.simulated.world import SimEndpointSlice, SimNode, SimPod, SimService

if TYPE_CHECKING:
    from explorer.sources.simulated.engine import Engine

__all__ = ["MAX_ENDPOINTS_PER_SLICE", "PROXY_MIN_SYNC", "NetworkControllers"]

MAX_ENDPOINTS_PER_SLICE = 100  # --max-endpoints-per-slice
PROXY_MIN_SYNC = 1.0  # kube-proxy's iptables.minSyncPeriod
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")  # kubeadm's default service subnet


class NetworkControllers:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.services: dict[str, SimService] = {}
        self.slices: dict[str, list[SimEndpointSlice]] = {}  # service key -> its slices, oldest first
        self._members: dict[str, set[str]] = {}  # service key -> pod ids it selects
        self._of_pod: dict[str, list[str]] = {}  # pod id -> keys of the Services that select it
        self._dirty: dict[str, set[str]] = {}  # service key -> pod ids to look at again
        self._slice_of: dict[tuple[str, str], SimEndpointSlice] = {}  # (service key, pod id) -> its slice
        self._drain_scheduled = False
        self._next_ip = 10  # .1 is the `kubernetes` Service; kubeadm gives kube-dns .10
        self.version = 0  # of the rules every kube-proxy should program
        self._silent: set[str] = set()  # nodes whose kube-proxy does not sync now

    # -- Services ---------------------------------------------------------------------------

    def add_service(self, spec: dict[str, Any]) -> SimService:
        namespace, name = str(spec["namespace"]), str(spec["name"])
        ip = spec.get("clusterIP")
        taken = {s.cluster_ip for s in self.services.values()}
        while ip is None or (ip in taken and "clusterIP" not in spec):
            # The next free address: kube-dns's fixed .10 must not be handed to a Service listed after it.
            ip = str(SERVICE_CIDR.network_address + self._next_ip)
            self._next_ip += 1
        ports = [
            {
                "name": str(p.get("name", "")),
                "port": int(p["port"]),
                "targetPort": p.get("targetPort", p["port"]),
                "protocol": str(p.get("protocol", "TCP")),
            }
            for p in spec.get("ports") or []
        ]
        selector = {str(k): str(v) for k, v in (spec.get("selector") or {}).items()}
        service = SimService(namespace, name, str(spec.get("type", "ClusterIP")), str(ip), ports, selector)
        self.services[service.key] = service
        self.engine.track(service)
        self.slices[service.key] = []
        members = {p.id for p in self.engine.pods.values() if p.namespace == namespace and service.selects(p.labels)}
        self._members[service.key] = members
        for pod_id in members:
            self._of_pod.setdefault(pod_id, []).append(service.key)
        self._dirty[service.key] = set(members)
        self._request()
        return service

    # -- what the controller is told about pods and nodes ----------------------------------------

    def pod_added(self, pod: SimPod) -> None:
        if not self.services:
            return
        keys = [k for k, s in self.services.items() if s.namespace == pod.namespace and s.selects(pod.labels)]
        if keys:
            self._of_pod[pod.id] = keys
            for key in keys:
                self._members[key].add(pod.id)

    def pod_changed(self, pod: SimPod) -> None:
        keys = self._of_pod.get(pod.id)
        if keys:
            for key in keys:
                self._dirty.setdefault(key, set()).add(pod.id)
            self._request()

    def pod_removed(self, pod: SimPod) -> None:
        keys = self._of_pod.pop(pod.id, None)
        if keys:
            for key in keys:
                self._members[key].discard(pod.id)
                self._dirty.setdefault(key, set()).add(pod.id)
            self._request()

    def node_changed(self, node: SimNode) -> None:
        """The node's Ready condition moved: its pods' endpoints are looked at again."""
        for pod_id in node.pods:
            pod = self.engine.pods.get(pod_id)
            if pod is not None:
                self.pod_changed(pod)

    def resync_all(self) -> None:
        for key, members in self._members.items():
            self._dirty.setdefault(key, set()).update(members)
            self._dirty[key].update(e for s in self.slices[key] for e in s.endpoints)
        self._request()

    # -- the work queue ---------------------------------------------------------------------------

    def _request(self) -> None:
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self.engine.after(0.0, self._drain)

    def _drain(self) -> None:
        self._drain_scheduled = False
        if not self.engine.control.active("controller-manager"):
            return  # the work stays queued; resync_all runs when the controller-manager is back
        work, self._dirty = self._dirty, {}
        changed = False
        for key, pods in work.items():
            changed |= self._sync_service(key, pods)
        if changed:
            self._rules_changed()

    def _endpoint(self, pod: SimPod) -> dict[str, Any] | None:
        """The pod's endpoint, or None when it has no address (unscheduled, not started) or is gone."""
        if pod.node is None or pod.phase != "Running":
            return None
        node = self.engine.nodes[pod.node]
        ready = pod.ready and not pod.deleting and node.ready == "True"
        return {
            "pod": pod.name,
            "addresses": [pod.ip] if pod.ip else [],
            "node": pod.node,
            "ready": ready,
            "serving": pod.ready and node.ready == "True",
            "terminating": pod.deleting,
        }

    def _sync_service(self, key: str, pod_ids: set[str]) -> bool:
        """Bring the Service's slices up to date for these pods; answers whether any endpoint moved."""
        engine = self.engine
        service = self.services[key]
        slices = self.slices[key]
        where = self._slice_of
        members = self._members[key]
        changed = False
        ready = service.ready
        total = service.ready + service.not_ready
        # Sorted: a set of strings iterates in an order that differs between processes, and a seed must replay.
        for pod_id in sorted(pod_ids):
            pod = engine.pods.get(pod_id)
            wanted = self._endpoint(pod) if pod is not None and pod_id in members else None
            holder = where.get((key, pod_id))
            if holder is not None and wanted is None:
                ready -= holder.endpoints.pop(pod_id)["ready"]
                total -= 1
                del where[(key, pod_id)]
                holder.touch()
                changed = True
            elif holder is not None and wanted is not None and holder.endpoints[pod_id] != wanted:
                ready += wanted["ready"] - holder.endpoints[pod_id]["ready"]
                holder.endpoints[pod_id] = wanted
                holder.touch()
                changed = True
            elif holder is None and wanted is not None:
                # Fill the first slice with room, as the reconciler does, before making a new one.
                room = next((s for s in slices if len(s.endpoints) < MAX_ENDPOINTS_PER_SLICE), None)
                if room is None:
                    room = SimEndpointSlice(service.namespace, f"{service.name}-{engine.random_suffix()}", service.name)
                    slices.append(room)
                    engine.track(room)
                room.endpoints[pod_id] = wanted
                ready += wanted["ready"]
                total += 1
                where[(key, pod_id)] = room
                room.touch()
                changed = True
        # An empty slice goes, but a Service keeps one (the reconciler's placeholder slice).
        empty = [s for s in slices if not s.endpoints]
        for s in empty[: len(empty) - 1] if len(empty) == len(slices) else empty:
            slices.remove(s)
            engine.untrack(s)
        if not slices:
            placeholder = SimEndpointSlice(service.namespace, f"{service.name}-{engine.random_suffix()}", service.name)
            slices.append(placeholder)
            engine.track(placeholder)
        if changed:
            service.ready, service.not_ready = ready, total - ready
        return changed

    # -- kube-proxy ---------------------------------------------------------------------------

    def _rules_changed(self) -> None:
        """Services or endpoints moved: running proxies follow; silent ones now hold stale rules."""
        self.version += 1
        stamp = self.engine.timestamp()
        # Running proxies follow at once (their version is the current one); only silent ones are written.
        for name in sorted(self._silent):
            node = self.engine.nodes[name]
            if node.rules_stale_since is None:
                node.rules_stale_since = stamp

    def proxy_state_changed(self, node: SimNode) -> None:
        """The machine or its kube-proxy stopped or started: a starting proxy syncs after minSyncPeriod."""
        if node.machine_up and node.proxy_up:
            self._silent.discard(node.name)
            if node.rules_version != self.version or node.rules_stale_since is not None:
                self.engine.after(PROXY_MIN_SYNC, self._sync_proxy, node.name)
        elif node.name not in self._silent:
            self._silent.add(node.name)
            node.rules_version = self.version  # what it programmed last

    def _sync_proxy(self, name: str) -> None:
        node = self.engine.nodes[name]
        if name in self._silent:
            return
        node.rules_version = self.version
        if node.rules_stale_since is not None:
            node.rules_stale_since = None
            self.engine.event(
                node_agent_id("kube-proxy", name), "RulesSynced", "kube-proxy programmed the rules of every Service"
            )

    def command(self, action: str, node: SimNode) -> None:
        if action == "stop":
            if not node.proxy_up:
                return
            node.proxy_up = False
        else:
            if node.proxy_up:
                return
            if not node.machine_up:
                raise CommandError(f"node {node.name} is down: start the machine (node-up) first")
            node.proxy_up = True
        self.proxy_state_changed(node)
