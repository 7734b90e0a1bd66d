"""150000 pods: the API stream's snapshot in chunks a server will carry, and a page's model that counts, not lists.

The cluster (5000 worker nodes, 30 pods each) is built directly as
Components rather than simulated: simulating 5000 nodes until their pods run
takes minutes, building them takes a second, and the streams cannot tell.
"""

import json

import pytest
from channels.testing import WebsocketCommunicator

from explorer.asgi import application
from explorer.diagrams import DiagramRenderer
from explorer.diagrams.viewmodel import diff_models, view_model
from explorer.live.runtime import get_runtime
from explorer.model import ChangeType, ClusterState, Component, ComponentChange, Health
from explorer.model.changes import apply_in_place

T = "2026-01-01T09:00:00.000Z"
NODES = 5000
PODS_PER_NODE = 30
# Daphne refuses a WebSocket message over 1 MiB.
FRAME_LIMIT = 1024 * 1024


def big_cluster_components() -> list[Component]:
    components = [
        Component("node/cp-1", "node", "cp-1", "Ready", Health.OK, detail={"role": "control-plane"}),
        Component("apiserver/cp-1", "apiserver", "cp-1", "Running", Health.OK, parent="node/cp-1"),
    ]
    for n in range(NODES):
        name = f"worker-{n:04d}"
        labels = {"topology.kubernetes.io/zone": f"zone-{n % 3}", "node.kubernetes.io/pool": "general"}
        node = Component(f"node/{name}", "node", name, "Ready", Health.OK, detail={"role": "worker", "labels": labels})
        components.append(node)
        components.append(Component(f"kubelet/{name}", "kubelet", name, "Running", Health.OK, parent=node.id))
        for p in range(PODS_PER_NODE):
            pod = f"app-{n:04d}-{p:02d}"
            components.append(
                Component(
                    f"pod/default/{pod}", "pod", pod, "Running", Health.OK, "default", node.id, {"phase": "Running"}
                )
            )
    return components


def test_a_pod_inside_a_summary_moves_its_counts_and_is_not_sent():
    state = ClusterState(big_cluster_components())
    planner = DiagramRenderer()
    before_state = state.copy()
    before = view_model(before_state, planner.plan(before_state, "overview"), seq=1)
    assert not any(c.kind == "pod" for c in before.components.values()), "the overview draws pods as counts here"
    group = "node-group/zone-1/general"
    nodes_in_group = sum(1 for n in range(NODES) if n % 3 == 1)
    assert before.summaries[group]["pods"]["ok"] == nodes_in_group * PODS_PER_NODE
    assert before.summaries[group]["nodes"]["ok"] == nodes_in_group

    pod = state.components["pod/default/app-0001-07"]
    apply_in_place(
        state, ComponentChange(ChangeType.UPDATED, pod.with_(status="CrashLoopBackOff", health=Health.ERROR), T)
    )
    node = state.components["node/worker-0004"]
    apply_in_place(state, ComponentChange(ChangeType.UPDATED, node.with_(status="NotReady", health=Health.ERROR), T))
    after_state = state.copy()
    after = view_model(after_state, planner.plan(after_state, "overview"), seq=3)

    change = diff_models(before, after)
    assert change is not None
    assert "components" not in change
    assert "removed" not in change
    assert set(change["summaries"]) == {group}
    assert change["summaries"][group]["pods"]["error"] == 1
    assert change["summaries"][group]["nodes"]["error"] == 1
    assert change["health"]["error"] == before.health["error"] + 2
    assert change["layers"]["workloads"]["error"] == 1
    assert len(json.dumps(change)) < 2000


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_runtime")
async def test_a_plain_client_gets_a_150000_pod_snapshot_in_chunks_and_then_every_change():
    runtime = await get_runtime()
    await runtime.command({"action": "pause"})
    hub = runtime.hub
    big = big_cluster_components()
    for first in range(0, len(big), 20000):
        await hub.handle([ComponentChange(ChangeType.ADDED, c, T) for c in big[first : first + 20000]])

    communicator = WebsocketCommunicator(application, "/ws/events/")
    assert (await communicator.connect())[0]
    chunks = []
    while not chunks or chunks[-1]["chunk"] < chunks[-1]["chunks"]:
        text = await communicator.receive_from(timeout=60)
        assert len(text.encode()) < FRAME_LIMIT
        chunks.append(json.loads(text))
    assert len(chunks) > 1
    assert {m["type"] for m in chunks} == {"snapshot"}
    assert [m["chunk"] for m in chunks] == list(range(1, len(chunks) + 1))
    assert {m["seq"] for m in chunks} == {hub.seq}
    received = {c["id"]: c for m in chunks for c in m["components"]}
    assert received == {c.id: c.to_dict() for c in hub.state.components.values()}
    # The scenario's own few pods, and the 150000.
    assert sum(1 for c in received.values() if c["kind"] == "pod") >= NODES * PODS_PER_NODE
    assert len([e for m in chunks for e in m["edges"]]) == len(hub.state.edges)

    seq = chunks[0]["seq"]
    await runtime.command({"action": "node-down", "node": "worker-1"})
    node = hub.state.components["node/worker-0002"]
    await hub.handle([ComponentChange(ChangeType.UPDATED, node.with_(status="NotReady", health=Health.ERROR), T)])
    seen = []
    while not any(m.get("component", {}).get("id") == "node/worker-0002" for m in seen):
        seen.append(await communicator.receive_json_from(timeout=30))
    assert [m["seq"] for m in seen] == list(range(seq + 1, seq + 1 + len(seen)))
    await communicator.disconnect()
