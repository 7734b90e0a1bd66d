import asyncio
import json
import math

import pytest
from channels.testing import WebsocketCommunicator

from explorer.asgi import application
from explorer.live import consumers
from explorer.live.runtime import get_runtime
from explorer.model import ChangeType, ComponentChange, Event, Health

T = "2026-01-01T09:00:00.000Z"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def receive_messages(communicator, count):
    return [await communicator.receive_json_from(timeout=10) for _ in range(count)]


async def test_a_client_gets_the_snapshot_then_every_change_in_seq_order():
    communicator = WebsocketCommunicator(application, "/ws/events/")
    connected, _ = await communicator.connect()
    assert connected
    snapshot = await communicator.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    assert {"seq", "components", "edges"} <= snapshot.keys()
    assert any(c["id"] == "node/worker-1" for c in snapshot["components"])
    changes = await receive_messages(communicator, 25)
    assert [m["seq"] for m in changes] == list(range(snapshot["seq"] + 1, snapshot["seq"] + 26))
    assert {m["type"] for m in changes} <= {"added", "updated", "removed", "event"}
    await communicator.disconnect()


async def test_two_clients_see_the_same_sequence():
    first = WebsocketCommunicator(application, "/ws/events/")
    await first.connect()
    last = (await first.receive_json_from(timeout=5))["seq"]
    runtime = await get_runtime()
    await runtime.command({"action": "pause"})
    second = WebsocketCommunicator(application, "/ws/events/")
    await second.connect()
    snapshot = await second.receive_json_from(timeout=5)
    # drain what the first saw before the second joined (nothing, if nothing happened)
    while last < snapshot["seq"]:
        last = (await first.receive_json_from(timeout=5))["seq"]
    await runtime.command({"action": "node-down", "node": "worker-1"})
    await runtime.command({"action": "resume"})
    seen_first = await receive_messages(first, 10)
    seen_second = await receive_messages(second, 10)
    assert seen_first == seen_second
    assert seen_first[0]["seq"] == snapshot["seq"] + 1
    await first.disconnect()
    await second.disconnect()


@pytest.mark.parametrize("junk", ["not json", '{"type": "snapshot"}', "x" * 100_000])
async def test_junk_from_a_client_is_ignored_and_the_stream_goes_on(junk):
    communicator = WebsocketCommunicator(application, "/ws/events/")
    await communicator.connect()
    snapshot = await communicator.receive_json_from(timeout=5)
    await communicator.send_to(text_data=junk)
    await communicator.send_to(bytes_data=b"\x00\xff")
    following = await receive_messages(communicator, 3)
    assert [m["seq"] for m in following] == [snapshot["seq"] + 1, snapshot["seq"] + 2, snapshot["seq"] + 3]
    await communicator.disconnect()


async def test_a_foreign_page_cannot_open_the_socket():
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=[(b"origin", b"http://evil.example")])
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_client_that_falls_behind_is_resynced_from_a_snapshot():
    communicator = WebsocketCommunicator(application, "/ws/events/")
    await communicator.connect()
    snapshot = await communicator.receive_json_from(timeout=5)
    runtime = await get_runtime()
    # A gap: a batch that skips a seq, as a lost layer message would look.
    runtime.fanout.publish_local(
        [{"type": "event", "seq": snapshot["seq"] + 50, "time": "t", "reason": "r", "message": "m", "involved": "x"}]
    )
    for _ in range(50):
        message = await communicator.receive_json_from(timeout=5)
        if message["type"] == "snapshot":
            break
    else:
        pytest.fail("no resync snapshot after a gap")
    await asyncio.sleep(0)
    await communicator.disconnect()


async def paused_with_pods(runtime):
    """Let the simulation (at 100x) schedule its pods, then hold it still."""
    for _ in range(200):
        if any(c.kind == "pod" for c in runtime.hub.state.components.values()):
            break
        await asyncio.sleep(0.05)
    await runtime.command({"action": "pause"})


