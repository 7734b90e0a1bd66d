"""Pure functions from Kubernetes API objects (plain dicts, the API's JSON) to components.

Nothing here talks to a cluster or reads the clock: the caller passes `now`.
The rules follow what `kubectl get` prints (a pod's STATUS column, a node's
Ready condition), so the page and kubectl agree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from explorer.model import Component, Event, Health
from explorer.model.ids import component_id, node_agent_id, node_id
from explorer.model.images import registry_of
from explorer.model.kinds import (
    KINDS,
    endpointslice_health,
    pod_health,
    pod_ready_text,
    service_health,
    workload_health,
)
from explorer.model.scheduling import parse_failed_scheduling
from explorer.model.timestamps import iso_timestamp

__all__ = [
    "CONTROL_PLANE_POD_PREFIXES",
    "MAPPED_ALONE",
    "claim_owner",
    "claim_templates",
    "control_plane_member",
    "event_time",
    "is_kube_proxy_pod",
    "leader_node",
    "map_control_plane",
    "map_daemonset",
    "map_deployment",
    "map_endpointslice",
    "map_event",
    "map_kube_proxy",
    "map_kubelet",
    "map_managed_apiserver",
    "map_node",
    "map_pod",
    "map_pv",
    "map_pvc",
    "map_registry",
    "map_replicaset",
    "map_runtime",
    "map_service",
    "map_statefulset",
    "map_storageclass",
    "parse_health_checks",
    "parse_time",
    "pod_images",
    "pod_status",
    "slice_service",
    "slim_node",
]

# kubeadm's static pods in kube-system are named `<prefix>-<node name>`.
CONTROL_PLANE_POD_PREFIXES = {
    "kube-apiserver": "apiserver",
    "etcd": "etcd",
    "kube-scheduler": "scheduler",
    "kube-controller-manager": "controller-manager",
    "cloud-controller-manager": "cloud-controller-manager",
}
# The leader-election Leases in kube-system, by the component kind they elect.
LEADER_LEASES = {"kube-scheduler": "scheduler", "kube-controller-manager": "controller-manager"}

NODE_ROLE_PREFIX = "node-role.kubernetes.io/"
PRESSURE_CONDITIONS = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")
PULL_FAILURES = frozenset({"ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName"})


def parse_time(value: Any) -> datetime | None:
    """RFC 3339 as the API writes it (`2021-08-17T17:43:40.395377Z`); None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c.get("type") == kind:
            return c
    return {}


def _conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c.get("type", ""): c for c in (obj.get("status") or {}).get("conditions") or []}


# -- nodes and their agents --------------------------------------------------------


def slim_node(node: dict[str, Any]) -> dict[str, Any]:
    """The parts of a Node the mapping reads: drops images and managedFields, which dwarf the rest."""
    meta = _meta(node)
    status = node.get("status") or {}
    return {
        "metadata": {"name": meta.get("name", ""), "labels": meta.get("labels") or {}},
        "spec": {
            "taints": (node.get("spec") or {}).get("taints") or [],
            "unschedulable": bool((node.get("spec") or {}).get("unschedulable")),
            "podCIDR": (node.get("spec") or {}).get("podCIDR") or "",
        },
        "status": {
            "conditions": status.get("conditions") or [],
            "capacity": status.get("capacity") or {},
            "allocatable": status.get("allocatable") or {},
            "nodeInfo": status.get("nodeInfo") or {},
            "addresses": status.get("addresses") or [],
        },
    }


def node_roles(node: dict[str, Any]) -> list[str]:
    """Roles as kubectl shows them: the `node-role.kubernetes.io/<role>` labels."""
    labels = _meta(node).get("labels") or {}
    roles = sorted(k[len(NODE_ROLE_PREFIX) :] for k in labels if k.startswith(NODE_ROLE_PREFIX))
    if not roles and labels.get("kubernetes.io/role"):
        roles = [labels["kubernetes.io/role"]]
    return [r for r in roles if r]


