"""The page's socket carries what the page shows: its view's model, then the changes to it (embedded and scaled out)."""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator

from explorer.asgi import application
from explorer.live.runtime import get_runtime

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def messages_until(communicator, wanted, within=20.0):
    """Every message received until one satisfies `wanted` (which is returned last)."""
    seen = []
    deadline = asyncio.get_running_loop().time() + within
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            pytest.fail(f"not received in {within} s; last: {seen[-3:]}")
        frame = await communicator.receive_json_from(timeout=left)
        assert isinstance(frame, list)
        for message in frame:
            seen.append(message)
            if wanted(message):
                return seen


async def open_view(path):
    await get_runtime()  # scaled out, its hub process takes longer to start than a handshake may
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_the_page_gets_its_views_model_and_then_only_what_changes_in_it():
    runtime = await get_runtime()
    await runtime.command({"action": "pause"})
    seq, state = await runtime.snapshot()
    communicator = await open_view("/ws/events/?view=overview")
    first = (await messages_until(communicator, lambda m: m["type"] == "view"))[-1]
    ids = {c["id"] for c in first["components"]}
    assert {"node/worker-1", "kubelet/worker-1", "apiserver/cp-1"} <= ids
    if first["seq"] == seq:  # scaled out, the hub may have sent a last change before it paused
        assert sum(first["health"].values()) == len(state.components)
    assert set(first["layers"]) == {"control-plane", "nodes", "workloads", "storage"}

    await runtime.command({"action": "resume"})
    await runtime.command({"action": "node-down", "node": "worker-1"})
    seen = await messages_until(
        communicator,
        lambda m: any(c["id"] == "node/worker-1" and c["health"] == "error" for c in m.get("components", [])),
    )
    changes = [m for m in seen if m["type"] == "view-change"]
    # Each change follows the one before, so the page can tell a gap.
    seq = first["seq"]
    for change in changes:
        assert change["from"] == seq
        seq = change["seq"]
    assert changes[-1]["health"]["error"] >= 1
    events = [e for m in changes for e in m.get("events", [])]
    assert any(e["involved"] in {"node/worker-1", "kubelet/worker-1"} for e in events)
    await communicator.disconnect()


async def test_a_new_subscription_on_the_same_socket_sends_the_other_views_model():
    communicator = await open_view("/ws/events/?view=overview")
    await messages_until(communicator, lambda m: m["type"] == "view")
    await communicator.send_to(text_data=json.dumps({"type": "subscribe", "view": "nodes/worker-2"}))
    seen = await messages_until(communicator, lambda m: m["type"] == "view" and m["view"] == "nodes/worker-2")
    node_view = seen[-1]
    assert {c["id"] for c in node_view["components"]} >= {"node/worker-2", "kubelet/worker-2"}
    # Only what the node's view draws: not the other nodes or their pods.
    assert not {c["id"] for c in node_view["components"]} & {"node/worker-1", "kubelet/worker-1"}
    assert all(c["parent"] in {None, "node/worker-2"} for c in node_view["components"] if c["kind"] == "pod")

    # The component whose panel is open comes whole, even where the view does not draw it.
    pod = None
    while pod is None:  # the scenario schedules its first pods within a second or two at 100x
        _, state = await (await get_runtime()).snapshot()
        pod = next((c.id for c in state.components.values() if c.kind == "pod"), None)
        await asyncio.sleep(0.1)
    await communicator.send_to(text_data=json.dumps({"type": "subscribe", "view": "control-plane", "panel": pod}))
    seen = await messages_until(communicator, lambda m: m["type"] == "view" and m["view"] == "control-plane")
    assert pod in {c["id"] for c in seen[-1]["components"]}

    # Junk is answered, never obeyed: the stream goes on.
    await communicator.send_to(text_data="not json")
    await messages_until(communicator, lambda m: m["type"] == "error")
    await communicator.send_to(text_data=json.dumps({"type": "subscribe", "view": "nodes/no-such-node"}))
    error = (await messages_until(communicator, lambda m: m["type"] == "error"))[-1]
    assert "no-such-node" in error["message"]
    await communicator.send_to(text_data=json.dumps({"type": "subscribe", "view": "storage"}))
    await messages_until(communicator, lambda m: m["type"] == "view" and m["view"] == "storage")
    await communicator.disconnect()


async def test_a_namespace_filter_narrows_the_components_and_the_timeline():
    runtime = await get_runtime()
    communicator = await open_view("/ws/events/?view=overview&namespace=kube-system")
    first = (await messages_until(communicator, lambda m: m["type"] == "view"))[-1]
    assert first["namespace"] == "kube-system"
    namespaces = {c["namespace"] for c in first["components"]}
    assert namespaces <= {None, "kube-system"}
    await runtime.command({"action": "scenario", "name": "node-failure"})
    seen = await messages_until(communicator, lambda m: len(m.get("events", [])) >= 1, within=30)
    for message in seen:
        for entry in message.get("events", []):
            parts = entry["involved"].split("/")
            assert len(parts) == 2 or parts[1] == "kube-system"
    await communicator.disconnect()


async def test_the_pages_as_of_time_follows_the_cluster_even_when_nothing_it_draws_moves():
    runtime = await get_runtime()
    await asyncio.sleep(0.3)  # at 100x the cluster has been changing for half a minute
    communicator = await open_view("/ws/events/?view=nodes/worker-1")
    first = (await messages_until(communicator, lambda m: m["type"] == "view"))[-1]
    assert first.get("time"), "the first model says as of when"
    # Elsewhere in the cluster: worker-2 goes down; worker-1's page draws none of it.
    await runtime.command({"action": "node-down", "node": "worker-2"})
    seen = await messages_until(
        communicator, lambda m: m["type"] == "view-change" and (m.get("time") or "") > first["time"]
    )
    moved = seen[-1]
    assert not any(c["id"].endswith("worker-2") for c in moved.get("components", []))
    await communicator.disconnect()
