"""Decoding the apiserver's JSON into only what the mapping reads.

A 150000-pod cluster lists about a gigabyte of JSON; parsing all of it into
dicts costs seconds of CPU and gigabytes of memory, for the dozen fields per
pod that `mapping` reads. msgspec decodes straight into the typed shapes below
and skips everything else without building it. The shapes are TypedDicts, not
Structs: what comes out is plain dicts and lists, read by the mapping exactly
as the full objects were (the same keys, absent when the object lacks them),
so the mapping and its tests on the fixtures' JSON stay as they are.

Every leaf may be null (the API writes `eventTime: null`, for one), and keys
the shapes do not name are ignored. Maps the detail shows whole (a node's
capacity and labels, a volume's capacity) are kept whole. A value of the wrong
type (a string where the API has a number) is a DecodeError naming where.
"""

from __future__ import annotations

import json
import re
from typing import Any, Generic, TypedDict, TypeVar

import msgspec

__all__ = ["DecodeError", "decode_list", "decode_object", "decode_watch_head", "decode_watched"]

DecodeError = msgspec.DecodeError

# -- the shapes: only the fields explorer.sources.kube.mapping (and the source) read ---------


class _OwnerReference(TypedDict, total=False):
    kind: str | None
    name: str | None


class _Metadata(TypedDict, total=False):
    name: str | None
    namespace: str | None
    resourceVersion: str | None
    labels: dict[str, str] | None
    annotations: dict[str, str] | None
    ownerReferences: list[_OwnerReference] | None
    deletionTimestamp: str | None
    creationTimestamp: str | None


# A pod's labels: only the one kube-proxy's DaemonSet is told by (a hyphenated key, hence the functional syntax).
_PodLabels = TypedDict("_PodLabels", {"k8s-app": str | None}, total=False)


class _PodMetadata(TypedDict, total=False):
    name: str | None
    namespace: str | None
    resourceVersion: str | None
    labels: _PodLabels | None
    ownerReferences: list[_OwnerReference] | None
    deletionTimestamp: str | None


class _Condition(TypedDict, total=False):
    type: str | None
    status: str | None
    reason: str | None
    message: str | None


# Nodes


class _Taint(TypedDict, total=False):
    key: str | None
    value: str | None
    effect: str | None


class _NodeSpec(TypedDict, total=False):
    taints: list[_Taint] | None
    unschedulable: bool | None
    podCIDR: str | None


class _NodeInfo(TypedDict, total=False):
    kubeletVersion: str | None
    osImage: str | None
    architecture: str | None
    containerRuntimeVersion: str | None


class _Address(TypedDict, total=False):
    type: str | None
    address: str | None


class _NodeStatus(TypedDict, total=False):
    conditions: list[_Condition] | None
    capacity: dict[str, Any] | None
    allocatable: dict[str, Any] | None
    nodeInfo: _NodeInfo | None
    addresses: list[_Address] | None


class Node(TypedDict, total=False):
    metadata: _Metadata | None
    spec: _NodeSpec | None
    status: _NodeStatus | None


# Leases


class _LeaseSpec(TypedDict, total=False):
    holderIdentity: str | None
    renewTime: str | None
    leaseDurationSeconds: int | None


class Lease(TypedDict, total=False):
    metadata: _Metadata | None
    spec: _LeaseSpec | None


# Pods


class _Container(TypedDict, total=False):
    name: str | None
    image: str | None
    restartPolicy: str | None


class _ClaimSource(TypedDict, total=False):
    claimName: str | None


class _Volume(TypedDict, total=False):
    persistentVolumeClaim: _ClaimSource | None


class _PodSpec(TypedDict, total=False):
    nodeName: str | None
    initContainers: list[_Container] | None
    containers: list[_Container] | None
    volumes: list[_Volume] | None


class _Waiting(TypedDict, total=False):
    reason: str | None
    message: str | None


class _Running(TypedDict, total=False):
    startedAt: str | None


class _Terminated(TypedDict, total=False):
    exitCode: int | None
    signal: int | None
    reason: str | None
    message: str | None


class _State(TypedDict, total=False):
    waiting: _Waiting | None
    running: _Running | None
    terminated: _Terminated | None


class _ContainerStatus(TypedDict, total=False):
    name: str | None
    image: str | None
    ready: bool | None
    started: bool | None
    restartCount: int | None
    state: _State | None


class _PodStatus(TypedDict, total=False):
    phase: str | None
    reason: str | None
    message: str | None
    podIP: str | None
    conditions: list[_Condition] | None
    initContainerStatuses: list[_ContainerStatus] | None
    containerStatuses: list[_ContainerStatus] | None


class Pod(TypedDict, total=False):
    metadata: _PodMetadata | None
    spec: _PodSpec | None
    status: _PodStatus | None