def map_node(node: dict[str, Any]) -> Component:
    name = _meta(node)["name"]
    ready = _conditions(node).get("Ready") or {}
    ready_status = ready.get("status", "Unknown")
    spec = node.get("spec") or {}
    pressures = [t for t in PRESSURE_CONDITIONS if _conditions(node).get(t, {}).get("status") == "True"]
    if ready_status == "True":
        status, health = "Ready", Health.OK
        why = ""
        if pressures:
            health, why = Health.WARNING, f"{', '.join(pressures)}"
    elif ready_status == "False":
        status, health = "NotReady", Health.ERROR
        why = f"{ready.get('reason', '')}: {ready.get('message', '')}".strip(": ")
    else:
        # kubectl prints NotReady for Ready=Unknown too (the node controller's "stopped posting status").
        status = "NotReady" if ready else "Unknown"
        health = Health.UNKNOWN
        why = ready.get("message") or "the node has not reported its status"
    if spec.get("unschedulable"):
        status += ",SchedulingDisabled"
        if health is Health.OK:
            health, why = Health.WARNING, "cordoned: new pods are not scheduled here"
    roles = node_roles(node)
    status_block = node.get("status") or {}
    info = status_block.get("nodeInfo") or {}
    addresses = {a.get("type"): a.get("address") for a in status_block.get("addresses") or []}
    return Component(
        component_id("node", name),
        "node",
        name,
        status,
        health,
        detail={
            "role": "control-plane" if {"control-plane", "master"} & set(roles) else "worker",
            "roles": roles,
            "conditions": {
                t: {"status": c.get("status"), "reason": c.get("reason", ""), "message": c.get("message", "")}
                for t, c in _conditions(node).items()
            },
            "capacity": status_block.get("capacity") or {},
            "allocatable": status_block.get("allocatable") or {},
            "taints": [
                {"key": t.get("key"), "value": t.get("value", ""), "effect": t.get("effect")}
                for t in spec.get("taints") or []
            ],
            "labels": dict(_meta(node).get("labels") or {}),
            "unschedulable": bool(spec.get("unschedulable")),
            "podCIDR": spec.get("podCIDR") or "",
            "kubeletVersion": info.get("kubeletVersion", ""),
            "osImage": info.get("osImage", ""),
            "architecture": info.get("architecture", ""),
            "internalIP": addresses.get("InternalIP", ""),
            "why": why,
        },
    )


def map_kubelet(node: dict[str, Any], lease: dict[str, Any] | None, now: datetime) -> Component:
    """The kubelet: its node's Ready condition, and whether it still renews its node Lease."""
    name = _meta(node)["name"]
    ready = (_conditions(node).get("Ready") or {}).get("status", "Unknown")
    info = (node.get("status") or {}).get("nodeInfo") or {}
    spec = (lease or {}).get("spec") or {}
    renewed = parse_time(spec.get("renewTime"))
    duration = spec.get("leaseDurationSeconds") or 40
    age = (now - renewed).total_seconds() if renewed else None
    detail: dict[str, Any] = {"version": info.get("kubeletVersion", ""), "leaseRenewed": spec.get("renewTime")}
    if lease is not None and (age is None or age > duration):
        status, health = "LeaseExpired", Health.ERROR
        since = f"{int(age)} s ago" if age is not None else "never"
        detail["why"] = f"the node Lease was last renewed {since} (lease duration {duration} s)"
    elif ready == "True":
        status, health = "Ready", Health.OK
    elif ready == "False":
        status, health = "NotReady", Health.ERROR
        detail["why"] = (_conditions(node).get("Ready") or {}).get("message", "")
    else:
        status, health = "Unknown", Health.UNKNOWN
        detail["why"] = "the kubelet has stopped posting node status"
    return Component(
        node_agent_id("kubelet", name), "kubelet", name, status, health, parent=node_id(name), detail=detail
    )


def map_runtime(node: dict[str, Any]) -> Component:
    """The container runtime behind the CRI: its version from nodeInfo; the kubelet reports its health in Ready."""
    name = _meta(node)["name"]
    ready = _conditions(node).get("Ready") or {}
    version = ((node.get("status") or {}).get("nodeInfo") or {}).get("containerRuntimeVersion", "")
    detail: dict[str, Any] = {"version": version}
    message = str(ready.get("message", ""))
    if ready.get("status") == "True":
        status, health = "Running", Health.OK
    elif ready.get("status") == "False" and "runtime" in message.lower():
        status, health = "NotReady", Health.ERROR
        detail["why"] = message
    else:
        status, health = "Unknown", Health.UNKNOWN
        detail["why"] = "the node is not ready, so its kubelet does not vouch for the runtime"
    return Component(
        node_agent_id("runtime", name), "runtime", name, status, health, parent=node_id(name), detail=detail
    )


