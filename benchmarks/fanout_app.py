"""The ASGI application `benchmarks/fanout.py` serves: the explorer, a baseline consumer, and a driver.

- `/ws/events/`: the explorer's own consumer (one subscription per process).
- `/bench/plain/`: the baseline, a plain Channels consumer per socket that
  joins a group, so every message costs one channel-layer message per socket.
- `/bench/drive?kind=ours|plain&count=N&rate=R` (HTTP): with the in-memory
  layer the hub must live in this process, so the driver runs here: `ours`
  feeds the embedded hub (which numbers, stores and publishes as always),
  `plain` does the baseline's group_send.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "explorer.settings")

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from django.urls import path

from explorer.asgi import application as explorer_application
from explorer.live.runtime import get_runtime
from explorer.model import Event

PLAIN_GROUP = "bench.plain"
_tasks: set[asyncio.Task[None]] = set()


def bench_event(i: int) -> Event:
    """A Kubernetes-style event whose message is the wall-clock time it left the hub."""
    now = time.time()
    stamp = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return Event("Bench", repr(now), "node/worker-1", stamp)


class PlainGroupConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(PLAIN_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(PLAIN_GROUP, self.channel_name)

    async def bench_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])


async def drive(kind: str, count: int, rate: float) -> None:
    layer = get_channel_layer()
    runtime = await get_runtime()
    for i in range(count):
        if kind == "ours":
            await runtime.hub.handle([bench_event(i)])
        else:
            text = json.dumps(bench_event(i).to_message(i + 1), separators=(",", ":"))
            await layer.group_send(PLAIN_GROUP, {"type": "bench.message", "text": text})
        await asyncio.sleep(1 / rate)


async def http(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["path"] != "/bench/drive":
        await explorer_application(scope, receive, send)
        return
    query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
    runtime = await get_runtime()
    await runtime.command({"action": "pause"})  # only the driver's messages, at the driver's rate
    task = asyncio.create_task(drive(query["kind"], int(query["count"]), float(query["rate"])))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    await send({"type": "http.response.start", "status": 202, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"driving\n"})


plain_router = URLRouter([path("bench/plain/", PlainGroupConsumer.as_asgi())])


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        await http(scope, receive, send)
    elif scope["type"] == "websocket" and scope["path"] == "/bench/plain/":
        await plain_router(scope, receive, send)
    else:
        await explorer_application(scope, receive, send)
