"""The hub as a process of its own (scale-out): publishes, beats, and serves web workers' commands.

`manage.py runexplorer` wraps this. The hub's loop must outlive a Redis
restart: publishing and heart-beating log the outage once and go on, and the
state store saves the whole snapshot again when Redis is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from explorer.hub import Hub, StateStore, StoreUnavailable
from explorer.live.protocol import (
    COMMAND_CHANNEL,
    GROUP,
    HEARTBEAT_INTERVAL,
    batch_message,
    command_payload,
    heartbeat_message,
    reply_message,
)
from explorer.sources.base import CommandError, Contexts, Source, SourceError

__all__ = ["HubService"]

log = logging.getLogger(__name__)

ANSWERED_REMEMBERED = 1024


class HubService:
    def __init__(
        self,
        source: Source,
        store: StateStore,
        layer: Any,
        also: Callable[[list[dict[str, Any]]], None] | None = None,
        source_for_context: Callable[[str], Source] | None = None,
    ):
        self.layer = layer
        self.store = store
        self.also = also
        self.source_for_context = source_for_context
        self.hub = Hub(source, store, self._publish)
        self.contexts: Contexts | None = None
        self.run_id = uuid.uuid4().hex[:12]
        self.layer_error = ""
        # Request ids answered lately: a request the layer delivered twice runs once.
        self._answered: OrderedDict[str, None] = OrderedDict()

    async def run(self, stop: asyncio.Event, on_started: Callable[[], None] | None = None) -> None:
        """Until `stop` is set or the source ends; a source's failure propagates."""
        # Beating while the source reads its first picture: web workers show how far it got.
        loading = asyncio.create_task(self._beat_while_loading(), name="hub-loading")
        try:
            await self.hub.start()
        finally:
            loading.cancel()
            await asyncio.gather(loading, return_exceptions=True)
        self.contexts = await asyncio.to_thread(self.hub.source.contexts)
        if on_started is not None:
            on_started()
        tasks = {
            asyncio.create_task(self.hub.forward(), name="hub-forward"),
            asyncio.create_task(self._beat(), name="hub-heartbeat"),
            asyncio.create_task(self._serve_commands(), name="hub-commands"),
            asyncio.create_task(stop.wait(), name="hub-stop"),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            # Bounded: a stop must not wait on a layer call that ignores its cancellation.
            await asyncio.wait(tasks, timeout=2)

    def _layer_failed(self, error: Exception) -> None:
        if not self.layer_error:
            log.error("the channel layer is unreachable (%s); the hub goes on and retries", error)
        self.layer_error = str(error) or type(error).__name__

    def _layer_ok(self) -> None:
        if self.layer_error:
            log.warning("the channel layer is back")
            self.layer_error = ""

    async def _publish(self, messages: list[dict[str, Any]]) -> None:
        if self.also is not None:
            self.also(messages)
        try:
            await self.layer.group_send(GROUP, batch_message(messages))
            self._layer_ok()
        except Exception as error:  # lost messages show as a gap; clients resync from the snapshot
            self._layer_failed(error)

    def heartbeat(self) -> dict[str, Any]:
        return heartbeat_message(
            self.run_id,
            self.hub.seq,
            self.hub.source.status(),
            self.hub.store_error or "",
            self.contexts,
            self.hub.source.loading(),
        )

    async def _beat_while_loading(self) -> None:
        # Only once the source says it is reading lists: a quick start beats as it always did, after.
        while True:
            await asyncio.sleep(HEARTBEAT_INTERVAL)
            if self.hub.source.loading() is not None:
                await self._send_heartbeat()

    async def _send_heartbeat(self) -> None:
        try:
            await self.layer.group_send(GROUP, self.heartbeat())
            self._layer_ok()
        except Exception as error:
            self._layer_failed(error)

    async def _beat(self) -> None:
        repair = getattr(self.store, "repair", None)
        while True:
            if repair is not None:
                try:
                    if await repair(lambda: (self.hub.seq, self.hub.state)):
                        await self.hub.save_all_events()
                    self.hub.store_error = ""
                except StoreUnavailable as error:
                    self.hub.store_error = str(error)
            await self._send_heartbeat()
            await asyncio.sleep(HEARTBEAT_INTERVAL)

    async def _serve_commands(self) -> None:
        delay = 0.25
        while True:
            try:
                request = await self.layer.receive(COMMAND_CHANNEL)
                delay = 0.25
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._layer_failed(error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            await self._answer(request)

    async def _answer(self, request: dict[str, Any]) -> None:
        reply_to = request.get("reply_to")
        deadline = request.get("deadline")
        if not isinstance(reply_to, str) or not isinstance(deadline, int | float) or deadline < time.time():
            return  # malformed, or its sender has already given up and told the person
        request_id = str(request.get("request"))
        if request_id in self._answered:
            return
        self._answered[request_id] = None
        while len(self._answered) > ANSWERED_REMEMBERED:
            self._answered.popitem(last=False)
        payload = command_payload(request)
        if payload is None:
            reply = reply_message(request_id, error='a command must be a JSON object such as {"action": "pause"}')
        elif request.get("op") == "switch-context":
            reply = await self._switch_context(request_id, payload.get("context"))
        else:
            try:
                status = await self.hub.source.command(payload)
                await self.hub.settle()
                reply = reply_message(request_id, status=status)
            except CommandError as error:
                reply = reply_message(request_id, error=str(error))
        try:
            await self.layer.send(reply_to, reply)
        except Exception as error:
            self._layer_failed(error)
        # Every worker learns the new status now, not at the next beat.
        await self._send_heartbeat()

    async def _switch_context(self, request_id: str, context: Any) -> dict[str, Any]:
        if self.source_for_context is None or self.contexts is None:
            return reply_message(request_id, error="this hub's source reads no kubeconfig, so it has no contexts")
        if not isinstance(context, str) or context not in self.contexts.names:
            known = ", ".join(self.contexts.names) or "none"
            return reply_message(request_id, error=f"no context {context!r} in the kubeconfig; its contexts: {known}")
        try:
            await self.hub.replace_source(self.source_for_context(context))
        except SourceError as error:
            return reply_message(request_id, error=str(error), source_failed=True)
        self.contexts = Contexts(self.contexts.names, context)
        return reply_message(request_id, status=self.hub.source.status())
