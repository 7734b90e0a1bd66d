"""Where the latest snapshot lives: in memory (embedded) or in Redis (scale-out, `redis_store`)."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from explorer.model import Change, ClusterState

__all__ = ["MemoryStateStore", "StateStore", "StoreUnavailable"]


class StoreUnavailable(Exception):
    """The state store cannot be reached; the message is meant for a person."""


class StateStore(abc.ABC):
    """Holds the newest (seq, state) pair the hub has produced."""

    @abc.abstractmethod
    async def save(self, seq: int, state: ClusterState) -> None:
        """Replace the whole snapshot."""

    @abc.abstractmethod
    async def load(self) -> tuple[int, ClusterState] | None:
        """The newest (seq, state), or None before the hub has saved one."""

    async def apply(self, seq: int, state: ClusterState, changes: Sequence[Change]) -> None:
        """Record that `changes` (already applied to `state`) brought the snapshot to `seq`.

        A store that can write only what changed overrides this; the default saves everything.
        """
        await self.save(seq, state)

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
        self._current: tuple[int, ClusterState] | None = None

    async def save(self, seq: int, state: ClusterState) -> None:
        self._current = (seq, state)

    async def load(self) -> tuple[int, ClusterState] | None:
        return self._current

    def peek(self) -> tuple[int, ClusterState] | None:
        return self._current
