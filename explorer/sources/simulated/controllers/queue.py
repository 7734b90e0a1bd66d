"""The work queue every controller-manager loop of the simulation drains: object keys, once each per moment."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from explorer.sources.simulated.engine import Engine

__all__ = ["WorkQueue"]


class WorkQueue:
    """Keys asked for since the last drain, synced together at the same simulated moment.

    While the controller manager is down the queue is dropped: on its return the engine
    resyncs every object (`resync_all`), as an informer's first list would.
    """

    engine: Engine

    def __init__(self, engine: Engine):
        self.engine = engine
        self._pending: dict[tuple[str, str], None] = {}
        self._drain_scheduled = False

    @property
    def instance_id(self) -> str:
        return self.engine.control.leader_id("controller-manager")

    def request(self, kind: str, key: str) -> None:
        self._pending[(kind, key)] = None
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self.engine.after(0.0, self._drain)

    def _drain(self) -> None:
        self._drain_scheduled = False
        work, self._pending = list(self._pending), {}
        if not self.engine.control.active("controller-manager"):
            return
        for kind, key in work:
            self.sync(kind, key)

    def sync(self, kind: str, key: str) -> None:
        raise NotImplementedError
