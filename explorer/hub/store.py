"""Where the latest snapshot lives: in memory (embedded) or in Redis (scale-out)."""

from __future__ import annotations

import abc

from explorer.model import ClusterState

__all__ = ["MemoryStateStore", "StateStore"]


class StateStore(abc.ABC):
    """Holds the newest (seq, state) pair the hub has produced."""

    @abc.abstractmethod
    async def save(self, seq: int, state: ClusterState) -> None: ...

    @abc.abstractmethod
    async def load(self) -> tuple[int, ClusterState] | None: ...


class MemoryStateStore(StateStore):
    """Shares the hub's own state object: readers in the same process see it live, at no cost.

    Callers must not mutate what `load` returns; the hub and readers share one
    event loop, so a load between two awaits is always a consistent (seq, state).
    """

    def __init__(self) -> None:
        self._current: tuple[int, ClusterState] | None = None

    async def save(self, seq: int, state: ClusterState) -> None:
        self._current = (seq, state)

    async def load(self) -> tuple[int, ClusterState] | None:
        return self._current

    def peek(self) -> tuple[int, ClusterState] | None:
        return self._current
