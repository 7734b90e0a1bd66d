"""WebSocket consumers: send the snapshot on connect, then every change in seq order, paced.

Pacing: a socket is written at most once per FRAME_INTERVAL on average, by a
token bucket that holds BURST writes. A write that follows a quiet spell goes
out at once (no added latency at ordinary rates, and no phase lock where a
late write makes the next one late); what arrives while the bucket is empty
waits for the next write and goes out with it. `/ws/events/` writes each contract message as a WebSocket message of its
own; `/ws/events/?frames=1` (the page's socket) writes one JSON array of
consecutive contract messages per write, so a browser gets at most ten
frames a second whatever the cluster does, and a frame that would outweigh a
snapshot is replaced by one. Either way the client ends in exactly the hub's
state.

A socket whose backlog passes MAX_BACKLOG is dropped from the stream and
resynced from a fresh snapshot at its next write: a slow client never holds
the others or the hub back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer

from explorer.hub import StoreUnavailable
from explorer.live.runtime import get_runtime
from explorer.model.changes import snapshot_message

__all__ = ["BURST", "FRAME_INTERVAL", "MAX_BACKLOG", "MAX_FRAME", "EventsConsumer"]

log = logging.getLogger(__name__)

FRAME_INTERVAL = 0.1
BURST = 2
# Messages a socket may have waiting before it is resynced from a snapshot instead.
MAX_BACKLOG = 5000
# In framed mode, a write of more messages than this (and than the cluster has
# components) sends a snapshot instead: it is smaller and says the same.
MAX_FRAME = 2000
# "Try again later" (RFC 6455's 1013 in the range applications may use: Channels
# accepts only 1000 and 3000-4999): the snapshot cannot be read right now.
TRY_AGAIN_LATER = 4013


class EventsConsumer(AsyncWebsocketConsumer):
    """`/ws/events/`: the contract's JSON stream. Client messages are ignored (and never break the stream)."""

    # No channel per socket: the process's one fan-out subscription feeds every socket.
    channel_layer_alias = None

    async def connect(self) -> None:
        self.runtime = await get_runtime()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.framed = query.get("frames", ["0"])[-1] in {"1", "true"}
        self.pending: list[tuple[int, str]] = []
        self.needs_resync = False
        self.status_due: dict[str, Any] | None = None
        self.wake = asyncio.Event()
        self.seq = 0
        self.snapshot_size = 0
        self.tokens = float(BURST)
        self.refilled = asyncio.get_running_loop().time()
        self.sender: asyncio.Task[None] | None = None
        await self.accept()
        # Subscribe before reading the snapshot, so nothing falls between the two;
        # messages the snapshot already covers are skipped by seq.
        self.runtime.fanout.subscribe(self)
        try:
            out = [await self._snapshot_text()]
        except StoreUnavailable as error:
            await self._give_up(error)
            return
        if not self.runtime.hub_live:
            out.append(self._status_text(False, self.runtime.stale_since))
        await self._write(out)
        self.sender = asyncio.create_task(self._drain())

    async def disconnect(self, code: int) -> None:
        runtime = getattr(self, "runtime", None)
        if runtime is not None:
            runtime.fanout.unsubscribe(self)
        if getattr(self, "sender", None) is not None:
            self.sender.cancel()  # type: ignore[union-attr]

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # The stream is one-way; a client's words (junk and oversized ones included) change nothing.
        return

    # -- called by the fan-out, synchronously ------------------------------------------

    def deliver(self, frames: list[tuple[int, str]]) -> None:
        if self.needs_resync:
            return  # the coming snapshot covers these
        self.pending.extend(frames)
        if len(self.pending) > MAX_BACKLOG:
            self.pending = []
            self.needs_resync = True
        self.wake.set()

    def hub_changed(self, live: bool, since: str | None, resync: bool) -> None:
        self.status_due = {"live": live, "since": since}
        if resync:
            self.pending = []
            self.needs_resync = True
        self.wake.set()

    # -- the sender ---------------------------------------------------------------------

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self.wake.wait()
            self.wake.clear()
            self._refill(loop.time())
            if self.tokens < 1:
                await asyncio.sleep((1 - self.tokens) * FRAME_INTERVAL)
                self._refill(loop.time())
            try:
                await self._flush()
            except StoreUnavailable as error:
                await self._give_up(error)
                return

    async def _flush(self) -> None:
        frames, self.pending = self.pending, []
        resync, self.needs_resync = self.needs_resync, False
        status, self.status_due = self.status_due, None
        if self.framed and len(frames) > max(MAX_FRAME, self.snapshot_size):
            resync = True
        out: list[str] = []
        if resync:
            out.append(await self._snapshot_text())
        for seq, text in frames:
            if seq <= self.seq:
                continue
            if seq != self.seq + 1:
                # A gap (a lost layer message): the client could not build the right state from here.
                self.needs_resync = True
                self.wake.set()
                break
            out.append(text)
            self.seq = seq
        if status is not None:
            out.append(self._status_text(status["live"], status["since"]))
        if out:
            await self._write(out)

    def _refill(self, now: float) -> None:
        self.tokens = min(BURST, self.tokens + (now - self.refilled) / FRAME_INTERVAL)
        self.refilled = now

    async def _write(self, texts: list[str]) -> None:
        self._refill(asyncio.get_running_loop().time())
        self.tokens -= 1
        if self.framed:
            await self.send(text_data="[" + ",".join(texts) + "]")
        else:
            for text in texts:
                await self.send(text_data=text)

    async def _snapshot_text(self) -> str:
        seq, state = await self.runtime.snapshot()
        self.seq = seq
        self.snapshot_size = len(state)
        return json.dumps(snapshot_message(state, seq), separators=(",", ":"))

    def _status_text(self, live: bool, since: str | None) -> str:
        # Not a change: it repeats the seq of the last message sent (README, changelog 0.2.0).
        message = {"type": "status", "seq": self.seq, "hub": "live" if live else "stale", "since": since}
        return json.dumps(message, separators=(",", ":"))

    async def _give_up(self, error: StoreUnavailable) -> None:
        log.warning("closing a live socket: %s", error)
        self.runtime.fanout.unsubscribe(self)
        await self.close(code=TRY_AGAIN_LATER, reason="the cluster snapshot is unavailable; try again later")
