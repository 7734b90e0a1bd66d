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
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from explorer.hub import Hub, MemoryStateStore, StateStore
from explorer.hub.redis_store import RedisStateStore
from explorer.live.fanout import LocalFanout
from explorer.live.protocol import COMMAND_CHANNEL, COMMAND_TIMEOUT, GROUP, HEARTBEAT_INTERVAL, STALE_AFTER
from explorer.model import ClusterState, diff_states
from explorer.sources.base import CommandError, Source, SourceError
from explorer.sources.factory import build_source

__all__ = [
    "EmbeddedRuntime",
    "HubUnavailable",
    "Runtime",
    "ScaledOutRuntime",
    "configured_source",
    "get_runtime",
    "reset_runtime",
]

log = logging.getLogger(__name__)

# How often a cluster source that could not start is tried again.
RETRY_SECONDS = 3.0

NOT_SIM = "the simulation controls work only on the simulated source"


class HubUnavailable(CommandError):
    """A command could not reach the hub process; the message says what to do."""


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
        "autoplay": settings.EXPLORER_REPLAY_AUTOPLAY,
        "loop": settings.EXPLORER_REPLAY_LOOP,
    }
    options.update({key: value for key, value in overrides.items() if value is not None})
    kind = options.pop("source", None) or settings.EXPLORER_SOURCE
    return build_source(kind, **options)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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
            raise CommandError(NOT_SIM)
        return await self.hub.source.command(payload)


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
        self.stale_since: str | None = _now_iso()
        self._status: dict[str, Any] | None = None
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
        await self.store.close()

    def _heartbeat(self, message: dict[str, Any]) -> None:
        self._last_beat = time.monotonic()
        self._status = message.get("status")
        self._source_error = str(message.get("error") or "")
        hub_id = str(message.get("hub"))
        returned = not self.hub_live or hub_id != self.hub_id
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
                self.stale_since = (
                    datetime.fromtimestamp(time.time() - (time.monotonic() - self._last_beat), UTC)
                    .isoformat(timespec="seconds")
                    .replace("+00:00", "Z")
                )
                log.warning("no heartbeat from the hub since %s", self.stale_since)
                self.fanout.hub_changed(False, self.stale_since, resync=False)
            if not self.hub_live:
                await self.fanout.refresh()

    async def snapshot(self) -> tuple[int, ClusterState]:
        current = await self.store.load()
        return current if current is not None else (0, ClusterState())

    def sim_status(self) -> dict[str, Any] | None:
        return self._status

    async def command(self, payload: dict[str, Any]) -> dict[str, Any]:
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
        request = {
            "type": "explorer.command",
            "payload": payload,
            "reply_to": self.fanout.channel,
            "request": request_id,
            "deadline": time.time() + COMMAND_TIMEOUT,
        }
        try:
            await self.layer.send(COMMAND_CHANNEL, request)
            reply = await asyncio.wait_for(waiting, COMMAND_TIMEOUT)
        except TimeoutError:
            raise HubUnavailable(f"the hub did not answer within {COMMAND_TIMEOUT:.0f} s; is it running?") from None
        except Exception as error:  # the layer's transport (Redis) failed
            raise HubUnavailable(f"the channel layer is unreachable, so the hub cannot be asked: {error}") from None
        finally:
            self.fanout.replies.pop(request_id, None)
        if reply.get("error"):
            raise CommandError(str(reply["error"]))
        self._status = reply.get("status")
        return reply.get("status") or {}


Runtime = EmbeddedRuntime | ScaledOutRuntime

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
