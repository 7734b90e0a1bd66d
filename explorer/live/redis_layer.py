"""channels_redis's layer with a connection pool that makes a burst wait its turn, and survives a restart.

redis-py (from 6 on) caps a pool at 100 connections and fails the next request
at once ("Too many connections"). A class of two hundred opening the follow page
together makes two hundred `group_add` calls at the same moment; with the stock
pool half of them crash their consumer. A blocking pool queues them instead:
each call holds a connection for a millisecond, so the queue drains at once.

After Redis restarts, the first call on each pooled connection finds it closed;
without a retry that call fails (a teacher's click answered "unreachable" though
Redis is back). Such a call never reached Redis, so it is retried on a fresh
connection. Should a connection die after Redis did act, the repeat is harmless:
a change whose seq was seen is skipped, a heartbeat is a heartbeat, and the hub
answers each command request id once.
"""

from __future__ import annotations

from typing import Any

from channels_redis.core import RedisChannelLayer as StockRedisChannelLayer
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

__all__ = ["POOL_SIZE", "POOL_WAIT", "RedisChannelLayer"]

# Connections per process: the receive loop holds one for its blocking pop, the rest
# serve group_add/send/group_send, each for a single round trip.
POOL_SIZE = 64
# Seconds a call waits for a free connection before it fails with a clear error.
POOL_WAIT = 10.0


class RedisChannelLayer(StockRedisChannelLayer):
    def create_pool(self, index: int) -> Any:
        host = dict(self.hosts[index])
        address = host.pop("address", None)
        if address is None:  # Sentinel and other set-ups keep channels_redis's own pool
            return super().create_pool(index)
        host.setdefault("max_connections", POOL_SIZE)
        host.setdefault("timeout", POOL_WAIT)
        host.setdefault("retry", Retry(ExponentialBackoff(cap=0.5, base=0.05), 2))
        host.setdefault("retry_on_error", [RedisConnectionError])
        return aioredis.BlockingConnectionPool.from_url(address, **host)
