"""WebSocket consumers: send the snapshot on connect, then every change in seq order."""

from __future__ import annotations

import asyncio
import json
import logging

from channels.generic.websocket import AsyncWebsocketConsumer

from explorer.live.runtime import get_runtime
from explorer.model.changes import snapshot_message

__all__ = ["EventsConsumer"]

log = logging.getLogger(__name__)

# Frames a socket may have waiting before it is resynced from a fresh snapshot
# instead: a slow client must not hold the others or the hub back.
MAX_BACKLOG = 5000


class EventsConsumer(AsyncWebsocketConsumer):
    """`/ws/events/`: the contract's JSON stream. Client messages are ignored (and never break the stream)."""

    async def connect(self) -> None:
        self.runtime = await get_runtime()
        self.pending: asyncio.Queue[list[tuple[int, str]]] = asyncio.Queue()
        self.backlog = 0
        self.seq = 0
        self.needs_resync = False
        await self.accept()
        # Subscribe before reading the snapshot, so nothing falls between the two;
        # frames the snapshot already covers are skipped by seq.
        self.runtime.fanout.subscribe(self)
        await self._send_snapshot()
        self.sender = asyncio.create_task(self._drain())

    async def disconnect(self, code: int) -> None:
        runtime = getattr(self, "runtime", None)
        if runtime is not None:
            runtime.fanout.unsubscribe(self)
        sender = getattr(self, "sender", None)
        if sender is not None:
            sender.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # The stream is one-way; a client's words (junk included) change nothing.
        return

    def deliver(self, frames: list[tuple[int, str]]) -> None:
        if self.backlog + len(frames) > MAX_BACKLOG:
            self.needs_resync = True
            return
        self.backlog += len(frames)
        self.pending.put_nowait(frames)

    async def _send_snapshot(self) -> None:
        seq, state = await self.runtime.snapshot()
        text = json.dumps(snapshot_message(state, seq), separators=(",", ":"))
        self.seq = seq
        await self.send(text_data=text)

    async def _drain(self) -> None:
        while True:
            frames = await self.pending.get()
            self.backlog -= len(frames)
            if self.needs_resync:
                self._drop_pending()
                await self._send_snapshot()
                continue
            for seq, text in frames:
                if seq <= self.seq:
                    continue
                if seq != self.seq + 1:
                    # A gap: the client could not build the right state from here.
                    self._drop_pending()
                    await self._send_snapshot()
                    break
                await self.send(text_data=text)
                self.seq = seq

    def _drop_pending(self) -> None:
        self.needs_resync = False
        while not self.pending.empty():
            self.backlog -= len(self.pending.get_nowait())
