"""The operator's problems list: what is wrong right now, worst first, with since-when.

Derived from a ClusterState alone, so every source (simulated, real, replayed)
gets the same list.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer.model.component import Component, Health
from explorer.model.kinds import LAYERS, kind_of
from explorer.model.state import ClusterState

__all__ = ["LAYERS", "Problem", "find_problems", "health_by_layer", "layer_of"]

_HEALTH_RANK = {Health.ERROR: 0, Health.UNKNOWN: 1, Health.WARNING: 2, Health.OK: 3}


def layer_of(component: Component) -> str:
    return kind_of(component.kind).layer


@dataclass(frozen=True, slots=True)
class Problem:
    component: Component
    reason: str
    since: str | None

    @property
    def rank(self) -> tuple[int, int]:
        return (_HEALTH_RANK[self.component.health], kind_of(self.component.kind).rank)

    def to_dict(self) -> dict[str, object]:
        c = self.component
        return {
            "id": c.id,
            "kind": c.kind,
            "name": c.name,
            "namespace": c.namespace,
            "status": c.status,
            "health": c.health.value,
            "reason": self.reason,
            "since": self.since,
        }


def _reason(c: Component) -> str:
    why = c.detail.get("why") if isinstance(c.detail, dict) else None
    return str(why) if why else c.status


def find_problems(state: ClusterState, namespace: str | None = None) -> list[Problem]:
    """Every component that is not ok, worst first; ties go to the oldest problem, then by id."""
    found = [
        Problem(c, _reason(c), state.health_since.get(c.id))
        for c in state.components.values()
        if c.health is not Health.OK and (namespace is None or c.namespace in (None, namespace))
    ]
    return sorted(found, key=lambda p: (p.rank, p.since or "", p.component.id))


def health_by_layer(state: ClusterState) -> dict[str, dict[str, int]]:
    counts = {layer: {h.value: 0 for h in Health} for layer in LAYERS}
    for c in state.components.values():
        counts[layer_of(c)][c.health.value] += 1
    return counts
