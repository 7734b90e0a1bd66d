"""Every web test runs twice: against the embedded runtime, and scaled out (real Redis, a hub process)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis
from channels.layers import channel_layers

from explorer.live.runtime import reset_runtime
from tests.scaleout.conftest import HubProcess, RedisServer


@pytest.fixture(scope="session")
def web_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(params=["embedded", "scaled-out"])
async def fresh_runtime(request: pytest.FixtureRequest, settings) -> AsyncIterator[str]:
    """A fresh runtime of each kind, bound to the test's own event loop; yields the kind."""
    settings.EXPLORER_SPEED = 100.0
    hub = None
    if request.param == "scaled-out":
        server: RedisServer = request.getfixturevalue("web_redis")
        redis.Redis.from_url(server.url).flushall()
        hub = HubProcess(server.url, "--speed", "100")
        settings.REDIS_URL = server.url
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "explorer.live.redis_layer.RedisChannelLayer",
                "CONFIG": {"hosts": [{"address": server.url, "socket_timeout": 10}], "capacity": 1000, "expiry": 30},
            }
        }
    await reset_runtime()
    channel_layers.backends.clear()
    yield request.param
    await reset_runtime()
    channel_layers.backends.clear()
    if hub is not None:
        hub.stop()
