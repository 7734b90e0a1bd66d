"""One subscription to the hub's group per process, delivered locally to every socket."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Protocol

__all__ = ["GROUP", "LocalFanout", "Subscriber", "encode_batch"]

log = logging.getLogger(__name__)

GROUP = "explorer.changes"


class Subscriber(Protocol):
    def deliver(self, frames: list[tuple[int, str]]) -> None: ...


def encode_batch(messages: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Serialise once per process, not once per socket."""
    return [(m["seq"], json.dumps(m, separators=(",", ":"))) for m in messages]


class LocalFanout:
    def __init__(self, channel_layer: Any):
        self.layer = channel_layer
        self.subscribers: set[Subscriber] = set()
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

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="explorer-fanout")
            await self._ready.wait()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        channel = await self.layer.new_channel("explorer-fanout.")
        await self.layer.group_add(GROUP, channel)
        self._ready.set()
        try:
            while True:
                message = await self.layer.receive(channel)
                if message.get("type") == "explorer.batch":
                    self.publish_local(message["messages"])
        finally:
            await self.layer.group_discard(GROUP, channel)
