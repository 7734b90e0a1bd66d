"""The cluster model: plain Python, no Django, Channels, kubernetes or graphviz.

Everything else speaks in these terms: components and the edges between them,
a ClusterState that holds them, and the Changes that move one state to the next.
"""

from explorer.model.changes import (
    Change,
    ChangeType,
    ComponentChange,
    Event,
    apply_change,
    change_from_message,
    diff_states,
)
from explorer.model.component import Component, Edge, EdgeKind, Health
from explorer.model.state import ClusterState, derive_edges

__all__ = [
    "Change",
    "ChangeType",
    "ClusterState",
    "Component",
    "ComponentChange",
    "Edge",
    "EdgeKind",
    "Event",
    "Health",
    "apply_change",
    "change_from_message",
    "derive_edges",
    "diff_states",
]