# Storage


class _ClaimRef(TypedDict, total=False):
    namespace: str | None
    name: str | None


class _PVSpec(TypedDict, total=False):
    storageClassName: str | None
    capacity: dict[str, Any] | None
    claimRef: _ClaimRef | None
    persistentVolumeReclaimPolicy: str | None
    accessModes: list[str] | None


class _PhaseStatus(TypedDict, total=False):
    phase: str | None
    message: str | None
    capacity: dict[str, Any] | None


class PersistentVolume(TypedDict, total=False):
    metadata: _Metadata | None
    spec: _PVSpec | None
    status: _PhaseStatus | None


class _Resources(TypedDict, total=False):
    requests: dict[str, Any] | None


class _PVCSpec(TypedDict, total=False):
    volumeName: str | None
    storageClassName: str | None
    resources: _Resources | None


class PersistentVolumeClaim(TypedDict, total=False):
    metadata: _Metadata | None
    spec: _PVCSpec | None
    status: _PhaseStatus | None


class StorageClass(TypedDict, total=False):
    metadata: _Metadata | None
    provisioner: str | None
    reclaimPolicy: str | None
    volumeBindingMode: str | None


# Services and EndpointSlices


class _ServicePort(TypedDict, total=False):
    name: str | None
    protocol: str | None
    port: int | None
    targetPort: int | str | None
    nodePort: int | None


class _ServiceSpec(TypedDict, total=False):
    type: str | None
    clusterIP: str | None
    ports: list[_ServicePort] | None
    selector: dict[str, str] | None


class Service(TypedDict, total=False):
    metadata: _Metadata | None
    spec: _ServiceSpec | None


class _EndpointConditions(TypedDict, total=False):
    ready: bool | None
    serving: bool | None
    terminating: bool | None


class _TargetRef(TypedDict, total=False):
    kind: str | None
    name: str | None


class _Endpoint(TypedDict, total=False):
    addresses: list[str] | None
    conditions: _EndpointConditions | None
    nodeName: str | None
    targetRef: _TargetRef | None
    # discovery.k8s.io/v1beta1 (and slices written before v1) name the node here instead of nodeName.
    topology: dict[str, str] | None


class EndpointSlice(TypedDict, total=False):
    metadata: _Metadata | None
    addressType: str | None
    endpoints: list[_Endpoint] | None


# Workload controllers (apps/v1)


class _Toleration(TypedDict, total=False):
    key: str | None
    operator: str | None
    value: str | None
    effect: str | None


class _TemplatePodSpec(TypedDict, total=False):
    containers: list[_Container] | None
    tolerations: list[_Toleration] | None


class _Template(TypedDict, total=False):
    spec: _TemplatePodSpec | None


class _RollingUpdate(TypedDict, total=False):
    maxSurge: int | str | None
    maxUnavailable: int | str | None


class _Strategy(TypedDict, total=False):
    type: str | None
    rollingUpdate: _RollingUpdate | None


class _ClaimTemplateMetadata(TypedDict, total=False):
    name: str | None


class _ClaimTemplate(TypedDict, total=False):
    metadata: _ClaimTemplateMetadata | None
    spec: _PVCSpec | None


class _WorkloadSpec(TypedDict, total=False):
    replicas: int | None
    template: _Template | None
    strategy: _Strategy | None  # a Deployment's
    serviceName: str | None  # a StatefulSet's
    volumeClaimTemplates: list[_ClaimTemplate] | None


class _WorkloadStatus(TypedDict, total=False):
    replicas: int | None
    readyReplicas: int | None
    updatedReplicas: int | None
    availableReplicas: int | None
    currentReplicas: int | None
    # A DaemonSet's
    desiredNumberScheduled: int | None
    currentNumberScheduled: int | None
    numberReady: int | None
    updatedNumberScheduled: int | None


class Workload(TypedDict, total=False):
    """A Deployment, ReplicaSet, DaemonSet or StatefulSet: the fields any of them has that the mapping reads."""

    metadata: _Metadata | None
    spec: _WorkloadSpec | None
    status: _WorkloadStatus | None


# Core events


class _Series(TypedDict, total=False):
    count: int | None
    lastObservedTime: str | None


class _Involved(TypedDict, total=False):
    kind: str | None
    name: str | None
    namespace: str | None


class CoreEvent(TypedDict, total=False):
    metadata: _Metadata | None
    type: str | None
    reason: str | None
    message: str | None
    note: str | None
    count: int | None
    lastTimestamp: str | None
    eventTime: str | None
    series: _Series | None
    involvedObject: _Involved | None
    regarding: _Involved | None


# -- lists and watch events ------------------------------------------------------------

T = TypeVar("T")

