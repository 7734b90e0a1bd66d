import asyncio

import pytest
from channels.testing import WebsocketCommunicator

from explorer.asgi import application
from explorer.live.runtime import get_runtime

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
    await first.receive_json_from(timeout=5)
    runtime = await get_runtime()
    await runtime.command({"action": "pause"})
    second = WebsocketCommunicator(application, "/ws/events/")
    await second.connect()
    snapshot = await second.receive_json_from(timeout=5)
    # drain what the first saw before the second joined
    while True:
        message = await first.receive_json_from(timeout=5)
        if message["seq"] == snapshot["seq"]:
            break
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
