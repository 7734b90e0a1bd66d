"""The one small interface every source implements."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from typing import Any

from explorer.model import Change, ClusterState

__all__ = ["CommandError", "Source", "SourceError"]


class SourceError(Exception):
    """A source cannot start or go on; the message is meant for a person."""


class CommandError(ValueError):
    """A control command was malformed or not possible; the message says why."""


class Source(abc.ABC):
    """Initial state, then an async stream of change batches, then close.

    A batch holds the changes that happened at one moment, in order. Sources
    that can be driven (the simulation) also answer `status` and `command`.
    """

    kind: str = "abstract"

    @abc.abstractmethod
    async def start(self) -> ClusterState:
        """Read or build the first state. Raises SourceError with a clear message."""

    @abc.abstractmethod
    def changes(self) -> AsyncIterator[list[Change]]:
        """Batches of changes, forever or until the source ends."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release what start() took."""

    def status(self) -> dict[str, Any] | None:
        """The controllable source's status; None when it cannot be driven."""
        return None

    async def command(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Carry out a control command and answer the new status."""
        raise CommandError(f"the {self.kind} source takes no commands")
