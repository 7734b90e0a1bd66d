"""A bounded memory of each component's recent Kubernetes events, for its detail panel.

Bounded twice: a few events per component, and a limit on how many
components are remembered (the least recently mentioned are forgotten), so a
wall screen left open on a big, noisy cluster does not grow without end.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any

__all__ = ["RecentEvents"]


class RecentEvents:
    def __init__(self, per_component: int = 20, components: int = 5000):
        self.per_component = per_component
        self.max_components = components
        self._events: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()
        # Components forgotten since the last `drain_forgotten`, so a copy elsewhere can forget them too.
        self._forgotten: set[str] = set()

    def add(self, message: dict[str, Any]) -> None:
        """Remember an event wire message (`involved` names the component)."""
        involved = message.get("involved")
        if not isinstance(involved, str):
            return
        events = self._events.get(involved)
        if events is None:
            events = self._events[involved] = deque(maxlen=self.per_component)
        else:
            self._events.move_to_end(involved)
        events.append(message)
        self._forgotten.discard(involved)
        while len(self._events) > self.max_components:
            self._forgotten.add(self._events.popitem(last=False)[0])

    def drain_forgotten(self) -> set[str]:
        """The components forgotten since the last call."""
        forgotten, self._forgotten = self._forgotten, set()
        return forgotten

    def involved(self) -> list[str]:
        """The components it remembers events of, most recently mentioned last."""
        return list(self._events)

    def of(self, component_id: str) -> list[dict[str, Any]]:
        """Newest first."""
        return list(reversed(self._events.get(component_id, ())))
