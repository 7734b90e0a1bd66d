"""The hub process's service, on the in-memory channel layer."""

from __future__ import annotations

import asyncio
import contextlib
import time

from channels.layers import InMemoryChannelLayer

from explorer.hub import MemoryStateStore
from explorer.live.protocol import COMMAND_CHANNEL, command_request
from explorer.live.service import HubService
from explorer.sources.simulated import SimulatedSource


def request(request_id: str, reply_to: str, payload: dict) -> dict:
    return command_request("command", payload, reply_to, request_id, time.time() + 5)


async def test_a_command_the_layer_delivers_twice_runs_once():
    layer = InMemoryChannelLayer()
    source = SimulatedSource("steady-state", seed=1)
    service = HubService(source, MemoryStateStore(), layer)
    stop = asyncio.Event()
    running = asyncio.create_task(service.run(stop))
    try:
        reply_to = await layer.new_channel()
        # A retried send after a connection died once Redis had already stored the request.
        await layer.send(COMMAND_CHANNEL, request("a", reply_to, {"action": "step"}))
        await layer.send(COMMAND_CHANNEL, request("a", reply_to, {"action": "step"}))
        await layer.send(COMMAND_CHANNEL, request("b", reply_to, {"action": "speed", "value": 4}))
        replies = [await asyncio.wait_for(layer.receive(reply_to), 5) for _ in range(2)]
        assert [r["request"] for r in replies] == ["a", "b"]
        assert replies[1]["status"]["speed"] == 4
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await source.close()
