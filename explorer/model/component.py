"""Components and edges: the nouns of the diagrams and of the wire format."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Component", "Edge", "EdgeKind", "Health"]


class Health(enum.StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    UNKNOWN = "unknown"


class EdgeKind(enum.StrEnum):
    GRPC = "grpc"
    HTTPS = "https"  # the apiserver calling a kubelet (:10250) for logs, exec and port-forward
    WATCH = "watch"
    CRI = "cri"
    PULL = "pull"
    MOUNT = "mount"
    BIND = "bind"
    PROVISION = "provision"
    RUNS_ON = "runs-on"
    OWNS = "owns"  # ownerReferences: Deployment -> ReplicaSet -> Pod, DaemonSet/StatefulSet -> Pod, Service -> slice
    ROUTES = "routes"  # a Service to each ready endpoint's pod
    PROGRAMS = "programs"  # a node's kube-proxy to each Service whose rules it writes
    PEER = "peer"  # etcd members replicating to each other (Raft, :2380)


@dataclass(frozen=True, slots=True)
class Component:
    """One drawable thing: a control-plane member, a node, an agent, a pod, a volume."""

    id: str
    kind: str
    name: str
    status: str
    health: Health
    namespace: str | None = None
    parent: str | None = None
    detail: dict[str, Any] = field(default_factory=dict, compare=True, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "parent": self.parent,
            "status": self.status,
            "health": self.health.value,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Component:
        if not isinstance(data, dict):
            raise ValueError("a component must be a JSON object")
        try:
            detail = data.get("detail") or {}
            if not isinstance(detail, dict):
                raise ValueError("detail must be an object")
            for key in ("namespace", "parent"):
                if not isinstance(data.get(key), str | None):
                    raise ValueError(f"{key} must be a string or null")
            return cls(
                id=_text(data, "id"),
                kind=_text(data, "kind"),
                name=_text(data, "name"),
                namespace=data.get("namespace"),
                parent=data.get("parent"),
                status=_text(data, "status"),
                health=Health(data["health"]),
                detail=detail,
            )
        except KeyError as missing:
            raise ValueError(f"component lacks {missing}") from None

    def with_(self, **changes: Any) -> Component:
        """A copy with some fields changed (dataclasses.replace, spelled shorter)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(changes)
        return Component(**values)


@dataclass(frozen=True, slots=True)
class Edge:
    """A line on the diagram, labelled with the protocol that crosses it."""

    source: str
    target: str
    kind: EdgeKind
    label: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.target, self.kind.value)

    def to_dict(self) -> dict[str, str]:
        return {"from": self.source, "to": self.target, "kind": self.kind.value, "label": self.label}

    @classmethod
    def from_dict(cls, data: Any) -> Edge:
        if not isinstance(data, dict):
            raise ValueError("an edge must be a JSON object")
        try:
            return cls(_text(data, "from"), _text(data, "to"), EdgeKind(data["kind"]), str(data.get("label", "")))
        except KeyError as missing:
            raise ValueError(f"edge lacks {missing}") from None


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string")
    return value
