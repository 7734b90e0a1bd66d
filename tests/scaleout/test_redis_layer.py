"""The explorer's Redis channel layer against a real redis-server."""

from __future__ import annotations

import asyncio

from explorer.live.redis_layer import RedisChannelLayer


async def test_the_first_call_after_redis_restarts_succeeds(redis_server):
    layer = RedisChannelLayer(hosts=[{"address": redis_server.url, "socket_timeout": 10}])
    channel = await layer.new_channel()
    # Ten pooled connections, all closed by the restart.
    await asyncio.gather(*(layer.send(channel, {"type": "before"}) for _ in range(10)))
    redis_server.stop()
    redis_server.start()  # empty: no persistence
    await layer.send(channel, {"type": "after"})
    assert (await asyncio.wait_for(layer.receive(channel), 5))["type"] == "after"
    await layer.flush()


async def test_a_burst_past_the_pool_size_waits_instead_of_failing(redis_server):
    layer = RedisChannelLayer(hosts=[{"address": redis_server.url, "socket_timeout": 10}])
    channels = [await layer.new_channel() for _ in range(300)]
    await asyncio.gather(*(layer.group_add("class", name) for name in channels))
    await layer.group_send("class", {"type": "hello"})
    received = await asyncio.gather(*(asyncio.wait_for(layer.receive(name), 10) for name in channels))
    assert {m["type"] for m in received} == {"hello"}
    await layer.flush()
