"""WebSocket consumers: send the snapshot on connect, then every change in seq order, paced.

Pacing: a socket is written at most once per FRAME_INTERVAL on average, by a
token bucket that holds BURST writes. A write that follows a quiet spell goes
out at once (no added latency at ordinary rates, and no phase lock where a
late write makes the next one late); what arrives while the bucket is empty
waits for the next write and goes out with it. `/ws/events/` writes each contract message as a WebSocket message of its
own; `/ws/events/?frames=1` writes one JSON array of
consecutive contract messages per write, so a client gets at most ten
frames a second whatever the cluster does, and a frame that would outweigh a
snapshot is replaced by one. Either way the client ends in exactly the hub's
state. A snapshot goes out in chunks a server will carry (`live/chunks.py`),
and no frame of arrays outgrows FRAME_BYTES.

`/ws/events/?view=overview` (the page's socket) carries what the page shows,
not the cluster: the view's model, then the changes to it, with the
timeline's entries filtered and bounded (`live/viewstream.py`). The page
moves to another view, namespace or panel by sending a `subscribe` message on
the same socket.

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
from explorer.live.chunks import CHUNK_BYTES, snapshot_chunks
from explorer.live.runtime import get_runtime
from explorer.live.viewstream import ViewSubscription, mirror_of

__all__ = ["BURST", "FRAME_BYTES", "FRAME_INTERVAL", "MAX_BACKLOG", "MAX_FRAME", "EventsConsumer"]

log = logging.getLogger(__name__)

FRAME_INTERVAL = 0.1
BURST = 2
# Messages a socket may have waiting before it is resynced from a snapshot instead.
MAX_BACKLOG = 5000
# In framed mode, a write of more messages than this (and than the cluster has
# components) sends a snapshot instead: it is smaller and says the same.
MAX_FRAME = 2000
# A frame of several messages is cut before it outgrows this (daphne refuses frames over 1 MiB).
FRAME_BYTES = CHUNK_BYTES
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
        self.subscription: ViewSubscription | None = None
        if "view" in query:
            try:
                self.subscription = ViewSubscription.from_message({k: v[-1] for k, v in query.items()})
            except ValueError:
                self.subscription = ViewSubscription()
            self.framed = True
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
        if self.subscription is not None:
            await self._connect_view()
            return
        # Subscribe before reading the snapshot, so nothing falls between the two;
        # messages the snapshot already covers are skipped by seq.
        self.runtime.fanout.subscribe(self)
        try:
            out = await self._snapshot_texts()
        except StoreUnavailable as error:
            await self._give_up(error)
            return
        if not self.runtime.hub_live:
            out.append(self._status_text(False, self.runtime.stale_since))
        await self._write(out)
        self.sender = asyncio.create_task(self._drain())

    async def _connect_view(self) -> None:
        self.mirror = mirror_of(self.runtime)
        self.mirror.listeners.add(self)
        self.mirror.start()
        await self.mirror.ready.wait()
        out = [self._view_text()]
        if not self.runtime.hub_live:
            out.append(self._status_text(False, self.runtime.stale_since))
        await self._write([text for text in out if text])
        self.sender = asyncio.create_task(self._drain())

    async def disconnect(self, code: int) -> None:
        runtime = getattr(self, "runtime", None)
        if runtime is not None:
            runtime.fanout.unsubscribe(self)
        mirror = getattr(self, "mirror", None)
        if mirror is not None:
            mirror.listeners.discard(self)
        if getattr(self, "sender", None) is not None:
            self.sender.cancel()  # type: ignore[union-attr]

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # The API stream is one-way: a client's words (junk and oversized ones included) change nothing.
        # A page's socket takes one kind of word, `subscribe`; anything else is answered, never obeyed.
        if self.subscription is None:
            return
        try:
            message = json.loads(text_data or "")
            if not isinstance(message, dict) or message.get("type") != "subscribe":
                raise ValueError('the page\'s socket takes only {"type": "subscribe", ...} messages')
            subscription = ViewSubscription.from_message(message)
        except ValueError as error:
            reply = {"type": "error", "seq": self.seq, "message": str(error)[:200]}
            await self.send(text_data=json.dumps([reply], separators=(",", ":")))
            return
        self.subscription = subscription
        self.wake.set()

    # -- called by the view mirror, synchronously ----------------------------------------

    def mirror_moved(self) -> None:
        self.wake.set()

    def mirror_entries(self, entries: list[dict[str, Any]]) -> None:
        if self.subscription is not None:
            self.subscription.add_entries(entries)

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
        if resync and self.subscription is not None:
            self.subscription.resync()  # the mirror reads the snapshot again; the page gets the whole model
        elif resync:
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
        if self.subscription is not None:
            status, self.status_due = self.status_due, None
            texts = [self._view_text()]
            if status is not None:
                texts.append(self._status_text(status["live"], status["since"]))
            if any(texts):
                await self._write([text for text in texts if text])
            # A costly model is planned again only after a pause (viewstream.PLAN_DUTY): come back then.
            due = self.mirror.due_in(self.subscription.view, self.subscription.namespace)
            if due > 0:
                asyncio.get_running_loop().call_later(due, self.wake.set)
            return
        frames, self.pending = self.pending, []
        resync, self.needs_resync = self.needs_resync, False
        status, self.status_due = self.status_due, None
        if self.framed and len(frames) > max(MAX_FRAME, self.snapshot_size):
            resync = True
        out: list[str] = []
        if resync:
            out.extend(await self._snapshot_texts())
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
        if not self.framed:
            for text in texts:
                await self.send(text_data=text)
            return
        frame: list[str] = []
        size = 0
        for text in texts:
            if frame and size + len(text) > FRAME_BYTES:
                await self.send(text_data="[" + ",".join(frame) + "]")
                frame, size = [], 0
            frame.append(text)
            size += len(text) + 1
        await self.send(text_data="[" + ",".join(frame) + "]")

    async def _snapshot_texts(self) -> list[str]:
        seq, state = await self.runtime.snapshot()
        self.seq = seq
        self.snapshot_size = len(state)
        # Serialising 150000 components takes a while: off the event loop, from a consistent copy.
        return await asyncio.to_thread(snapshot_chunks, state.copy(), seq)

    def _view_text(self) -> str:
        assert self.subscription is not None
        message = self.subscription.next_message(self.mirror)
        if message is None:
            return ""
        self.seq = message["seq"]
        return json.dumps(message, separators=(",", ":"))

    def _status_text(self, live: bool, since: str | None) -> str:
        # Not a change: it repeats the seq of the last message sent (README, changelog 0.2.0).
        message = {"type": "status", "seq": self.seq, "hub": "live" if live else "stale", "since": since}
        return json.dumps(message, separators=(",", ":"))

    async def _give_up(self, error: StoreUnavailable) -> None:
        log.warning("closing a live socket: %s", error)
        self.runtime.fanout.unsubscribe(self)
        await self.close(code=TRY_AGAIN_LATER, reason="the cluster snapshot is unavailable; try again later")
