"""The scaled-out state store against a real redis-server: what a web worker reads is what the hub holds."""

from __future__ import annotations

from explorer.hub.redis_store import RedisStateStore
from explorer.model import ChangeType, ClusterState, Component, ComponentChange, Health

T0, T1 = "2026-01-01T09:00:00.000Z", "2026-01-01T09:01:40.000Z"


async def test_when_each_component_turned_its_health_survives_the_store(redis_server):
    # The problems list says since when, and a page says "as of" when: a worker reads both from Redis.
    store = RedisStateStore(redis_server.url, prefix="t")
    state = ClusterState(cluster="c", source="sim")
    state.put(Component("node/a", "node", "a", "Ready", Health.OK), T0)
    state.put(Component("node/b", "node", "b", "Ready", Health.OK), T0)
    await store.save(1, state)
    down = ComponentChange(ChangeType.UPDATED, Component("node/a", "node", "a", "NotReady", Health.ERROR), T1)
    gone = ComponentChange(ChangeType.REMOVED, state.components["node/b"], T1)
    state.put(down.component, T1)
    state.remove("node/b")
    await store.apply(3, state, [down, gone])
    loaded = await RedisStateStore(redis_server.url, prefix="t").load()
    assert loaded is not None
    seq, read = loaded
    assert seq == 3
    assert read.health_since == {"node/a": T1}
    await store.close()
