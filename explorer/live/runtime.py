"""The process's explorer runtime: in the embedded default it runs the hub in-process.

Started lazily by the first request or socket that needs it, on the server's
event loop, so `runserver` needs nothing else started.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from explorer.hub import Hub, MemoryStateStore
from explorer.live.fanout import GROUP, LocalFanout
from explorer.model import ClusterState, diff_states
from explorer.sources.base import CommandError, Source, SourceError
from explorer.sources.factory import build_source

__all__ = ["Runtime", "configured_source", "get_runtime", "reset_runtime"]

log = logging.getLogger(__name__)

# How often a cluster source that could not start is tried again.
RETRY_SECONDS = 3.0


def configured_source(**overrides: Any) -> Source:
    """The source the settings (EXPLORER_*, KUBECONFIG) name, with command-line overrides."""
    options: dict[str, Any] = {
        "scenario": settings.EXPLORER_SCENARIO,
        "seed": settings.EXPLORER_SEED,
        "speed": settings.EXPLORER_SPEED,
        "nodes": settings.EXPLORER_NODES,
        "kubeconfig": settings.KUBECONFIG,
        "context": settings.EXPLORER_CONTEXT,
        "file": settings.EXPLORER_REPLAY_FILE,
    }
    options.update({key: value for key, value in overrides.items() if value is not None})
    kind = options.pop("source", None) or settings.EXPLORER_SOURCE
    return build_source(kind, **options)


class Runtime:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.fanout = LocalFanout(self.layer)
        self.store = MemoryStateStore()
        self.hub: Hub | None = None
        self.error: str = ""
        self.context: str = settings.EXPLORER_CONTEXT
        self._hub_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.fanout.start()
        try:
            source = configured_source()
            self.hub = Hub(source, self.store, self._publish)
            await self.hub.start()
        except SourceError as error:
            self.hub = None
            self.error = str(error)
            log.error("the cluster source could not start: %s", error)
            await self.store.save(0, ClusterState(source=settings.EXPLORER_SOURCE))
            if settings.EXPLORER_SOURCE == "kube":
                # An apiserver that is away when the explorer starts may come back: keep trying.
                self._hub_task = asyncio.create_task(self._retry_start(), name="explorer-retry")
            return
        self._hub_task = asyncio.create_task(self._forward(), name="explorer-hub")

    async def _retry_start(self) -> None:
        while self.hub is None:
            await asyncio.sleep(RETRY_SECONDS)
            self._hub_task = None  # switch_context replaces the task; this one must not be cancelled by it
            try:
                await self.switch_context(self.context)
            except SourceError as error:
                self.error = str(error)
            except Exception:  # whatever happens, the page keeps serving and the next try comes
                log.exception("starting the cluster source failed")

    async def switch_context(self, context: str) -> None:
        """Read another kubeconfig context: the page moves there through ordinary numbered changes.

        The new cluster arrives as the diff from the old one, numbered after the
        old hub's last `seq`, so every open client follows without a gap.
        """
        source = configured_source(context=context)  # SourceError leaves the current source running
        state = await source.start()
        if self._hub_task:
            self._hub_task.cancel()
        old = self.hub
        if old:
            await old.source.close()
        hub = Hub(source, self.store, self._publish)
        hub.seq = old.seq if old else 0
        hub.state = old.state if old else ClusterState()
        await hub.handle(diff_states(hub.state, state, datetime.now(UTC).isoformat().replace("+00:00", "Z")))
        hub.state.cluster, hub.state.source = state.cluster, state.source
        await self.store.save(hub.seq, hub.state)
        self.hub, self.error, self.context = hub, "", context
        self._hub_task = asyncio.create_task(self._forward(), name="explorer-hub")

    async def _forward(self) -> None:
        assert self.hub is not None
        try:
            await self.hub.forward()
        except asyncio.CancelledError:
            raise
        except Exception:  # the page must keep serving whatever the source does
            log.exception("the hub stopped")
            self.error = "the cluster source stopped unexpectedly; see the server log"

    async def _publish(self, messages: list[dict[str, Any]]) -> None:
        await self.layer.group_send(GROUP, {"type": "explorer.batch", "messages": messages})

    async def stop(self) -> None:
        if self._hub_task:
            self._hub_task.cancel()
        if self.hub:
            await self.hub.source.close()
        await self.fanout.stop()

    async def snapshot(self) -> tuple[int, ClusterState]:
        current = await self.store.load()
        return current if current is not None else (0, ClusterState())

    def sim_status(self) -> dict[str, Any] | None:
        return self.hub.source.status() if self.hub else None

    async def command(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.hub is None or self.hub.source.status() is None:
            raise CommandError("the simulation controls work only on the simulated source")
        return await self.hub.source.command(payload)


_runtime: Runtime | None = None
_lock: asyncio.Lock | None = None


async def get_runtime() -> Runtime:
    global _runtime, _lock
    if _runtime is not None:
        return _runtime
    if _lock is None:
        _lock = asyncio.Lock()
    async with _lock:
        if _runtime is None:
            runtime = Runtime()
            await runtime.start()
            _runtime = runtime
    return _runtime


async def reset_runtime() -> None:
    """Stop and forget the runtime (tests start each one fresh, on their own loop)."""
    global _runtime, _lock
    if _runtime is not None:
        await _runtime.stop()
    _runtime = None
    _lock = None
