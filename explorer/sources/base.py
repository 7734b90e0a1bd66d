"""The one small interface every source implements."""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Self

from explorer.model import Change, ClusterState

__all__ = ["NO_CONTROLS", "CommandError", "Contexts", "Outbox", "Source", "SourceError", "SourceOptions"]

# What a source that cannot be driven answers to a command.
NO_CONTROLS = "the simulation controls work only on the simulated source"


class SourceError(Exception):
    """A source cannot start or go on; the message is meant for a person."""


class CommandError(ValueError):
    """A control command was malformed or not possible; the message says why."""


@dataclass(frozen=True)
class SourceOptions:
    """Everything a source may be built from; each kind reads the fields it needs.

    The defaults are a library caller's; the site's own come from its settings
    (`explorer.live.configured.configured_source`, the one place they are merged).
    """

    scenario: str = "steady-state"
    seed: int = 1
    speed: float = 1.0
    nodes: int = 0
    # The Kubernetes release a simulation follows ("v1.31"); empty: each scenario's own kubernetesVersion.
    kubernetes_version: str = ""
    kubeconfig: str = ""
    context: str = ""
    file: str = ""
    # A replay's: start playing at once, start again at the end, end the stream at the end.
    autoplay: bool = False
    loop: bool = False
    exit_at_end: bool = False


@dataclass(frozen=True)
class Contexts:
    """The kubeconfig contexts a source can switch between, and the one it reads."""

    names: tuple[str, ...]
    current: str


class Outbox(asyncio.Queue[list[Change] | None]):
    """A source's batches on their way to the hub, counted, so the hub can tell when it has them all.

    `None` ends the stream and is not a batch.
    """

    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    def put_nowait(self, batch: list[Change] | None) -> None:
        if batch is not None:
            self.batches += 1
        super().put_nowait(batch)


class Source(abc.ABC):
    """Initial state, then an async stream of change batches, then close.

    A batch holds the changes that happened at one moment, in order. Sources
    that can be driven (the simulation) also answer `status` and `command`.
    """

    kind: str = "abstract"

    @classmethod
    def from_options(cls, options: SourceOptions) -> Self:
        """Build the source from the options; SourceError says plainly what is wrong."""
        raise SourceError(f"the {cls.kind} source cannot be built from options")

    @abc.abstractmethod
    async def start(self) -> ClusterState:
        """Read or build the first state. Raises SourceError with a clear message."""

    @abc.abstractmethod
    def changes(self) -> AsyncIterator[list[Change]]:
        """Batches of changes, forever or until the source ends."""

    def batches_made(self) -> int | None:
        """How many batches the stream has made so far (the hub waits for them before answering a command).

        None when the source does not count them (it takes no commands).
        """
        return None

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release what start() took."""

    def status(self) -> dict[str, Any] | None:
        """The controllable source's status; None when it cannot be driven."""
        return None

    def loading(self) -> dict[str, int] | None:
        """While start() reads a large cluster: {"collections", "listed", "objects"} so far; None otherwise.

        Called from the event loop while start() is awaited, so it only reads.
        """
        return None

    async def command(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Carry out a control command and answer the new status."""
        raise CommandError(NO_CONTROLS)

    def contexts(self) -> Contexts | None:
        """The contexts this source could read instead (a kubeconfig's); None when it has no such choice.

        Reads files, so callers on an event loop run it in a thread.
        """
        return None
