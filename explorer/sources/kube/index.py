"""ClusterIndex: what the watches have said so far, and the components it adds up to.

One component can depend on several API objects (a kubelet on its Node and its
node Lease, a scheduler on its static pod and the leader Lease, a registry on
every pod that pulls from it). The index keeps the small part of each object it
needs, works out which components an object touches, recomputes only those,
and answers the component changes. It is plain, single-threaded Python: the
source feeds it from one thread.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from explorer.model import ChangeType, ClusterState, Component, ComponentChange, Health
from explorer.model.ids import component_id, node_agent_id, parse_id
from explorer.model.timestamps import iso_timestamp
from explorer.sources.kube import decode, mapping

__all__ = ["RESOURCES", "ClusterIndex", "collector_paused", "thaw_heap"]

# The watched collections, by the name the source and the index share: every shape decode.py reads
# but the events, which go to the timeline, not the index.
RESOURCES = tuple(name for name in decode.SHAPES if name != "events")
# Collections whose objects are each one component, mapped on their own (mapping.MAPPED_ALONE).
_MAPPED_ALONE = mapping.MAPPED_ALONE
_NAMESPACED = frozenset({"pods", "pvcs", "services", *_MAPPED_ALONE})

PodKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class _PodEntry:
    component: Component  # the pod as a pod, before it is told apart as a member or kube-proxy
    member: tuple[str, str] | None  # (kind, node) of a static control-plane pod
    proxy_node: str | None  # the node a kube-proxy DaemonSet pod serves
    registries: frozenset[str]
    failing: frozenset[str]

    @property
    def target(self) -> str:
        if self.member:
            return component_id(*self.member)
        if self.proxy_node:
            return node_agent_id("kube-proxy", self.proxy_node)
        return self.component.id


_pause_lock = threading.Lock()
_pausers = 0
_was_enabled = False
_settle = False


def _namespace_of(obj: dict[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("namespace") or "default"


@contextlib.contextmanager
def collector_paused(settle: bool = False) -> Iterator[None]:
    """A list of 150000 pods makes objects that never form cycles; tracing them all, repeatedly, triples the cost.

    Counted, as lists and watches decode in several threads at once: the collector
    runs again when the last of them is done, if it ran before the first began.
    With `settle`, what the pause left alive (a first list's index) is frozen out
    of the collector's sweeps first: unfrozen, its next sweeps would trace those
    millions of objects three times over (about a second at 150000 pods) and every
    full sweep after. Frozen objects are still freed by reference counting when a
    pod goes; `thaw_heap` undoes it.
    """
    global _pausers, _was_enabled, _settle
    with _pause_lock:
        if _pausers == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pausers -= 1
            _settle = _settle or settle
            if _pausers == 0:
                if _settle:
                    gc.freeze()
                    _settle = False
                if _was_enabled:
                    gc.enable()


def thaw_heap() -> None:
    """The collector may sweep everything again (a source closes: its threads and queues form cycles).

    Process-wide: the server's own imports, frozen at start (explorer/asgi.py), thaw too, until the
    next source's first lists settle and freeze what is alive then, those imports included.
    """
    gc.unfreeze()


class ClusterIndex:
    def __init__(self, cluster: str = "", clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.cluster = cluster
        self.clock = clock
        self.nodes: dict[str, dict[str, Any]] = {}
        self.node_leases: dict[str, dict[str, Any]] = {}
        self.leaders: dict[str, dict[str, Any]] = {}  # component kind -> its leader Lease
        self.pods: dict[PodKey, _PodEntry] = {}
        self.members: dict[str, PodKey] = {}  # control-plane component id -> its static pod
        self.proxies: dict[str, PodKey] = {}  # node -> its kube-proxy pod
        self.storage: dict[str, Component] = {}  # pv, pvc and storageclass components by id
        self.services: dict[PodKey, dict[str, Any]] = {}  # (namespace, name) -> the Service as decoded
        self.workloads: dict[str, Component] = {}  # EndpointSlices and the workload controllers, by id
        self.service_slices: dict[PodKey, set[str]] = {}  # a Service's (namespace, name) -> its slices' ids
        self.claim_templates: dict[str, dict[str, tuple[str, ...]]] = {}  # namespace -> StatefulSet -> templates
        self.registries: dict[str, list[int]] = {}  # host -> [pods, pods failing to pull]
        self.managed: bool = False
        self.health_checks: tuple[str | None, str | None, bool | None, str] = (None, None, None, "")
        self.unreachable: str = ""
        # Since when, and why, the apiserver's own health checks fail while its watches may still be open.
        self.doubt_since: str = ""
        self.doubt_why: str = ""
        self.components: dict[str, Component] = {}
        # Collection -> the keys its relist's pages named so far.
        self._relisting: dict[str, set[Any]] = {}

    # -- feeding ------------------------------------------------------------------------

    def apply(self, resource: str, kind: str, obj: dict[str, Any]) -> list[ComponentChange]:
        """One watch event (ADDED, MODIFIED or DELETED) of one of RESOURCES."""
        dirty: set[str] = set()
        self._apply(resource, kind, obj, dirty)
        return self._refresh(dirty)

    def apply_many(self, events: Iterable[tuple[str, str, dict[str, Any]]]) -> list[ComponentChange]:
        dirty: set[str] = set()
        with collector_paused():
            for resource, kind, obj in events:
                self._apply(resource, kind, obj, dirty)
            return self._refresh(dirty)

    def replace(self, resource: str, items: Iterable[dict[str, Any]]) -> list[ComponentChange]:
        """A fresh list of a whole collection (the first list, or a relist after 410 Gone)."""
        return self.replace_pages([(resource, items)], (resource,))

    def replace_pages(
        self, pages: Iterable[tuple[str, Iterable[dict[str, Any]]]], resources: Iterable[str]
    ) -> list[ComponentChange]:
        """Fresh lists of `resources`, their pages arriving as they are read, interleaved.

        Each page is mapped as it comes and can then be dropped: a 150000-pod list
        is never held whole. What a collection's pages did not name is gone.
        """
        with collector_paused():
            return self._refresh(self._take_pages(pages, resources))

    def load(self, pages: Iterable[tuple[str, Iterable[dict[str, Any]]]], resources: Iterable[str]) -> ClusterState:
        """The first lists, as `replace_pages` takes them: the state they add up to, with no changes to report.

        What they leave lives long and forms no cycles: it is kept out of the collector's sweeps.
        """
        with collector_paused(settle=True):
            self._refresh(self._take_pages(pages, resources), report=False)
        return self.state()

    def begin_relist(self, resource: str) -> None:
        """A relist of `resource` (after 410 Gone) starts: its pages follow, then `end_relist`."""
        self._relisting[resource] = set()

    def relist_page(self, resource: str, items: Iterable[dict[str, Any]]) -> list[ComponentChange]:
        """One page of a relist, mapped at once: what it holds is added or updated."""
        dirty: set[str] = set()
        seen = self._relisting.setdefault(resource, set())
        with collector_paused():
            for obj in items:
                seen.add(self._key(resource, obj))
                self._apply(resource, "ADDED", obj, dirty)
            return self._refresh(dirty)

    def end_relist(self, resource: str) -> list[ComponentChange]:
        """The relist's last page came: what none of its pages named is gone."""
        seen = self._relisting.pop(resource, set())
        dirty: set[str] = set()
        for key in [k for k in self._keys(resource) if k not in seen]:
            self._apply(resource, "DELETED", self._stub(resource, key), dirty)
        return self._refresh(dirty)

    def _take_pages(self, pages: Iterable[tuple[str, Iterable[dict[str, Any]]]], resources: Iterable[str]) -> set[str]:
        dirty: set[str] = set()
        # Only a collection the index already holds can have lost something (a relist, not the first list).
        seen: dict[str, set[Any]] = {resource: set() for resource in resources if self._keys(resource)}
        for resource, items in pages:
            keys = seen.get(resource)
            for obj in items:
                if keys is not None:
                    keys.add(self._key(resource, obj))
                self._apply(resource, "ADDED", obj, dirty)
        for resource, keys in seen.items():
            for key in [k for k in self._keys(resource) if k not in keys]:
                self._apply(resource, "DELETED", self._stub(resource, key), dirty)
        return dirty

    def tick(self) -> list[ComponentChange]:
        """Re-read what depends on the clock: node Leases and leader Leases that stop being renewed."""
        dirty = {node_agent_id("kubelet", n) for n in self.nodes}
        dirty |= {cid for cid in self.members if cid.startswith(("scheduler/", "controller-manager/"))}
        return self._refresh(dirty)

    def set_managed(self, managed: bool) -> list[ComponentChange]:
        self.managed = managed
        return self._refresh({component_id("apiserver", "managed")})

    def set_health_checks(
        self, livez: str | None, readyz: str | None, ready: bool | None, error: str = ""
    ) -> list[ComponentChange]:
        """The managed apiserver's `/livez` and `/readyz` (error: why a read failed, or which failed).

        While they fail, what the watches say may be old news: an apiserver that is
        shutting down stops taking connections but keeps its open watches for up to a
        minute while it drains, and they carry nothing. Every component read from it
        is then marked possibly stale (ok turns unknown; its detail says since when),
        until the checks pass again.
        """
        self.health_checks = (livez, readyz, ready, error)
        failing = ready is not True or bool(error)
        managed = component_id("apiserver", "managed")
        if failing == bool(self.doubt_since):
            return self._refresh({managed})
        if failing:
            self.doubt_since = self.clock().isoformat(timespec="seconds").replace("+00:00", "Z")
            self.doubt_why = error or "/readyz failed"
        else:
            self.doubt_since = self.doubt_why = ""
        return self._refresh(set(self.components) | self._all_ids() | {managed})

    def set_unreachable(self, reason: str) -> list[ComponentChange]:
        """Every component turns unknown with the reason (or back, when reason is empty)."""
        if reason == self.unreachable:
            return []
        self.unreachable = reason
        return self._refresh(set(self.components) | self._all_ids())

    def state(self, source: str = "kube") -> ClusterState:
        return ClusterState(self.components, cluster=self.cluster, source=source)

    # -- bookkeeping ------------------------------------------------------------------

    @staticmethod
    def _key(resource: str, obj: dict[str, Any]) -> Any:
        meta = obj.get("metadata") or {}
        if resource in _NAMESPACED:
            return (meta.get("namespace") or "default", meta.get("name", ""))
        return meta.get("name", "")

    def _keys(self, resource: str) -> list[Any]:
        if resource == "nodes":
            return list(self.nodes)
        if resource == "node-leases":
            return list(self.node_leases)
        if resource == "leader-leases":
            return [name for name, kind in mapping.LEADER_LEASES.items() if kind in self.leaders]
        if resource == "pods":
            return list(self.pods)
        if resource == "services":
            return list(self.services)
        if resource in _MAPPED_ALONE:
            prefix, held = f"{_MAPPED_ALONE[resource][0]}/", self.workloads
        else:
            prefix = {"pvs": "pv/", "pvcs": "pvc/", "storageclasses": "storageclass/"}[resource]
            held = self.storage
        keys: list[Any] = []
        for cid in held:
            if cid.startswith(prefix):
                _, namespace, name = parse_id(cid)
                keys.append((namespace, name) if namespace else name)
        return keys

    @staticmethod
    def _stub(resource: str, key: Any) -> dict[str, Any]:
        if isinstance(key, tuple):
            return {"metadata": {"namespace": key[0], "name": key[1]}}
        return {"metadata": {"name": key}}

    def _apply(self, resource: str, kind: str, obj: dict[str, Any], dirty: set[str]) -> None:
        deleted = kind == "DELETED"
        name = (obj.get("metadata") or {}).get("name", "")
        if resource == "nodes":
            if deleted:
                self.nodes.pop(name, None)
            else:
                self.nodes[name] = mapping.slim_node(obj)
            dirty.update(node_agent_id(k, name) for k in ("kubelet", "runtime", "kube-proxy"))
            dirty.add(component_id("node", name))
        elif resource == "node-leases":
            if deleted:
                self.node_leases.pop(name, None)
            else:
                self.node_leases[name] = {"spec": obj.get("spec") or {}}
            dirty.add(node_agent_id("kubelet", name))
        elif resource == "leader-leases":
            member_kind = mapping.LEADER_LEASES.get(name)
            if member_kind is None:
                return
            if deleted:
                self.leaders.pop(member_kind, None)
            else:
                self.leaders[member_kind] = {"spec": obj.get("spec") or {}}
            dirty.update(cid for cid in self.members if cid.startswith(f"{member_kind}/"))
        elif resource == "pods":
            self._apply_pod(obj, deleted, dirty)
        elif resource == "services":
            key = (_namespace_of(obj), name)
            if deleted:
                self.services.pop(key, None)
            else:
                self.services[key] = obj
            dirty.add(component_id("service", name, key[0]))
        elif resource in _MAPPED_ALONE:
            self._apply_alone(resource, obj, deleted, dirty)
        else:
            mapper: dict[str, Callable[[dict[str, Any]], Component]] = {
                "pvs": mapping.map_pv,
                "pvcs": mapping.map_pvc,
                "storageclasses": mapping.map_storageclass,
            }
            component = mapper[resource](obj)
            if deleted:
                self.storage.pop(component.id, None)
            else:
                self.storage[component.id] = component
            dirty.add(component.id)

    def _apply_alone(self, resource: str, obj: dict[str, Any], deleted: bool, dirty: set[str]) -> None:
        """An EndpointSlice or a workload controller: its own component, and what it counts for.

        A slice's endpoints add up into its Service's counts; a StatefulSet's claim
        templates name the PVCs it made (`<template>-<set>-<ordinal>`).
        """
        component = _MAPPED_ALONE[resource][1](obj)
        namespace = component.namespace or "default"
        old = self.workloads.pop(component.id, None)
        if not deleted:
            self.workloads[component.id] = component
        dirty.add(component.id)
        if resource == "endpointslices":
            for c, add in ((old, False), (None if deleted else component, True)):
                service = str(c.detail.get("service") or "") if c else ""
                if not service:
                    continue
                slices = self.service_slices.setdefault((namespace, service), set())
                if add:
                    slices.add(component.id)
                else:
                    slices.discard(component.id)
                    if not slices:
                        del self.service_slices[(namespace, service)]
                dirty.add(component_id("service", service, namespace))
        elif resource == "statefulsets":
            sets = self.claim_templates.setdefault(namespace, {})
            templates = set(sets.pop(component.name, ()))
            if not deleted:
                sets[component.name] = mapping.claim_templates(obj)
                templates |= set(sets[component.name])
            if not sets:
                del self.claim_templates[namespace]
            prefixes = tuple(component_id("pvc", f"{t}-{component.name}-", namespace) for t in templates)
            if prefixes:
                dirty.update(cid for cid in self.storage if cid.startswith(prefixes))

    def _apply_pod(self, pod: dict[str, Any], deleted: bool, dirty: set[str]) -> None:
        meta = pod.get("metadata") or {}
        key = (meta.get("namespace") or "default", meta.get("name", ""))
        old = self.pods.pop(key, None)
        if old is not None:
            dirty.add(old.target)
            self._count_registries(old, -1, dirty)
            if old.member and self.members.get(component_id(*old.member)) == key:
                del self.members[component_id(*old.member)]
            if old.proxy_node and self.proxies.get(old.proxy_node) == key:
                del self.proxies[old.proxy_node]
        if deleted:
            return
        component = mapping.map_pod(pod)
        images = component.detail["images"]
        failing = mapping.pull_failing_images(pod)
        member = mapping.control_plane_member(pod)
        node = (pod.get("spec") or {}).get("nodeName")
        entry = _PodEntry(
            component=component,
            member=member,
            proxy_node=node if (member is None and node and mapping.is_kube_proxy_pod(pod)) else None,
            registries=mapping.registries_of(images),
            failing=mapping.registries_of(failing),
        )
        self.pods[key] = entry
        if member:
            self.members[component_id(*member)] = key
        if entry.proxy_node:
            self.proxies[entry.proxy_node] = key
        dirty.add(entry.target)
        self._count_registries(entry, 1, dirty)

    def _count_registries(self, entry: _PodEntry, sign: int, dirty: set[str]) -> None:
        for host in entry.registries:
            counts = self.registries.setdefault(host, [0, 0])
            counts[0] += sign
            if host in entry.failing:
                counts[1] += sign
            if counts[0] <= 0:
                del self.registries[host]
            dirty.add(component_id("registry", host))

    def _all_ids(self) -> set[str]:
        ids = {component_id("node", n) for n in self.nodes}
        ids |= {node_agent_id(k, n) for n in self.nodes for k in ("kubelet", "runtime")}
        ids |= {node_agent_id("kube-proxy", n) for n in self.proxies}
        ids |= {e.target for e in self.pods.values()}
        ids |= set(self.storage)
        ids |= set(self.workloads)
        ids |= {component_id("service", name, namespace) for namespace, name in self.services}
        ids |= {component_id("registry", h) for h in self.registries}
        if self.managed:
            ids.add(component_id("apiserver", "managed"))
        return ids

    # -- components -------------------------------------------------------------------

    def _compute(self, cid: str) -> Component | None:
        kind, namespace, name = parse_id(cid)
        if kind == "pod":
            entry = self.pods.get((namespace or "", name))
            return entry.component if entry and entry.target == cid else None
        if kind == "node":
            node = self.nodes.get(name)
            return mapping.map_node(node) if node else None
        if kind == "kubelet":
            node = self.nodes.get(name)
            return mapping.map_kubelet(node, self.node_leases.get(name), self.clock()) if node else None
        if kind == "runtime":
            node = self.nodes.get(name)
            return mapping.map_runtime(node) if node else None
        if kind == "kube-proxy":
            key = self.proxies.get(name)
            return mapping.map_kube_proxy(name, self.pods[key].component) if key and name in self.nodes else None
        if kind == "registry":
            counts = self.registries.get(name)
            return mapping.map_registry(name, counts[0], counts[1]) if counts else None
        if kind == "apiserver" and name == "managed":
            return mapping.map_managed_apiserver(*self.health_checks) if self.managed else None
        if kind == "service":
            return self._service(namespace or "default", name)
        if kind == "pvc":
            return self._claim(cid, namespace or "default", name)
        if cid in self.members:
            pod = self.pods[self.members[cid]].component
            return mapping.map_control_plane(kind, name, pod, self.leaders.get(kind), self.clock())
        return self.storage.get(cid) or self.workloads.get(cid)

    def _service(self, namespace: str, name: str) -> Component | None:
        service = self.services.get((namespace, name))
        if service is None:
            return None
        ready = not_ready = 0
        for slice_id in self.service_slices.get((namespace, name), ()):
            detail = self.workloads[slice_id].detail
            ready += detail["ready"]
            not_ready += detail["notReady"]
        return mapping.map_service(service, ready, not_ready)

    def _claim(self, cid: str, namespace: str, name: str) -> Component | None:
        """A PVC, owned by the StatefulSet whose claim template named it, where no ownerReference says so."""
        claim = self.storage.get(cid)
        if claim is None or claim.detail.get("owner"):
            return claim
        owner = mapping.claim_owner(name, self.claim_templates.get(namespace, {}))
        return claim.with_(detail={**claim.detail, "owner": owner}) if owner else claim

    def _doubted(self, c: Component) -> Component:
        """`c` as the watches last said, marked possibly stale: not plainly ok while the apiserver fails."""
        detail = {**c.detail, "stale_since": self.doubt_since}
        if c.health is not Health.OK:
            return c.with_(detail=detail)
        why = (
            f"possibly stale: the apiserver's health checks have failed since {self.doubt_since} "
            f"({self.doubt_why}), and what its watches said may be out of date"
        )
        return c.with_(health=Health.UNKNOWN, detail={**detail, "why": why})

    def _refresh(self, dirty: set[str], report: bool = True) -> list[ComponentChange]:
        """Recompute the dirty components; the changes in id order (none made when not to `report`)."""
        now = iso_timestamp(self.clock())
        changes: list[ComponentChange] = []
        for cid in sorted(dirty) if report else dirty:
            new = self._compute(cid)
            if new is not None and self.unreachable:
                new = new.with_(health=Health.UNKNOWN, detail={**new.detail, "why": self.unreachable})
            elif new is not None and self.doubt_since and cid != component_id("apiserver", "managed"):
                new = self._doubted(new)
            old = self.components.get(cid)
            if new is None:
                if old is not None:
                    del self.components[cid]
                    if report:
                        changes.append(ComponentChange(ChangeType.REMOVED, old, now))
            elif old is None:
                self.components[cid] = new
                if report:
                    changes.append(ComponentChange(ChangeType.ADDED, new, now))
            elif old != new:
                self.components[cid] = new
                if report:
                    changes.append(ComponentChange(ChangeType.UPDATED, new, now))
        return changes
