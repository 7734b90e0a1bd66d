"""The hub loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from explorer.hub.recent import RecentEvents
from explorer.hub.store import StateStore, StoreUnavailable
from explorer.model import ClusterState, diff_states
from explorer.model.changes import Change, Event, apply_in_place, cap_change, cap_state
from explorer.model.timestamps import iso_timestamp
from explorer.sources.base import Source

__all__ = ["Hub", "Publisher"]

log = logging.getLogger(__name__)

# How long a command's answer waits at most for the hub to take in the batches made before it.
SETTLE_TIMEOUT = 2.0

# Receives each batch of wire messages, already numbered.
Publisher = Callable[[list[dict[str, Any]]], Awaitable[None]]


class Hub:
    """Applies a source's changes to its own state and numbers them: `seq` rises by one per message.

    The hub owns `seq` for as long as it lives, across a change of source
    (`replace_source`), so a client's numbering never goes back.
    """

    def __init__(self, source: Source, store: StateStore, publish: Publisher):
        self.source = source
        self.store = store
        self.publish = publish
        self.seq = 0
        self.state = ClusterState()
        self.recent_events = RecentEvents()
        self.store_error = ""
        # One batch at a time, so a source's switch and its last batches never interleave.
        self._handling = asyncio.Lock()
        self._switched = asyncio.Event()
        # Batches of the current source numbered and stored so far (see `settle`).
        self._taken = 0
        self._took = asyncio.Condition()

    async def start(self) -> None:
        # A restarted hub numbers on past the stored snapshot, so no client mistakes
        # the new story for the old one at the same seq.
        previous = await self.store.last_seq()
        self.seq = 0 if previous is None else previous + 1
        # Whatever text the source hands in, the hub keeps, stores and shows only what fits the
        # model's caps (explorer.model.limits): each component here, each change in `handle`.
        self.state = cap_state(await self.source.start())
        await self.store.save(self.seq, self.state)

    async def start_empty(self, source_kind: str) -> None:
        """Number on from the store with an empty cluster: the source could not start (yet)."""
        previous = await self.store.last_seq()
        self.seq = 0 if previous is None else previous + 1
        self.state = ClusterState(source=source_kind)
        await self.store.save(self.seq, self.state)

    async def replace_source(self, source: Source) -> None:
        """Read `source` from now on; the clients move to its cluster through ordinary numbered changes.

        The new source starts first: if it raises SourceError, the current one
        goes on untouched. A running `forward` moves to the new source by itself.
        """
        state = cap_state(await source.start())
        async with self._handling:
            old, self.source = self.source, source  # from here on the old source's batches are dropped
            self._taken = 0
            await self._handle(diff_states(self.state, state, iso_timestamp()))
            self.state.cluster, self.state.source = state.cluster, state.source
            await self._store(self.store.save(self.seq, self.state))
        self._switched.set()  # `forward` reads the new source now, after the difference went out
        await self._count_taken(0)  # a command waiting on the old source's batches answers now
        await old.close()

    async def run(self) -> None:
        """Start the source, then forward its batches until it ends or the task is cancelled."""
        await self.start()
        await self.forward()

    async def forward(self) -> None:
        """Forward the source's batches until it ends (or raises); follows `replace_source`."""
        while True:
            self._switched.clear()
            reader = asyncio.ensure_future(self._read(self.source))
            switched = asyncio.ensure_future(self._switched.wait())
            try:
                await asyncio.wait({reader, switched}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                switched.cancel()
                if not reader.done():
                    reader.cancel()
                    await asyncio.gather(reader, return_exceptions=True)
            if not self._switched.is_set():
                return reader.result()  # the source ended, or its failure propagates

    async def _read(self, source: Source) -> None:
        async for batch in source.changes():
            async with self._handling:
                if source is not self.source:
                    return
                await self._handle(batch)
                await self._count_taken()

    async def settle(self) -> None:
        """Until every batch the source has made so far is numbered, stored and published.

        A command's answer waits for this, so whoever reads the state after the
        answer sees what the command did (and what happened before it). Bounded:
        a hub that is not forwarding must still answer.
        """
        source, made = self.source, self.source.batches_made()
        if made is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SETTLE_TIMEOUT), self._took:
                await self._took.wait_for(lambda: self._taken >= made or self.source is not source)

    async def _count_taken(self, more: int = 1) -> None:
        async with self._took:
            self._taken += more
            self._took.notify_all()

    async def handle(self, batch: list[Change]) -> None:
        async with self._handling:
            await self._handle(batch)

    async def _handle(self, batch: Sequence[Change]) -> None:
        messages = []
        batch = [cap_change(change) for change in batch]
        for change in batch:
            apply_in_place(self.state, change)
            self.seq += 1
            messages.append(change.to_message(self.seq))
            if isinstance(change, Event):
                self.recent_events.add(messages[-1])
        if messages:
            await self._store(self.store.apply(self.seq, self.state, batch))
            changed = self.recent_events.drain_changed()
            if changed:
                await self._store(self.store.save_events({cid: self.recent_events.of(cid) for cid in changed}))
            await self.publish(messages)

    async def save_all_events(self) -> None:
        """Write every remembered event again (the store came back empty)."""
        await self.store.save_events({cid: self.recent_events.of(cid) for cid in self.recent_events.involved()})

    async def _store(self, write: Awaitable[None]) -> None:
        try:
            await write
            if self.store_error:
                log.warning("the state store is back")
                self.store_error = ""
        except StoreUnavailable as error:
            # The store saves everything again once it is back; the changes go out meanwhile.
            if not self.store_error:
                log.error("%s", error)
            self.store_error = str(error)