SHAPES: dict[str, type] = {
    "nodes": Node,
    "node-leases": Lease,
    "leader-leases": Lease,
    "pods": Pod,
    "pvs": PersistentVolume,
    "pvcs": PersistentVolumeClaim,
    "storageclasses": StorageClass,
    "events": CoreEvent,
    "services": Service,
    "endpointslices": EndpointSlice,
    "deployments": Workload,
    "replicasets": Workload,
    "daemonsets": Workload,
    "statefulsets": Workload,
}


# `continue` is a keyword, hence the functional syntax.
_ListMetadata = TypedDict("_ListMetadata", {"resourceVersion": str | None, "continue": str | None}, total=False)


class _List(TypedDict, Generic[T], total=False):
    metadata: _ListMetadata | None
    items: list[T] | None


class _Watched(TypedDict, Generic[T], total=False):
    type: str
    object: T


# A watch line's head: what the watch itself needs (the event's type, the resourceVersion to
# resume from, an ERROR's Status), read without building the object. Structs without GC tracking.
class _HeadMetadata(msgspec.Struct, gc=False):
    resourceVersion: str | None = None


class _HeadObject(msgspec.Struct, gc=False):
    metadata: _HeadMetadata | None = None
    # An ERROR event's object is a Status.
    code: int | None = None
    reason: str | None = None
    message: str | None = None


class _Head(msgspec.Struct, gc=False):
    type: str
    object: _HeadObject


# Typed as Any: what they give is plain dicts and lists, which the mapping reads.
_LISTS: dict[str, msgspec.json.Decoder[Any]] = {
    name: msgspec.json.Decoder(_List[shape])  # type: ignore[valid-type]
    for name, shape in SHAPES.items()
}
_OBJECTS: dict[str, msgspec.json.Decoder[Any]] = {name: msgspec.json.Decoder(shape) for name, shape in SHAPES.items()}
_WATCHED: dict[str, msgspec.json.Decoder[Any]] = {
    name: msgspec.json.Decoder(_Watched[shape])  # type: ignore[valid-type]
    for name, shape in SHAPES.items()
}
_HEAD = msgspec.json.Decoder(_Head)


# A \\u escape of a UTF-16 surrogate (D800-DFFF), the one JSON text msgspec refuses that JSON allows.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _decode(decoder: msgspec.json.Decoder[Any], body: bytes | str) -> Any:
    """`decoder.decode(body)`; JSON whose strings escape a lone surrogate (`"\\ud800"`) too.

    JSON's grammar allows such an escape and Go's encoder passes it on; msgspec refuses it. A
    cluster's text is data: the standard parser reads it (as U+D800, which the model's caps turn
    into U+FFFD), then msgspec slims it to the same shape. Only such rare pages pay for this.
    """
    try:
        return decoder.decode(body)
    except msgspec.DecodeError:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        if not _SURROGATE_ESCAPE.search(text):
            raise
    try:
        whole = json.loads(body)
    except ValueError as error:
        raise msgspec.DecodeError(str(error)) from None
    return msgspec.convert(whole, decoder.type)


def decode_list(collection: str, body: bytes | str) -> dict[str, Any]:
    """A list page of one of `SHAPES`' collections: {"metadata": {...}, "items": [...]}, slimmed."""
    page: dict[str, Any] = _decode(_LISTS[collection], body)
    return page


def decode_object(collection: str, body: bytes | str) -> dict[str, Any]:
    """One object of a collection, slimmed to what the mapping reads."""
    obj: dict[str, Any] = _decode(_OBJECTS[collection], body)
    return obj


def decode_watch_head(line: bytes | str) -> dict[str, Any] | None:
    """A watch line's {"type", "object"}, the object only as far as the watch reads it; None when not an event.

    The object is {"metadata": {"resourceVersion"}}, or for an ERROR its Status's
    code, reason and message (what the client turns into an ApiException, 410 Gone included).
    The whole object is decoded later, with `decode_watched`, where it is mapped.
    """
    try:
        head = _decode(_HEAD, line)
    except msgspec.DecodeError:  # includes a wrong shape (ValidationError)
        return None
    obj = head.object
    if head.type == "ERROR":
        return {"type": head.type, "object": {"code": obj.code, "reason": obj.reason, "message": obj.message}}
    version = obj.metadata.resourceVersion if obj.metadata else None
    return {"type": head.type, "object": {"metadata": {"resourceVersion": version}}}


def decode_watched(collection: str, line: bytes | str) -> dict[str, Any]:
    """The object of a watch line whose head was read, slimmed to what the mapping reads. DecodeError if malformed."""
    event: dict[str, Any] = _decode(_WATCHED[collection], line)
    obj: dict[str, Any] = event.get("object") or {}
    return obj
