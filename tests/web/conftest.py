"""Every web test runs twice: against the embedded runtime, and scaled out (real Redis, a hub process).

Scaled out, the hub process starts when the test first needs the runtime, with
the explorer's settings as the test left them (source, recording, speed), so a
test that sets them up sees the same cluster either way.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
from channels.layers import channel_layers
from django.conf import settings as django_settings

from explorer.live import runtime as runtime_module
from explorer.live.runtime import Runtime, reset_runtime
from tests.hub_forks import ForkedHub, HubForkServer
from tests.scaleout.conftest import RedisServer

# What the hub process reads from its environment, handed on from the test's settings.
HUB_SETTINGS = (
    "EXPLORER_SOURCE",
    "EXPLORER_SCENARIO",
    "EXPLORER_SEED",
    "EXPLORER_SPEED",
    "EXPLORER_NODES",
    "EXPLORER_CONTEXT",
    "EXPLORER_REPLAY_FILE",
    "EXPLORER_REPLAY_AUTOPLAY",
    "EXPLORER_REPLAY_LOOP",
    "KUBECONFIG",
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "fresh_runtime" in metafunc.fixturenames:
        embedded_only = metafunc.definition.get_closest_marker("embedded_only") is not None
        kinds = ["embedded"] if embedded_only else ["embedded", "scaled-out"]
        metafunc.parametrize("fresh_runtime", kinds, indirect=True)


@pytest.fixture(scope="session")
def web_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def hub_forks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubForkServer]:
    server = HubForkServer(tmp_path_factory.mktemp("hubs"))
    yield server
    server.stop()


def _hub_environment() -> dict[str, str]:
    env = {}
    for name in HUB_SETTINGS:
        value = getattr(django_settings, name)
        env[name] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return env


@pytest.fixture
async def fresh_runtime(request: pytest.FixtureRequest, settings, monkeypatch) -> AsyncIterator[str]:
    """A fresh runtime of each kind, bound to the test's own event loop; yields the kind."""
    settings.EXPLORER_SPEED = 100.0
    hubs: list[ForkedHub] = []
    if request.param == "scaled-out":
        server: RedisServer = request.getfixturevalue("web_redis")
        forks: HubForkServer = request.getfixturevalue("hub_forks")
        redis.Redis.from_url(server.url).flushall()
        settings.REDIS_URL = server.url
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "explorer.live.redis_layer.RedisChannelLayer",
                "CONFIG": {"hosts": [{"address": server.url, "socket_timeout": 10}], "capacity": 1000, "expiry": 30},
            }
        }
        start_workers_runtime = runtime_module._start_new

        async def start_with_a_hub() -> Runtime:
            env = {**_hub_environment(), "REDIS_URL": server.url}
            hubs.append(await asyncio.to_thread(forks.start, env))
            return await start_workers_runtime()

        monkeypatch.setattr(runtime_module, "_start_new", start_with_a_hub)
    await reset_runtime()
    channel_layers.backends.clear()
    yield request.param
    await reset_runtime()
    await _close_layers()
    for hub in hubs:
        hub.stop()


async def _close_layers() -> None:
    """Close the Redis layer's connections, so no consumer's receive outlives the test's event loop."""
    for layer in list(channel_layers.backends.values()):
        close = getattr(layer, "close_pools", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(close(), 5)
    channel_layers.backends.clear()
