import asyncio
import json

from explorer.hub import Hub, MemoryStateStore
from explorer.model import ChangeType, ClusterState, Component, ComponentChange, Event, Health
from explorer.model.limits import TEXT_LIMIT
from explorer.sources.base import Source
from explorer.sources.simulated.source import SimulatedSource

T = "2026-01-01T09:00:00.000Z"


class ListSource(Source):
    kind = "test"

    def __init__(self, batches):
        self.batches = batches

    async def start(self):
        return ClusterState([Component("node/a", "node", "a", "Ready", Health.OK)], cluster="t", source="test")

    async def changes(self):
        for batch in self.batches:
            yield batch


async def test_the_hub_numbers_every_message_and_keeps_the_snapshot():
    published = []

    async def publish(messages):
        published.append(messages)

    down = Component("node/a", "node", "a", "NotReady", Health.ERROR)
    batches = [
        [ComponentChange(ChangeType.UPDATED, down, T), Event("NodeNotReady", "gone", "node/a", T)],
        [],
        [ComponentChange(ChangeType.ADDED, Component("node/b", "node", "b", "Ready", Health.OK), T)],
    ]
    store = MemoryStateStore()
    hub = Hub(ListSource(batches), store, publish)
    await hub.run()
    assert [[m["seq"] for m in batch] for batch in published] == [[1, 2], [3]]
    seq, state = await store.load()
    assert seq == 3
    assert state.get("node/a").health is Health.ERROR
    assert state.get("node/b") is not None


async def test_the_hub_keeps_stores_and_publishes_only_text_within_the_caps():
    published = []

    async def publish(messages):
        published.extend(messages)

    megabyte = "x" * 1_000_000
    flood = [Event("Flood", megabyte, f"pod/default/p{n}", T) for n in range(150)]
    big = Component("node/a", "node", "a", megabyte, Health.ERROR, detail={"why": megabyte})
    store = MemoryStateStore()
    hub = Hub(ListSource([[ComponentChange(ChangeType.UPDATED, big, T)], flood]), store, publish)
    await hub.run()
    _, state = await store.load()
    assert len(state.get("node/a").status) == len(state.get("node/a").detail["why"]) == TEXT_LIMIT
    assert max(len(json.dumps(m)) for m in published) < 3 * TEXT_LIMIT
    assert hub.recent_events.bytes < 150 * 3 * TEXT_LIMIT  # two bytes a character: the ellipsis is not Latin-1
    assert len(hub.recent_events.of("pod/default/p0")[0]["message"]) == TEXT_LIMIT


async def test_a_command_is_answered_only_once_the_changes_it_made_are_stored():
    # A simulation catches its engine up before it pauses; the answer to "pause" must not
    # reach the visitor before those changes are in the store the pages read.
    clock = [0.0]
    source = SimulatedSource(scenario="node-failure", speed=50.0, monotonic=lambda: clock[0])
    store = MemoryStateStore()

    async def publish(messages):
        await asyncio.sleep(0.01)  # a slow layer: the hub takes its time over each batch

    hub = Hub(source, store, publish)
    await hub.start()
    forwarding = asyncio.create_task(hub.forward())
    try:
        clock[0] = 10.0  # five hundred simulated seconds are due: the node dies, pods move
        await source.command({"action": "pause"})
        await hub.settle()
        seq, _ = await store.load()
        assert seq == hub.seq > 0
        await asyncio.sleep(0.2)
        assert (await store.load())[0] == seq  # nothing was still on its way
    finally:
        forwarding.cancel()
        await source.close()
