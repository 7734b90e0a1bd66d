"""One subscription to the hub's group per process, delivered locally to every socket.

The subscription survives the channel layer going away (Redis restarting): it
backs off, subscribes again and carries on. Heartbeats are handed to the
runtime, which decides whether the hub is alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

from explorer.live.protocol import CHANNEL_PREFIX, GROUP

__all__ = ["GROUP", "LocalFanout", "Subscriber", "encode_batch"]

log = logging.getLogger(__name__)

# How long start() waits for the first subscription before serving anyway.
READY_TIMEOUT = 3.0
# How long stop() waits for the subscription to end, and in how many cancellations.
STOP_TIMEOUT, STOP_TRIES = 2.0, 20


class Subscriber(Protocol):
    def deliver(self, frames: list[tuple[int, str]]) -> None: ...

    def hub_changed(self, live: bool, since: str | None, resync: bool) -> None: ...


def encode_batch(messages: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Serialise once per process, not once per socket."""
    return [(m["seq"], json.dumps(m, separators=(",", ":"))) for m in messages]


class LocalFanout:
    def __init__(self, channel_layer: Any, on_heartbeat: Callable[[dict[str, Any]], None] | None = None):
        self.layer = channel_layer
        self.on_heartbeat = on_heartbeat
        self.subscribers: set[Subscriber] = set()
        self.channel: str | None = None
        self.error = ""
        # Answers to this process's commands come to the fan-out's own channel: one
        # receiver per process, and a request that times out cancels nothing in the layer.
        self.replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    def subscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def publish_local(self, messages: list[dict[str, Any]]) -> None:
        frames = encode_batch(messages)
        for subscriber in list(self.subscribers):
            subscriber.deliver(frames)

    def hub_changed(self, live: bool, since: str | None, resync: bool) -> None:
        for subscriber in list(self.subscribers):
            subscriber.hub_changed(live, since, resync)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="explorer-fanout")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), READY_TIMEOUT)

    async def stop(self) -> None:
        if self._task:
            # redis-py's blocking pop can swallow a cancellation that lands while it reads (its
            # read timeout takes it for its own), so cancel again until the task ends; bounded,
            # for a layer call that ignores every cancellation.
            for _ in range(STOP_TRIES):
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=STOP_TIMEOUT / STOP_TRIES)
                if self._task.done():
                    break
            self._task = None

    async def refresh(self) -> None:
        """Join the group again: Redis forgets memberships when it restarts empty."""
        if self.channel is not None:
            with contextlib.suppress(Exception):
                await self.layer.group_add(GROUP, self.channel)

    async def _run(self) -> None:
        delay = 0.25
        while True:
            try:
                self.channel = await self.layer.new_channel(CHANNEL_PREFIX)
                await self.layer.group_add(GROUP, self.channel)
                if self.error:
                    log.warning("live fan-out subscribed again")
                self.error = ""
                self._ready.set()
                delay = 0.25
                await self._receive(self.channel)
            except asyncio.CancelledError:
                if self.channel is not None:
                    with contextlib.suppress(Exception):
                        await self.layer.group_discard(GROUP, self.channel)
                raise
            except Exception as error:  # the layer's transport failed: retry, never die
                if not self.error:
                    log.error("live fan-out lost the channel layer (%s); retrying", error)
                self.error = str(error) or type(error).__name__
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _receive(self, channel: str) -> None:
        while True:
            message = await self.layer.receive(channel)
            kind = message.get("type")
            if kind == "explorer.batch":
                self.publish_local(message["messages"])
            elif kind == "explorer.heartbeat" and self.on_heartbeat is not None:
                self.on_heartbeat(message)
            elif kind == "explorer.reply":
                waiting = self.replies.pop(str(message.get("request")), None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(message)
