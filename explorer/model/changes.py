"""Changes: what moves one ClusterState to the next, and their wire form."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from explorer.model.component import Component
from explorer.model.limits import cap_component, cap_text
from explorer.model.state import ClusterState

__all__ = [
    "Change",
    "ChangeType",
    "ComponentChange",
    "Event",
    "apply_change",
    "cap_change",
    "cap_state",
    "change_from_message",
    "diff_states",
    "snapshot_message",
]


class ChangeType(enum.StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class ComponentChange:
    """A component appeared, changed or went away (`component` is its last form)."""

    type: ChangeType
    component: Component
    time: str

    def to_message(self, seq: int) -> dict[str, Any]:
        return {"type": self.type.value, "seq": seq, "time": self.time, "component": self.component.to_dict()}


@dataclass(frozen=True, slots=True)
class Event:
    """A Kubernetes-style event: a reason, a message and the component it is about."""

    reason: str
    message: str
    involved: str
    time: str
    severity: str = "Normal"  # Kubernetes' event type: Normal or Warning

    def __post_init__(self) -> None:
        # Where every source builds its events: a megabyte message is cut to TEXT_LIMIT here, at once.
        for name in ("reason", "message", "involved", "time", "severity"):
            value = getattr(self, name)
            capped = cap_text(value if type(value) is str else str(value))
            if capped is not value:
                object.__setattr__(self, name, capped)

    def to_message(self, seq: int) -> dict[str, Any]:
        return {
            "type": "event",
            "seq": seq,
            "time": self.time,
            "reason": self.reason,
            "message": self.message,
            "involved": self.involved,
            "severity": self.severity,
        }


Change = ComponentChange | Event


def cap_change(change: Change) -> Change:
    """`change` with every text within the caps of explorer.model.limits: the change itself when it is.

    Events are capped when they are built; a component change is capped here, where the hub takes it in.
    """
    if isinstance(change, Event):
        return change
    component, time = cap_component(change.component), cap_text(change.time)
    if component is change.component and time is change.time:
        return change
    return ComponentChange(change.type, component, time)


def cap_state(state: ClusterState) -> ClusterState:
    """`state` with every component within the caps: the state itself when all of them are."""
    capped = {cid: cap_component(c) for cid, c in state.components.items()}
    if all(c is state.components[cid] and c.id == cid for cid, c in capped.items()):
        return state
    fit = ClusterState(capped.values(), cluster=state.cluster, source=state.source)
    fit.health_since = {cap_text(cid): cap_text(since) for cid, since in state.health_since.items()}
    fit.health_since = {cid: since for cid, since in fit.health_since.items() if cid in fit.components}
    return fit


def apply_change(state: ClusterState, change: Change) -> ClusterState:
    """The state after `change`; `state` itself is left as it was."""
    new_state = state.copy()
    apply_in_place(new_state, change)
    return new_state


def apply_in_place(state: ClusterState, change: Change) -> None:
    """Apply to a state its caller owns. Events leave the components alone."""
    if isinstance(change, Event):
        return
    if change.type is ChangeType.REMOVED:
        state.remove(change.component.id)
    else:
        state.put(change.component, change.time)


def diff_states(old: ClusterState, new: ClusterState, time: str) -> list[ComponentChange]:
    """The component changes that turn `old` into `new`, in id order."""
    changes: list[ComponentChange] = []
    for cid in sorted(old.components.keys() | new.components.keys()):
        before, after = old.components.get(cid), new.components.get(cid)
        if before is None and after is not None:
            changes.append(ComponentChange(ChangeType.ADDED, after, time))
        elif after is None and before is not None:
            changes.append(ComponentChange(ChangeType.REMOVED, before, time))
        elif before != after and after is not None:
            changes.append(ComponentChange(ChangeType.UPDATED, after, time))
    return changes


def snapshot_message(state: ClusterState, seq: int) -> dict[str, Any]:
    return {"type": "snapshot", "seq": seq, **state.to_dict()}


def change_from_message(message: Any) -> Change:
    """Read back a wire message (not a snapshot); ValueError names what is wrong."""
    if not isinstance(message, dict):
        raise ValueError("a change must be a JSON object")
    kind = message.get("type")
    time = message.get("time")
    if not isinstance(time, str):
        raise ValueError("a change needs a time string")
    if kind == "event":
        fields = {k: message.get(k) for k in ("reason", "message", "involved")}
        for key, value in fields.items():
            if not isinstance(value, str):
                raise ValueError(f"an event needs a {key} string")
        return Event(time=time, severity=str(message.get("severity", "Normal")), **fields)  # type: ignore[arg-type]
    try:
        change_type = ChangeType(str(kind))
    except ValueError:
        raise ValueError(f"unknown change type {kind!r}") from None
    return ComponentChange(change_type, Component.from_dict(message.get("component")), time)
