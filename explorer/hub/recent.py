"""A bounded memory of each component's recent Kubernetes events, for its detail panel.

Bounded three ways: a few events per component, a limit on how many
components are remembered (the least recently mentioned are forgotten), and a
total byte budget (past it, the oldest events of all go first), so a wall
screen left open on a big, noisy or hostile cluster does not grow without end.
Each event's text is already capped where the event was built
(explorer.model.limits.TEXT_LIMIT); the budget bounds how many of them add up.
"""

from __future__ import annotations

import itertools
import sys
from collections import OrderedDict, deque
from typing import Any

__all__ = ["RECENT_EVENT_BYTES", "RecentEvents", "message_bytes"]

# The most memory the remembered events may take together (as `message_bytes` counts it).
RECENT_EVENT_BYTES = 16 * 1024 * 1024


def message_bytes(message: dict[str, Any]) -> int:
    """About what a wire message costs to keep: the dict and its values (strings shared elsewhere are counted too)."""
    return sys.getsizeof(message) + sum(sys.getsizeof(value) for value in message.values())


class RecentEvents:
    def __init__(self, per_component: int = 20, components: int = 5000, budget: int = RECENT_EVENT_BYTES):
        self.per_component = per_component
        self.max_components = components
        self.budget = budget
        self.bytes = 0
        # Per component, oldest first: (serial, size, message).
        self._events: OrderedDict[str, deque[tuple[int, int, dict[str, Any]]]] = OrderedDict()
        # Every event kept, oldest first: serial -> the component it is about.
        self._order: OrderedDict[int, str] = OrderedDict()
        self._serials = itertools.count()
        # Components whose list changed (grew, shrank, was forgotten) since the last `drain_changed`,
        # so a copy of the lists elsewhere (the state store) can follow.
        self._changed: set[str] = set()

    def add(self, message: dict[str, Any]) -> None:
        """Remember an event wire message (`involved` names the component)."""
        involved = message.get("involved")
        if not isinstance(involved, str):
            return
        events = self._events.get(involved)
        if events is None:
            events = self._events[involved] = deque()
        else:
            self._events.move_to_end(involved)
        if len(events) >= self.per_component:
            self._drop_oldest_of(involved)
        serial, size = next(self._serials), message_bytes(message)
        events.append((serial, size, message))
        self._changed.add(involved)
        self._order[serial] = involved
        self.bytes += size
        while len(self._events) > self.max_components:
            self._forget(next(iter(self._events)))
        while self.bytes > self.budget and self._order:
            self._drop_oldest_of(next(iter(self._order.values())))

    def _drop_oldest_of(self, component_id: str) -> None:
        self._changed.add(component_id)
        events = self._events[component_id]
        serial, size, _ = events.popleft()
        del self._order[serial]
        self.bytes -= size
        if not events:
            del self._events[component_id]

    def _forget(self, component_id: str) -> None:
        self._changed.add(component_id)
        for serial, size, _ in self._events.pop(component_id):
            del self._order[serial]
            self.bytes -= size

    def drain_changed(self) -> set[str]:
        """The components whose events changed since the last call (`of` says what they are now)."""
        changed, self._changed = self._changed, set()
        return changed

    def __len__(self) -> int:
        return len(self._order)

    def involved(self) -> list[str]:
        """The components it remembers events of, most recently mentioned last."""
        return list(self._events)

    def of(self, component_id: str) -> list[dict[str, Any]]:
        """Newest first."""
        return [message for _, _, message in reversed(self._events.get(component_id, ()))]
