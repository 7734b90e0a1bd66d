"""The component id scheme of the contract, in one place.

Cluster-scoped things are `<kind>/<name>`, namespaced ones
`<kind>/<namespace>/<name>`. Every other module builds ids through these.
"""

import re

from explorer.model.kinds import KINDS, kinds_where

__all__ = [
    "CLUSTER_SCOPED_KINDS",
    "CONTROL_PLANE_KINDS",
    "KIND",
    "MAX_ID",
    "NAMESPACED_KINDS",
    "NODE_AGENT_KINDS",
    "component_id",
    "is_component_id",
    "node_agent_id",
    "node_id",
    "node_of",
    "parse_id",
]

# All from the registry of kinds (explorer/model/kinds.py).
CONTROL_PLANE_KINDS = kinds_where(control_plane=True)
NODE_AGENT_KINDS = kinds_where(agent=True)
NAMESPACED_KINDS = frozenset(k.name for k in KINDS.values() if k.namespaced)
CLUSTER_SCOPED_KINDS = frozenset(k.name for k in KINDS.values() if not k.namespaced)

# The shape of an id in an address (`?component=`, `?focus=`): a lower-case kind (the diagrams' summaries too:
# `node-group/<zone>/<pool>`, `pods-of/<node>`), then one or two names. A cluster may name things as it likes,
# so a name may hold any text but a NUL; what it may not be is empty, `.` or `..`: a path step, so an id in an
# address always leads to its own panel and never to another path of the site.
KIND = re.compile(r"[a-z][a-z0-9-]{0,62}")
MAX_ID = 1024


def component_id(kind: str, name: str, namespace: str | None = None) -> str:
    """The id of a component; namespaced kinds need their namespace."""
    if kind in NAMESPACED_KINDS:
        if not namespace:
            raise ValueError(f"a {kind} id needs a namespace")
        return f"{kind}/{namespace}/{name}"
    if namespace:
        raise ValueError(f"{kind} is cluster-scoped and takes no namespace")
    return f"{kind}/{name}"


def node_agent_id(kind: str, node_name: str) -> str:
    """kubelet, kube-proxy and runtime exist once per node and carry its name."""
    if kind not in NODE_AGENT_KINDS:
        raise ValueError(f"{kind} is not a node agent")
    return f"{kind}/{node_name}"


def node_id(node_name: str) -> str:
    return f"node/{node_name}"


def node_of(component_id_: str) -> str:
    """The node's name in a node's id (`node/worker-1` -> `worker-1`)."""
    return component_id_.split("/", 1)[1]


def is_component_id(text: str) -> bool:
    """Whether `text` has the shape of a component id (see KIND); says nothing of whether it exists."""
    if len(text) > MAX_ID or "\x00" in text:
        return False
    kind, *names = text.split("/")
    return (
        KIND.fullmatch(kind) is not None
        and 1 <= len(names) <= 2
        and all(name and name not in {".", ".."} for name in names)
    )


def parse_id(component_id_: str) -> tuple[str, str | None, str]:
    """Split an id into (kind, namespace or None, name)."""
    parts = component_id_.split("/")
    if len(parts) == 2 and all(parts):
        return parts[0], None, parts[1]
    if len(parts) == 3 and all(parts):
        return parts[0], parts[1], parts[2]
    raise ValueError(f"not a component id: {component_id_!r}")