def pod_changes(state, count):
    """`count` pod status flips, cycling over the cluster's pods, as a busy real cluster would send."""
    pods = [c for c in state.components.values() if c.kind == "pod"]
    assert pods, "the scenario has pods"
    changes = []
    for i in range(count):
        pod = pods[i % len(pods)]
        status, health = ("Running", Health.OK) if (i // len(pods)) % 2 else ("CrashLoopBackOff", Health.ERROR)
        changes.append(ComponentChange(ChangeType.UPDATED, pod.with_(status=status, health=health), T))
    return changes


def replay(components, messages):
    """What a client that follows the contract holds after `messages`."""
    for message in messages:
        if message["type"] == "snapshot":
            components = {c["id"]: c for c in message["components"]}
        elif message["type"] in {"added", "updated"}:
            components[message["component"]["id"]] = message["component"]
        elif message["type"] == "removed":
            components.pop(message["component"]["id"], None)
    return components


async def test_a_burst_reaches_a_framed_client_in_few_frames_and_ends_in_the_hubs_state():
    runtime = await get_runtime()
    await paused_with_pods(runtime)
    communicator = WebsocketCommunicator(application, "/ws/events/?frames=1")
    assert (await communicator.connect())[0]
    first = await communicator.receive_json_from(timeout=5)
    assert isinstance(first, list)
    assert first[0]["type"] == "snapshot"
    components = replay({}, first)
    seq = first[0]["seq"]

    # 10000 pod changes in 100 batches, about a second's worth (longer on a busy machine).
    loop = asyncio.get_running_loop()
    started = loop.time()
    for batch in range(100):
        await runtime.hub.handle(pod_changes(runtime.hub.state, 100)[batch % 7 :][:100])
        await asyncio.sleep(0.01)
    frames = sent = 0
    while seq < runtime.hub.seq:
        text = await communicator.receive_from(timeout=10)
        frame = json.loads(text)
        frames += 1
        sent += len(text.encode())
        assert len(text.encode()) <= consumers.FRAME_BYTES
        assert isinstance(frame, list)
        for message in frame:
            assert message["type"] == "snapshot" or message["seq"] == seq + 1
            seq = message["seq"]
        components = replay(components, frame)
    # Written at most every FRAME_INTERVAL (after a burst of BURST), the hundred batches arrive coalesced;
    # a write bigger than FRAME_BYTES goes as several frames. Counted against the time the burst took,
    # so a slow machine's longer burst is no failure.
    writes = consumers.BURST + (loop.time() - started) / consumers.FRAME_INTERVAL + 1
    assert frames <= writes + math.ceil(sent / consumers.FRAME_BYTES)
    assert frames < 100
    expected = {c.id: c.to_dict() for c in runtime.hub.state.components.values()}
    assert components == expected
    await communicator.disconnect()


async def test_a_burst_bigger_than_the_cluster_reaches_a_framed_client_as_one_snapshot():
    runtime = await get_runtime()
    await paused_with_pods(runtime)
    communicator = WebsocketCommunicator(application, "/ws/events/?frames=1")
    await communicator.connect()
    await communicator.receive_json_from(timeout=5)
    await runtime.hub.handle(pod_changes(runtime.hub.state, 10000))
    frame = await communicator.receive_json_from(timeout=10)
    assert [m["type"] for m in frame] == ["snapshot"]
    assert frame[0]["seq"] == runtime.hub.seq
    assert replay({}, frame) == {c.id: c.to_dict() for c in runtime.hub.state.components.values()}
    await communicator.disconnect()


async def test_a_plain_client_whose_backlog_overflows_gets_a_snapshot_instead():
    runtime = await get_runtime()
    await runtime.command({"action": "pause"})
    communicator = WebsocketCommunicator(application, "/ws/events/")
    await communicator.connect()
    snapshot = await communicator.receive_json_from(timeout=5)
    await runtime.hub.handle(
        [Event("Flood", f"event {i}", "node/worker-1", T) for i in range(consumers.MAX_BACKLOG + 1)]
    )
    following = await communicator.receive_json_from(timeout=10)
    assert following["type"] == "snapshot"
    assert following["seq"] == snapshot["seq"] + consumers.MAX_BACKLOG + 1
    await runtime.command({"action": "node-down", "node": "worker-1"})
    after = await communicator.receive_json_from(timeout=10)
    assert after["seq"] == following["seq"] + 1
    await communicator.disconnect()


async def test_clients_are_told_when_the_hub_goes_stale_and_resynced_when_it_returns():
    runtime = await get_runtime()
    await runtime.command({"action": "pause"})
    communicator = WebsocketCommunicator(application, "/ws/events/")
    await communicator.connect()
    snapshot = await communicator.receive_json_from(timeout=5)
    runtime.fanout.hub_changed(False, "2026-11-27T05:00:00Z", resync=False)
    stale = await communicator.receive_json_from(timeout=5)
    assert stale == {"type": "status", "seq": snapshot["seq"], "hub": "stale", "since": "2026-11-27T05:00:00Z"}
    runtime.fanout.hub_changed(True, None, resync=True)
    again = await communicator.receive_json_from(timeout=5)
    assert again["type"] == "snapshot"
    live = await communicator.receive_json_from(timeout=5)
    assert live == {"type": "status", "seq": again["seq"], "hub": "live", "since": None}
    await communicator.disconnect()


async def test_a_page_of_an_allowed_host_may_open_the_socket():
    headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.receive_json_from(timeout=5)
    await communicator.disconnect()
