"""The hub loop."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from explorer.hub.recent import RecentEvents
from explorer.hub.store import StoreUnavailable
from explorer.model import ClusterState
from explorer.model.changes import Event, apply_in_place, cap_change, cap_state
from explorer.sources.base import Source

__all__ = ["Hub", "Publisher"]

log = logging.getLogger(__name__)

# Receives each batch of wire messages, already numbered.
Publisher = Callable[[list[dict[str, Any]]], Awaitable[None]]


class Hub:
    """Applies a source's changes to its own state and numbers them: `seq` rises by one per message."""

    def __init__(self, source: Source, store: Any, publish: Publisher):
        self.source = source
        self.store = store
        self.publish = publish
        self.seq = 0
        self.state = ClusterState()
        self.recent_events = RecentEvents()
        self.store_error = ""

    async def start(self) -> None:
        # A restarted hub numbers on past the stored snapshot, so no client mistakes
        # the new story for the old one at the same seq.
        previous = await self.store.last_seq()
        self.seq = 0 if previous is None else previous + 1
        # Whatever text the source hands in, the hub keeps, stores and shows only what fits the
        # model's caps (explorer.model.limits): each component here, each change in `handle`.
        self.state = cap_state(await self.source.start())
        await self.store.save(self.seq, self.state)

    async def run(self) -> None:
        """Start the source, then forward its batches until it ends or the task is cancelled."""
        await self.start()
        await self.forward()

    async def forward(self) -> None:
        async for batch in self.source.changes():
            await self.handle(batch)

    async def handle(self, batch: list[Any]) -> None:
        messages = []
        batch = [cap_change(change) for change in batch]
        for change in batch:
            apply_in_place(self.state, change)
            self.seq += 1
            messages.append(change.to_message(self.seq))
            if isinstance(change, Event):
                self.recent_events.add(messages[-1])
        if messages:
            try:
                await self.store.apply(self.seq, self.state, batch)
                if self.store_error:
                    log.warning("the state store is back")
                    self.store_error = ""
            except StoreUnavailable as error:
                # The store saves everything again once it is back; the changes go out meanwhile.
                if not self.store_error:
                    log.error("%s", error)
                self.store_error = str(error)
            await self.publish(messages)
