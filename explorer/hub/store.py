"""Where the latest snapshot lives: in memory (embedded) or in Redis (scale-out, `redis_store`)."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from explorer.model import Change, ClusterState

__all__ = ["MemoryStateStore", "Snapshot", "StateStore", "StoreUnavailable"]


class Snapshot(NamedTuple):
    """The hub's state as of the message numbered `seq`."""

    seq: int
    state: ClusterState


class StoreUnavailable(Exception):
    """The state store cannot be reached; the message is meant for a person."""


class StateStore(abc.ABC):
    """Holds the newest (seq, state) pair the hub has produced."""

    @abc.abstractmethod
    async def save(self, seq: int, state: ClusterState) -> None:
        """Replace the whole snapshot."""

    @abc.abstractmethod
    async def load(self) -> Snapshot | None:
        """The newest (seq, state), or None before the hub has saved one."""

    async def apply(self, seq: int, state: ClusterState, changes: Sequence[Change]) -> None:
        """Record that `changes` (already applied to `state`) brought the snapshot to `seq`.

        A store that can write only what changed overrides this; the default saves everything.
        """
        await self.save(seq, state)

    @abc.abstractmethod
    async def save_events(self, updates: Mapping[str, Sequence[dict[str, Any]]]) -> None:
        """Replace the recent events of the components named (newest first); an empty list forgets one."""

    @abc.abstractmethod
    async def recent_events(self, component_id: str) -> list[dict[str, Any]]:
        """A component's recent event messages, newest first, as the hub last saved them."""

    async def last_seq(self) -> int | None:
        """The seq of the stored snapshot, so a restarted hub numbers on from it."""
        current = await self.load()
        return None if current is None else current[0]

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class MemoryStateStore(StateStore):
    """Shares the hub's own state object: readers in the same process see it live, at no cost.

    Callers must not mutate what `load` returns; the hub and readers share one
    event loop, so a load between two awaits is always a consistent (seq, state).
    """

    def __init__(self) -> None:
        self._current: Snapshot | None = None
        self._events: dict[str, list[dict[str, Any]]] = {}

    async def save(self, seq: int, state: ClusterState) -> None:
        self._current = Snapshot(seq, state)

    async def load(self) -> Snapshot | None:
        return self._current

    def peek(self) -> Snapshot | None:
        return self._current

    async def save_events(self, updates: Mapping[str, Sequence[dict[str, Any]]]) -> None:
        for component_id, events in updates.items():
            if events:
                self._events[component_id] = list(events)
            else:
                self._events.pop(component_id, None)

    async def recent_events(self, component_id: str) -> list[dict[str, Any]]:
        return list(self._events.get(component_id, ()))
