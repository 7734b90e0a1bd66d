"""The process's explorer runtime: embedded (the hub in this process) or scaled out (the hub elsewhere).

Started lazily by the first request or socket that needs it, on the server's
event loop, so `runserver` needs nothing else started.

- Embedded (no REDIS_URL): this process runs the hub, with an in-memory state
  store and the in-memory channel layer.
- Scaled out (REDIS_URL): this process runs no hub and keeps no cluster state.
  It reads the snapshot from Redis, follows the hub's group through one
  subscription, watches the hub's heartbeat to tell its sockets when the hub
  goes stale, and forwards simulation commands to the hub over the channel
  layer, waiting for the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from channels.layers import get_channel_layer
from django.conf import settings

from explorer.hub import Hub, MemoryStateStore, Snapshot, StateStore
from explorer.hub.redis_store import RedisStateStore
from explorer.live.configured import configured_source
from explorer.live.fanout import LocalFanout
from explorer.live.protocol import (
    COMMAND_CHANNEL,
    COMMAND_TIMEOUT,
    GROUP,
    HEARTBEAT_INTERVAL,
    STALE_AFTER,
    SWITCH_CONTEXT_TIMEOUT,
    Operation,
    batch_message,
    command_request,
    contexts_from_message,
    loading_from_message,
)
from explorer.model import ClusterState
from explorer.model.timestamps import iso_timestamp
from explorer.sources.base import NO_CONTROLS, CommandError, Contexts, SourceError

__all__ = [
    "NO_CONTROLS",
    "CommandError",
    "EmbeddedRuntime",
    "HubUnavailable",
    "Runtime",
    "ScaledOutRuntime",
    "SourceError",
    "configured_source",
    "get_runtime",
    "reset_runtime",
]

log = logging.getLogger(__name__)

# How often a cluster source that could not start is tried again.
RETRY_SECONDS = 3.0
# How long the first request waits for the source's first picture. A source still reading
# its lists after that (a large cluster's) has the page served with their progress instead.
LOADING_GRACE = 3.0


class HubUnavailable(CommandError):
    """A command could not reach the hub process; the message says what to do."""


class Runtime(Protocol):
    """What the web and live layers may ask of the explorer, wherever its hub runs."""

    scaled_out: bool
    # Sockets subscribe here for the hub's numbered messages and its liveness.
    fanout: LocalFanout

    @property
    def hub_live(self) -> bool:
        """Whether the hub is heard from (always, when it runs in this process)."""

    @property
    def stale_since(self) -> str | None:
        """When the hub was last heard from, while it is not live."""

    @property
    def error(self) -> str:
        """Why the cluster shown may be wrong or empty (the source's or the hub's trouble); "" when none."""

    @property
    def loading(self) -> dict[str, int] | None:
        """While the source reads its first picture: {"collections", "listed", "objects"}; None otherwise."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def snapshot(self) -> Snapshot:
        """The newest (seq, state): callers must not change it (copy it to hand it to a thread)."""

    def sim_status(self) -> dict[str, Any] | None:
        """The driveable source's status (speed, paused, its choices); None when it cannot be driven."""

    async def command(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Carry out a control command; the new status. CommandError says why not."""

    async def recent_events(self, component_id: str) -> list[dict[str, Any]]:
        """A component's recent event messages, newest first."""

    async def contexts(self) -> Contexts | None:
        """The kubeconfig contexts the source could read and the one it reads; None when it has no such choice."""

    async def switch_context(self, name: str) -> None:
        """Read another context; CommandError for a name the kubeconfig lacks, SourceError when it fails."""


def _unknown_context(name: str, contexts: Contexts | None) -> CommandError:
    known = ", ".join(contexts.names) if contexts and contexts.names else "none"
    return CommandError(f"no context {name!r} in the kubeconfig; its contexts: {known}")


class EmbeddedRuntime:
    """The hub runs here, on this event loop; it is live as long as this process is."""

    scaled_out = False
    hub_live = True
    stale_since: str | None = None

    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.fanout = LocalFanout(self.layer)
        self.store: StateStore = MemoryStateStore()
        self.hub: Hub | None = None
        self.error: str = ""
        self._context: str = settings.EXPLORER_CONTEXT
        self._started = False
        self._hub_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.fanout.start()
        self.hub = Hub(configured_source(), self.store, self._publish)
        starting = asyncio.ensure_future(self.hub.start())
        while True:
            done, _ = await asyncio.wait({starting}, timeout=LOADING_GRACE)
            if done:
                await self._await_start(starting)
                return
            if self.hub.source.loading() is not None:
                # The page is served now, with the lists' progress; the picture follows as a resync.
                self._hub_task = asyncio.create_task(self._finish_loading(starting), name="explorer-loading")
                return

    async def _await_start(self, starting: asyncio.Future[None]) -> None:
        assert self.hub is not None
        try:
            await starting
        except SourceError as error:
            self.error = str(error)
            log.error("the cluster source could not start: %s", error)
            await self.hub.start_empty(settings.EXPLORER_SOURCE)
            if self.hub.source.contexts() is not None:
                # An apiserver that is away when the explorer starts may come back: keep trying.
                self._hub_task = asyncio.create_task(self._retry_start(), name="explorer-retry")
            return
        self._forward()

    async def _finish_loading(self, starting: asyncio.Future[None]) -> None:
        try:
            await self._await_start(starting)
        except Exception:  # the page keeps serving, and says so
            log.exception("starting the cluster source failed")
            self.error = "the cluster source could not start; see the server log"
        # Every open page holds the empty picture it was served with: each socket sends the new snapshot.
        self.fanout.hub_changed(True, None, resync=True)

    @property
    def loading(self) -> dict[str, int] | None:
        return self.hub.source.loading() if self.hub and not self._started else None

    def _forward(self) -> None:
        self._started = True
        self._hub_task = asyncio.create_task(self._run_forward(), name="explorer-hub")

    async def _retry_start(self) -> None:
        assert self.hub is not None
        while not self._started:
            await asyncio.sleep(RETRY_SECONDS)
            try:
                await self.hub.replace_source(configured_source(context=self._context))
            except SourceError as error:
                self.error = str(error)
                continue
            except Exception:  # whatever happens, the page keeps serving and the next try comes
                log.exception("starting the cluster source failed")
                continue
            self.error = ""
            self._forward()

    async def _run_forward(self) -> None:
        assert self.hub is not None
        try:
            await self.hub.forward()
        except asyncio.CancelledError:
            raise
        except Exception:  # the page must keep serving whatever the source does
            log.exception("the hub stopped")
            self.error = "the cluster source stopped unexpectedly; see the server log"

    async def _publish(self, messages: list[dict[str, Any]]) -> None:
        await self.layer.group_send(GROUP, batch_message(messages))

    async def stop(self) -> None:
        if self._hub_task:
            self._hub_task.cancel()
        if self.hub:
            await self.hub.source.close()
        await self.fanout.stop()

    async def snapshot(self) -> Snapshot:
        current = await self.store.load()
        return current if current is not None else Snapshot(0, ClusterState())

    def sim_status(self) -> dict[str, Any] | None:
        # A source that could not start has nothing to steer.
        return self.hub.source.status() if self.hub and self._started else None

    async def command(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.hub is None or not self._started:
            raise CommandError(NO_CONTROLS)
        status = await self.hub.source.command(payload)
        await self.hub.settle()
        return status

    async def recent_events(self, component_id: str) -> list[dict[str, Any]]:
        return await self.store.recent_events(component_id)

    async def contexts(self) -> Contexts | None:
        return await asyncio.to_thread(self.hub.source.contexts) if self.hub else None

    async def switch_context(self, name: str) -> None:
        """Read another kubeconfig context: the page moves there through ordinary numbered changes."""
        contexts = await self.contexts()
        if contexts is None or name not in contexts.names:
            raise _unknown_context(name, contexts)
        assert self.hub is not None
        await self.hub.replace_source(configured_source(context=name))  # SourceError: the current source goes on
        self.error, self._context = "", name
        if not self._started:
            self._forward()


class ScaledOutRuntime:
    """A web worker of a scaled-out explorer: no hub here, the snapshot in Redis."""

    scaled_out = True

    def __init__(self, redis_url: str) -> None:
        self.layer = get_channel_layer()
        self.store = RedisStateStore(redis_url)
        self.fanout = LocalFanout(self.layer, on_heartbeat=self._heartbeat)
        self.hub_id: str | None = None
        self.hub_live = False
        # When the hub was last heard of (or, never heard, when this worker started).
        self.stale_since: str | None = iso_timestamp(precision="seconds")
        self._status: dict[str, Any] | None = None
        self._loading: dict[str, int] | None = None
        self._contexts: Contexts | None = None
        self._source_error = ""
        self._last_beat = 0.0
        self._first_beat = asyncio.Event()
        self._watchdog: asyncio.Task[None] | None = None

    @property
    def error(self) -> str:
        if not self.hub_live:
            return (
                f"The hub is not running (not heard from since {self.stale_since}): what you see may be out of date. "
                "Start it with `python manage.py runexplorer`."
            )
        return self._source_error

    async def start(self) -> None:
        await self.fanout.start()
        self._watchdog = asyncio.create_task(self._watch(), name="explorer-hub-watchdog")
        # A page served in the first second should already know the simulation's controls.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_beat.wait(), 1.5 * HEARTBEAT_INTERVAL)

    async def stop(self) -> None:
        if self._watchdog:
            self._watchdog.cancel()
        await self.fanout.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.store.close(), 2)

    def _heartbeat(self, message: dict[str, Any]) -> None:
        self._last_beat = time.monotonic()
        self._status = message.get("status")
        was_loading, self._loading = self._loading is not None, loading_from_message(message.get("loading"))
        self._contexts = contexts_from_message(message.get("contexts"))
        self._source_error = str(message.get("error") or "")
        hub_id = str(message.get("hub"))
        # A hub that has just read its first picture stored it: every socket sends it.
        returned = not self.hub_live or hub_id != self.hub_id or (was_loading and self._loading is None)
        self.hub_id = hub_id
        self.hub_live = True
        self.stale_since = None
        self._first_beat.set()
        if returned:
            # A new or revived hub may tell another story from what the sockets have: resync them all.
            log.info("hub %s is live", hub_id)
            self.fanout.hub_changed(True, None, resync=True)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_INTERVAL / 2)
            if self.hub_live and time.monotonic() - self._last_beat > STALE_AFTER:
                self.hub_live = False
                last_heard = datetime.fromtimestamp(time.time() - (time.monotonic() - self._last_beat), UTC)
                self.stale_since = iso_timestamp(last_heard, precision="seconds")
                log.warning("no heartbeat from the hub since %s", self.stale_since)
                self.fanout.hub_changed(False, self.stale_since, resync=False)
            if not self.hub_live:
                await self.fanout.refresh()

    async def snapshot(self) -> Snapshot:
        current = await self.store.load()
        return current if current is not None else Snapshot(0, ClusterState())

    @property
    def loading(self) -> dict[str, int] | None:
        return self._loading if self.hub_live else None

    def sim_status(self) -> dict[str, Any] | None:
        return self._status

    async def command(self, payload: dict[str, Any]) -> dict[str, Any]:
        reply = await self._ask("command", payload)
        self._status = reply.get("status")
        return reply.get("status") or {}

    async def recent_events(self, component_id: str) -> list[dict[str, Any]]:
        return await self.store.recent_events(component_id)

    async def contexts(self) -> Contexts | None:
        return self._contexts

    async def switch_context(self, name: str) -> None:
        if self._contexts is None or name not in self._contexts.names:
            raise _unknown_context(name, self._contexts)
        await self._ask("switch-context", {"context": name})
        self._contexts = Contexts(self._contexts.names, name)

    async def _ask(self, op: Operation, payload: dict[str, Any]) -> dict[str, Any]:
        """Send the hub a request and wait for its reply; HubUnavailable when it cannot answer."""
        if not self.hub_live:
            raise HubUnavailable(
                f"the hub is not running (not heard from since {self.stale_since}); "
                "start it with `python manage.py runexplorer`"
            )
        if self.fanout.channel is None:
            raise HubUnavailable("the channel layer is unreachable, so the hub cannot be asked")
        request_id = uuid.uuid4().hex
        waiting: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.fanout.replies[request_id] = waiting
        # A command answers at once; a context switch once the other cluster's first lists are read.
        timeout = SWITCH_CONTEXT_TIMEOUT if op == "switch-context" else COMMAND_TIMEOUT
        request = command_request(op, payload, self.fanout.channel, request_id, time.time() + timeout)
        try:
            await self.layer.send(COMMAND_CHANNEL, request)
            reply = await asyncio.wait_for(waiting, timeout)
        except TimeoutError:
            raise HubUnavailable(f"the hub did not answer within {timeout:.0f} s; is it running?") from None
        except Exception as error:  # the layer's transport (Redis) failed
            raise HubUnavailable(f"the channel layer is unreachable, so the hub cannot be asked: {error}") from None
        finally:
            self.fanout.replies.pop(request_id, None)
        if reply.get("error"):
            if reply.get("source_failed"):
                raise SourceError(str(reply["error"]))
            raise CommandError(str(reply["error"]))
        return reply


_runtime: Runtime | None = None
_starting: asyncio.Future[Runtime] | None = None


async def _start_new() -> Runtime:
    runtime: Runtime = ScaledOutRuntime(settings.REDIS_URL) if settings.REDIS_URL else EmbeddedRuntime()
    await runtime.start()
    return runtime


async def get_runtime() -> Runtime:
    global _runtime, _starting
    if _runtime is not None:
        return _runtime
    if _starting is None:
        _starting = asyncio.ensure_future(_start_new())
    try:
        # Shielded and shared: a client that hangs up (a health probe's timeout) must not
        # abort the start half-way, or every probe would begin it anew and none would finish.
        runtime = await asyncio.shield(_starting)
    except asyncio.CancelledError:
        raise
    except Exception:
        _starting = None
        raise
    _runtime = runtime
    return runtime


async def reset_runtime() -> None:
    """Stop and forget the runtime (tests start each one fresh, on their own loop)."""
    global _runtime, _starting
    if _runtime is not None:
        await _runtime.stop()
    elif _starting is not None:
        _starting.cancel()
    _runtime = None
    _starting = None