def is_kube_proxy_pod(pod: dict[str, Any]) -> bool:
    meta = _meta(pod)
    return meta.get("namespace") == "kube-system" and (meta.get("labels") or {}).get("k8s-app") == "kube-proxy"


def map_kube_proxy(node_name: str, pod_component: Component) -> Component:
    """kube-proxy as a DaemonSet pod on the node: the pod's status is the agent's.

    Whether its rules are synced is not in any object the explorer may read: they
    count as synced while its pod runs ready, stale otherwise (since when, unknown).
    Its mode lives in a ConfigMap the explorer is not granted: None.
    """
    images = pod_component.detail.get("images") or []
    synced = pod_component.status == "Running" and pod_component.health is Health.OK
    return Component(
        node_agent_id("kube-proxy", node_name),
        "kube-proxy",
        node_name,
        pod_component.status,
        pod_component.health,
        parent=node_id(node_name),
        detail={
            "pod": f"{pod_component.namespace}/{pod_component.name}",
            "version": _image_tag(images[0]) if images else "",
            "mode": None,
            "rules": {"state": "synced" if synced else "stale", "staleSince": None},
            **_agent_detail(pod_component),
        },
    )


def _image_tag(image: str) -> str:
    """`registry.k8s.io/kube-proxy:v1.21.1` -> `v1.21.1`; the digest or "" when the image has no tag."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    return last.partition(":")[2] or digest


def _agent_detail(pod_component: Component) -> dict[str, Any]:
    d = pod_component.detail
    return {"images": d.get("images", []), "restarts": d.get("restarts", 0), "why": d.get("why", "")}


# -- pods ---------------------------------------------------------------------------


def pod_images(pod: dict[str, Any]) -> list[str]:
    spec = pod.get("spec") or {}
    images: list[str] = []
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        image = c.get("image")
        if image and image not in images:
            images.append(image)
    return images


def pod_status(pod: dict[str, Any]) -> tuple[str, str]:
    """(the word kubectl's STATUS column shows, why), following kubectl's printPod."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    why = status.get("message") or ""
    init_specs = (pod.get("spec") or {}).get("initContainers") or []
    restartable = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    init_statuses = status.get("initContainerStatuses") or []
    initializing = False
    for i, cs in enumerate(init_statuses):
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if cs.get("name") in restartable and cs.get("started"):
            continue  # a native sidecar that has started lets the pod go on
        if terminated:
            word = terminated.get("reason") or (
                f"Signal:{terminated['signal']}"
                if terminated.get("signal")
                else f"ExitCode:{terminated.get('exitCode')}"
            )
            reason, why = f"Init:{word}", terminated.get("message") or why
        elif waiting and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason, why = f"Init:{waiting['reason']}", waiting.get("message") or why
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    if not initializing:
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting and waiting.get("reason"):
                reason, why = waiting["reason"], waiting.get("message") or why
            elif terminated and terminated.get("reason"):
                reason, why = terminated["reason"], terminated.get("message") or why
            elif terminated:
                reason = (
                    f"Signal:{terminated['signal']}"
                    if terminated.get("signal")
                    else f"ExitCode:{terminated.get('exitCode')}"
                )
            elif state.get("running") and cs.get("ready"):
                has_running = True
        if reason == "Completed" and has_running:
            ready = _condition(pod, "Ready").get("status") == "True"
            reason = "Running" if ready else "NotReady"
    if _meta(pod).get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    if reason == "Pending" and not why:
        scheduled = _condition(pod, "PodScheduled")
        if scheduled.get("status") == "False":
            why = f"{scheduled.get('reason', '')}: {scheduled.get('message', '')}".strip(": ")
    return reason, why


def map_pod(pod: dict[str, Any]) -> Component:
    meta = _meta(pod)
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    word, why = pod_status(pod)
    statuses = status.get("containerStatuses") or []
    scheduled = _condition(pod, "PodScheduled") if word == "Pending" and not spec.get("nodeName") else {}
    node = spec.get("nodeName") or None
    owners = meta.get("ownerReferences") or []
    return Component(
        component_id("pod", meta["name"], meta.get("namespace") or "default"),
        "pod",
        meta["name"],
        word,
        # Only a Running pod's health asks its Ready condition: looked up for those alone (150000 pods).
        pod_health(word, word == "Running" and _condition(pod, "Ready").get("status") == "True"),
        namespace=meta.get("namespace") or "default",
        parent=node_id(node) if node else None,
        detail={
            "phase": status.get("phase", ""),
            "owner": f"{owners[0].get('kind')}/{owners[0].get('name')}" if owners else "",
            "node": node,
            "images": pod_images(pod),
            "claims": [
                v["persistentVolumeClaim"]["claimName"]
                for v in spec.get("volumes") or []
                if (v.get("persistentVolumeClaim") or {}).get("claimName")
            ],
            "ready": pod_ready_text(sum(1 for c in statuses if c.get("ready")), len(spec.get("containers") or [])),
            "restarts": sum(int(c.get("restartCount") or 0) for c in statuses),
            "ip": status.get("podIP") or "",
            # The kube-scheduler's FailedScheduling message, parsed into the panel's decision table.
            "scheduling": parse_failed_scheduling(scheduled.get("message") or "")
            if scheduled.get("reason") == "Unschedulable"
            else None,
            "why": why,
        },
    )


def pull_failing_images(pod: dict[str, Any]) -> list[str]:
    """Images whose pull is failing right now (ErrImagePull and kin), from the container statuses."""
    status = pod.get("status") or {}
    failing: list[str] = []
    for cs in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in PULL_FAILURES and cs.get("image"):
            failing.append(cs["image"])
    return failing


def control_plane_member(pod: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, node) when the pod is a kubeadm-style static control-plane pod, else None."""
    meta = _meta(pod)
    node = (pod.get("spec") or {}).get("nodeName")
    if meta.get("namespace") != "kube-system" or not node:
        return None
    name = meta.get("name", "")
    for prefix, kind in CONTROL_PLANE_POD_PREFIXES.items():
        if name == f"{prefix}-{node}":
            return kind, node
    return None


def leader_node(lease: dict[str, Any]) -> str | None:
    """The node in a leader-election Lease's holderIdentity (`<node>_<uuid>`)."""
    holder = (lease.get("spec") or {}).get("holderIdentity") or ""
    return holder.split("_", 1)[0] or None


def lease_age(lease: dict[str, Any], now: datetime) -> tuple[float | None, int]:
    """(seconds since the Lease was renewed, or None if never; its duration in seconds)."""
    spec = lease.get("spec") or {}
    renewed = parse_time(spec.get("renewTime"))
    return ((now - renewed).total_seconds() if renewed else None), int(spec.get("leaseDurationSeconds") or 15)


def map_control_plane(
    kind: str, node: str, pod_component: Component, leader_lease: dict[str, Any] | None, now: datetime
) -> Component:
    """A control-plane member from its static pod; scheduler and controller-manager say Leader or Follower.

    A leader Lease left unrenewed past its duration means nobody leads: the
    members then say NoLeader (a warning), as a failover is due.
    """
    status, health = pod_component.status, pod_component.health
    detail: dict[str, Any] = {"pod": f"kube-system/{pod_component.name}", **_agent_detail(pod_component)}
    if kind == "etcd":
        detail["term"] = None  # the raft term is in etcd's own metrics, which the API does not serve
    if kind in ("scheduler", "controller-manager") and status == "Running" and health is Health.OK:
        leader = leader_node(leader_lease) if leader_lease else None
        age, duration = lease_age(leader_lease, now) if leader_lease else (None, 0)
        detail["leader"] = leader
        if leader_lease is None:
            status = "Running"
        elif age is None or age > duration:
            status, health = "NoLeader", Health.WARNING
            detail["why"] = f"the leader Lease was not renewed within its {duration} s"
        else:
            status = "Leader" if leader == node else "Follower"
    return Component(component_id(kind, node), kind, node, status, health, parent=node_id(node), detail=detail)


def parse_health_checks(text: str) -> dict[str, str]:
    """`/livez?verbose` or `/readyz?verbose` lines (`[+]etcd ok`, `[-]etcd failed: ...`) as name -> ok/failed."""
    checks: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(("[+]", "[-]")):
            name, _, rest = line[3:].partition(" ")
            checks[name] = "ok" if line.startswith("[+]") else (rest or "failed")
    return checks


def map_managed_apiserver(livez: str | None, readyz: str | None, readyz_ok: bool | None, error: str = "") -> Component:
    """A control plane the provider hides: one apiserver whose health is `/readyz`."""
    checks = {"livez": parse_health_checks(livez or ""), "readyz": parse_health_checks(readyz or "")}
    failing = [f"{name}: {result}" for name, result in checks["readyz"].items() if result != "ok"]
    not_live = [f"{name}: {result}" for name, result in checks["livez"].items() if result != "ok"]
    if readyz_ok is None:
        status, health, why = "Unknown", Health.UNKNOWN, error or "not checked yet"
    elif not readyz_ok:
        status, health, why = "NotReady", Health.ERROR, "; ".join(failing) or error or "/readyz failed"
    elif error:  # ready, but /livez fails: the apiserver is about to be restarted
        status, health, why = "Unhealthy", Health.ERROR, "; ".join(not_live) or error
    else:
        status, health, why = "Ready", Health.OK, ""
    return Component(
        component_id("apiserver", "managed"),
        "apiserver",
        "managed",
        status,
        health,
        detail={"checks": checks, "why": why, "managed": True},
    )


# -- Services, EndpointSlices and the workload controllers -----------------------------

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
HOSTNAME_LABEL = "kubernetes.io/hostname"
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


def _namespace(obj: dict[str, Any]) -> str:
    return _meta(obj).get("namespace") or "default"


def _owner(obj: dict[str, Any], kinds: tuple[str, ...]) -> str:
    """`Kind/name` of the first ownerReference of one of `kinds` (as a pod's detail.owner reads), else ""."""
    for ref in _meta(obj).get("ownerReferences") or ():
        if ref.get("kind") in kinds and ref.get("name"):
            return f"{ref['kind']}/{ref['name']}"
    return ""


def _template_image(obj: dict[str, Any]) -> str:
    containers = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    return (containers[0].get("image") or "") if containers else ""


def _whole(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _revision(obj: dict[str, Any]) -> int:
    text = (_meta(obj).get("annotations") or {}).get(REVISION_ANNOTATION) or ""
    return int(text) if text.isdigit() else 0


def slice_service(endpoint_slice: dict[str, Any]) -> str:
    """The name of the Service a slice belongs to: its `kubernetes.io/service-name` label ("" if none)."""
    return str((_meta(endpoint_slice).get("labels") or {}).get(SERVICE_NAME_LABEL) or "")


def map_service(service: dict[str, Any], ready: int, not_ready: int) -> Component:
    """A Service with the ready and not-ready endpoints its EndpointSlices hold (the caller adds them up)."""
    meta, spec = _meta(service), service.get("spec") or {}
    namespace = _namespace(service)
    service_type = spec.get("type") or "ClusterIP"
    status, health, why = service_health(ready, service_type)
    ports = [
        {key: port[key] for key in ("name", "protocol", "port", "targetPort", "nodePort") if port.get(key) is not None}
        for port in spec.get("ports") or ()
    ]
    return Component(
        component_id("service", meta["name"], namespace),
        "service",
        meta["name"],
        status,
        health,
        namespace=namespace,
        detail={
            "type": service_type,
            "clusterIP": spec.get("clusterIP") or None,
            "ports": ports,
            "selector": dict(spec.get("selector") or {}),
            "endpoints": {"ready": ready, "notReady": not_ready},
            "why": why,
        },
    )


def _endpoint(e: dict[str, Any]) -> dict[str, Any]:
    """One endpoint as the simulator writes it: its pod, node and conditions.

    A condition the API leaves unset reads as the API says: ready and serving
    when unknown, not terminating.
    """
    conditions = e.get("conditions") or _EMPTY
    ready = conditions.get("ready") is not False
    serving = conditions.get("serving")
    target = e.get("targetRef") or _EMPTY
    node = e.get("nodeName") or (e.get("topology") or _EMPTY).get(HOSTNAME_LABEL) or ""
    return {
        "pod": (target.get("name") or "") if target.get("kind") == "Pod" else "",
        # At most a few: an endpoint's addresses are one IP per family (the API allows up to 100).
        "addresses": [str(a) for a in (e.get("addresses") or ())[:ENDPOINT_ADDRESSES]],
        "node": node,
        "ready": ready,
        "serving": ready if serving is None else serving,
        "terminating": conditions.get("terminating") is True,
    }


_EMPTY: dict[str, Any] = {}
ENDPOINT_ADDRESSES = 4


def map_endpointslice(endpoint_slice: dict[str, Any]) -> Component:
    """An EndpointSlice: its endpoints (each a pod on a node, ready or not), counted by node."""
    meta = _meta(endpoint_slice)
    namespace = _namespace(endpoint_slice)
    endpoints = [_endpoint(e) for e in endpoint_slice.get("endpoints") or ()]
    ready = sum(1 for e in endpoints if e["ready"])
    tally: dict[str, list[int]] = {}
    for e in endpoints:
        tally.setdefault(e["node"], [0, 0])[0 if e["ready"] else 1] += 1
    service = slice_service(endpoint_slice)
    status, health, why = endpointslice_health(len(endpoints), ready)
    return Component(
        component_id("endpointslice", meta["name"], namespace),
        "endpointslice",
        meta["name"],
        status,
        health,
        namespace=namespace,
        detail={
            "owner": f"Service/{service}" if service else _owner(endpoint_slice, ("Service",)),
            "service": service,
            "addressType": endpoint_slice.get("addressType") or "",
            "endpoints": endpoints,
            "ready": ready,
            "notReady": len(endpoints) - ready,
            "byNode": {node: {"ready": r, "notReady": n} for node, (r, n) in sorted(tally.items())},
            "why": why,
        },
    )


def map_deployment(deployment: dict[str, Any]) -> Component:
    """A Deployment: healthy when all its replicas are available (kubectl's AVAILABLE)."""
    meta, spec, status = _meta(deployment), deployment.get("spec") or {}, deployment.get("status") or {}
    namespace = _namespace(deployment)
    replicas = _whole(spec.get("replicas", 1))
    available = _whole(status.get("availableReplicas"))
    word, health, why = workload_health(available, replicas)
    strategy = spec.get("strategy") or {}
    rolling = strategy.get("rollingUpdate") or {}
    return Component(
        component_id("deployment", meta["name"], namespace),
        "deployment",
        meta["name"],
        word,
        health,
        namespace=namespace,
        detail={
            "replicas": replicas,
            "ready": _whole(status.get("readyReplicas")),
            "updated": _whole(status.get("updatedReplicas")),
            "available": available,
            "strategy": {
                "type": strategy.get("type") or "RollingUpdate",
                "maxSurge": rolling.get("maxSurge"),
                "maxUnavailable": rolling.get("maxUnavailable"),
            },
            "revision": _revision(deployment),
            "image": _template_image(deployment),
            "why": why,
        },
    )


def map_replicaset(replicaset: dict[str, Any]) -> Component:
    """A ReplicaSet, owned by its Deployment (ownerReferences)."""
    meta, spec, status = _meta(replicaset), replicaset.get("spec") or {}, replicaset.get("status") or {}
    namespace = _namespace(replicaset)
    replicas = _whole(spec.get("replicas", 1))
    ready = _whole(status.get("readyReplicas"))
    word, health, why = workload_health(ready, replicas)
    return Component(
        component_id("replicaset", meta["name"], namespace),
        "replicaset",
        meta["name"],
        word,
        health,
        namespace=namespace,
        detail={
            "owner": _owner(replicaset, ("Deployment",)),
            "replicas": replicas,
            "current": _whole(status.get("replicas")),
            "ready": ready,
            "revision": _revision(replicaset),
            "templateHash": (meta.get("labels") or {}).get("pod-template-hash", ""),
            "why": why,
        },
    )


def map_daemonset(daemonset: dict[str, Any]) -> Component:
    """A DaemonSet: healthy when its pod is ready on every node that should run one."""
    meta, status = _meta(daemonset), daemonset.get("status") or {}
    namespace = _namespace(daemonset)
    desired = _whole(status.get("desiredNumberScheduled"))
    ready = _whole(status.get("numberReady"))
    word, health, why = workload_health(ready, desired)
    pod_spec = ((daemonset.get("spec") or {}).get("template") or {}).get("spec") or {}
    return Component(
        component_id("daemonset", meta["name"], namespace),
        "daemonset",
        meta["name"],
        word,
        health,
        namespace=namespace,
        detail={
            "desired": desired,
            "current": _whole(status.get("currentNumberScheduled")),
            "ready": ready,
            "updated": _whole(status.get("updatedNumberScheduled")),
            "image": _template_image(daemonset),
            "tolerations": [
                {"key": t.get("key") or "", "value": t.get("value") or "", "effect": t.get("effect") or ""}
                for t in pod_spec.get("tolerations") or ()
            ],
            "why": why,
        },
    )


def claim_templates(statefulset: dict[str, Any]) -> tuple[str, ...]:
    """The names of a StatefulSet's volumeClaimTemplates: its claims are `<template>-<set>-<ordinal>`."""
    templates = (statefulset.get("spec") or {}).get("volumeClaimTemplates") or ()
    return tuple(name for t in templates if (name := (t.get("metadata") or {}).get("name")))


def map_statefulset(statefulset: dict[str, Any]) -> Component:
    """A StatefulSet: healthy when all its replicas are ready."""
    meta, spec, status = _meta(statefulset), statefulset.get("spec") or {}, statefulset.get("status") or {}
    namespace = _namespace(statefulset)
    replicas = _whole(spec.get("replicas", 1))
    ready = _whole(status.get("readyReplicas"))
    word, health, why = workload_health(ready, replicas)
    templates = []
    for t in spec.get("volumeClaimTemplates") or ():
        claim_spec = t.get("spec") or {}
        templates.append(
            {
                "name": (t.get("metadata") or {}).get("name") or "",
                "storageClass": claim_spec.get("storageClassName") or None,
                "size": ((claim_spec.get("resources") or {}).get("requests") or {}).get("storage", ""),
            }
        )
    return Component(
        component_id("statefulset", meta["name"], namespace),
        "statefulset",
        meta["name"],
        word,
        health,
        namespace=namespace,
        detail={
            "replicas": replicas,
            "ready": ready,
            "current": _whole(status.get("replicas")),
            "serviceName": spec.get("serviceName") or "",
            "volumeClaimTemplates": templates,
            "image": _template_image(statefulset),
            "why": why,
        },
    )


def claim_owner(claim_name: str, statefulsets: dict[str, tuple[str, ...]]) -> str:
    """`StatefulSet/<name>` when the claim is named `<template>-<set>-<ordinal>` after one of them, else ""."""
    for name, templates in statefulsets.items():
        for template in templates:
            ordinal = claim_name.removeprefix(f"{template}-{name}-")
            if ordinal != claim_name and ordinal.isdigit():
                return f"StatefulSet/{name}"
    return ""


# Collections each of whose objects is one component, mapped on its own: the index needs nothing else
# to keep them (a new kind of that sort is a shape in decode.py, a function here and a line below).
MAPPED_ALONE: dict[str, tuple[str, Callable[[dict[str, Any]], Component]]] = {
    "endpointslices": ("endpointslice", map_endpointslice),
    "deployments": ("deployment", map_deployment),
    "replicasets": ("replicaset", map_replicaset),
    "daemonsets": ("daemonset", map_daemonset),
    "statefulsets": ("statefulset", map_statefulset),
}


# -- storage and registries ----------------------------------------------------------

PV_HEALTH = {"Bound": Health.OK, "Available": Health.OK, "Pending": Health.WARNING, "Released": Health.WARNING}


def map_pv(pv: dict[str, Any]) -> Component:
    meta, spec, status = _meta(pv), pv.get("spec") or {}, pv.get("status") or {}
    phase = status.get("phase") or "Unknown"
    claim = spec.get("claimRef") or {}
    return Component(
        component_id("pv", meta["name"]),
        "pv",
        meta["name"],
        phase,
        PV_HEALTH.get(phase, Health.ERROR if phase == "Failed" else Health.UNKNOWN),
        detail={
            "storageClass": spec.get("storageClassName") or None,
            "capacity": (spec.get("capacity") or {}).get("storage", ""),
            "claim": f"{claim.get('namespace')}/{claim.get('name')}" if claim.get("name") else None,
            "reclaimPolicy": spec.get("persistentVolumeReclaimPolicy", ""),
            "accessModes": spec.get("accessModes") or [],
            "why": status.get("message", ""),
        },
    )


def map_pvc(pvc: dict[str, Any], owner: str = "") -> Component:
    """A claim; `owner` is the StatefulSet that made it, when no ownerReference says so (`claim_owner`)."""
    meta, spec, status = _meta(pvc), pvc.get("spec") or {}, pvc.get("status") or {}
    phase = status.get("phase") or "Pending"
    health = {"Bound": Health.OK, "Pending": Health.WARNING, "Lost": Health.ERROR}.get(phase, Health.UNKNOWN)
    namespace = meta.get("namespace") or "default"
    return Component(
        component_id("pvc", meta["name"], namespace),
        "pvc",
        meta["name"],
        phase,
        health,
        namespace=namespace,
        detail={
            "volume": spec.get("volumeName") or None,
            "storageClass": spec.get("storageClassName") or None,
            "capacity": (status.get("capacity") or {}).get("storage")
            or ((spec.get("resources") or {}).get("requests") or {}).get("storage", ""),
            "owner": _owner(pvc, ("StatefulSet",)) or owner,
        },
    )


def map_storageclass(sc: dict[str, Any]) -> Component:
    meta = _meta(sc)
    annotations = meta.get("annotations") or {}
    default = (
        annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
        or annotations.get("storageclass.beta.kubernetes.io/is-default-class") == "true"
    )
    return Component(
        component_id("storageclass", meta["name"]),
        "storageclass",
        meta["name"],
        "Available",
        Health.OK,
        detail={
            "provisioner": sc.get("provisioner", ""),
            "reclaimPolicy": sc.get("reclaimPolicy", "Delete"),
            "volumeBindingMode": sc.get("volumeBindingMode", "Immediate"),
            "default": default,
        },
    )


def map_registry(host: str, pods: int, failing: int) -> Component:
    """A registry the pods' images name; pulls failing from it right now make it a warning."""
    health = Health.WARNING if failing else Health.OK
    why = f"{failing} pod(s) cannot pull from it right now" if failing else ""
    return Component(
        component_id("registry", host),
        "registry",
        host,
        "PullFailing" if failing else "InUse",
        health,
        detail={"host": host, "pods": pods, "failingPods": failing, "why": why},
    )


@lru_cache(maxsize=65536)
def _registry(image: str) -> str:
    # A cluster runs the same few hundred images on thousands of pods.
    return registry_of(image)


def registries_of(images: list[str]) -> frozenset[str]:
    return frozenset(map(_registry, images))


# What an event's involvedObject.kind names (`PersistentVolumeClaim`), lower-cased, to the registry's kind.
_KIND_BY_API_NAME = {k.api_name.lower(): k.name for k in KINDS.values() if k.api_name}


# -- events -------------------------------------------------------------------------


def event_time(event: dict[str, Any]) -> str:
    """When an event last happened: lastTimestamp, else eventTime, else its creation."""
    for value in (
        event.get("lastTimestamp"),
        event.get("eventTime"),
        (event.get("series") or {}).get("lastObservedTime"),
        _meta(event).get("creationTimestamp"),
    ):
        moment = parse_time(value)
        if moment:
            return iso_timestamp(moment)
    return ""


def involved_id(obj: dict[str, Any]) -> str:
    """The component id an event's involvedObject names (control-plane pods map to their member)."""
    kind = str(obj.get("kind") or "object").lower()
    name = obj.get("name") or ""
    namespace = obj.get("namespace") or None
    if kind == "pod" and namespace:
        for prefix, member in CONTROL_PLANE_POD_PREFIXES.items():
            node = name.removeprefix(f"{prefix}-")
            if namespace == "kube-system" and node != name and node:
                return component_id(member, node)
        return component_id("pod", name, namespace)
    ours = _KIND_BY_API_NAME.get(kind, kind)
    if ours in KINDS:
        try:
            return component_id(ours, name, namespace)
        except ValueError:  # a namespace where the kind has none, or none where it needs one
            pass
    # A kind the explorer does not draw (a Job, a ConfigMap): an id of the same shape, for the events list.
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def map_event(event: dict[str, Any], now_text: str) -> Event:
    count = event.get("count") or (event.get("series") or {}).get("count")
    message = str(event.get("message") or event.get("note") or "")
    if count and int(count) > 1:
        message = f"{message} (x{count})"
    return Event(
        reason=str(event.get("reason") or "Unknown"),
        message=message,
        involved=involved_id(event.get("involvedObject") or event.get("regarding") or {}),
        time=event_time(event) or now_text,
        severity="Warning" if event.get("type") == "Warning" else "Normal",
    )
