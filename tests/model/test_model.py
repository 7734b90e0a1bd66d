import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer.model import (
    ChangeType,
    ClusterState,
    Component,
    ComponentChange,
    EdgeKind,
    Event,
    Health,
    apply_change,
    change_from_message,
    diff_states,
)
from explorer.model.ids import component_id, node_agent_id, parse_id
from explorer.model.images import registry_of

T = "2026-01-01T09:00:00.000Z"


def comp(cid: str, health: Health = Health.OK, parent: str | None = None, **detail) -> Component:
    kind, namespace, name = parse_id(cid)
    return Component(cid, kind, name, "Running", health, namespace=namespace, parent=parent, detail=detail)


def test_ids_follow_the_contract_scheme():
    assert component_id("node", "worker-1") == "node/worker-1"
    assert component_id("pod", "web-1", "default") == "pod/default/web-1"
    assert node_agent_id("kubelet", "worker-1") == "kubelet/worker-1"
    assert parse_id("pvc/default/data") == ("pvc", "default", "data")


def test_ids_refuse_a_namespace_where_none_belongs_and_need_one_where_it_does():
    with pytest.raises(ValueError, match="needs a namespace"):
        component_id("pod", "web-1")
    with pytest.raises(ValueError, match="cluster-scoped"):
        component_id("node", "worker-1", "default")
    with pytest.raises(ValueError, match="not a component id"):
        parse_id("nonsense")


@pytest.mark.parametrize(
    ("image", "registry"),
    [
        ("nginx:1.27", "docker.io"),
        ("library/nginx", "docker.io"),
        ("registry.k8s.io/pause:3.9", "registry.k8s.io"),
        ("localhost:5000/app", "localhost:5000"),
        ("quay.io/prometheus/node-exporter@sha256:abc", "quay.io"),
    ],
)
def test_registry_of_an_image_follows_the_reference_grammar(image, registry):
    assert registry_of(image) == registry


def test_component_survives_a_json_round_trip():
    original = comp("pod/default/web-1", Health.WARNING, parent="node/w1", images=["nginx:1.27"])
    assert Component.from_dict(json.loads(json.dumps(original.to_dict()))) == original


def test_component_from_dict_names_what_is_missing_or_wrong():
    with pytest.raises(ValueError, match="health"):
        Component.from_dict({"id": "node/a", "kind": "node", "name": "a", "status": "Ready"})
    with pytest.raises(ValueError, match="not-a-health"):
        Component.from_dict({"id": "node/a", "kind": "node", "name": "a", "status": "Ready", "health": "not-a-health"})


def test_apply_change_is_pure():
    before = ClusterState([comp("node/a")])
    after = apply_change(before, ComponentChange(ChangeType.ADDED, comp("node/b"), T))
    assert set(before.components) == {"node/a"}
    assert set(after.components) == {"node/a", "node/b"}
    removed = apply_change(after, ComponentChange(ChangeType.REMOVED, comp("node/a"), T))
    assert set(removed.components) == {"node/b"}
    assert set(after.components) == {"node/a", "node/b"}


def test_events_leave_components_alone():
    state = ClusterState([comp("node/a")])
    assert apply_change(state, Event("NodeReady", "ok", "node/a", T)) == state


def test_edges_are_derived_with_their_protocols():
    state = ClusterState(
        [
            comp("apiserver/cp-1", parent="node/cp-1"),
            comp("etcd/cp-1", parent="node/cp-1"),
            comp("scheduler/cp-1", parent="node/cp-1"),
            comp("node/w1"),
            comp("kubelet/w1", parent="node/w1"),
            comp("runtime/w1", parent="node/w1"),
            comp("registry/docker.io"),
            comp("pod/default/web", parent="node/w1", images=["nginx:1.27"], claims=["data"]),
            comp("pvc/default/data", volume="pv-1"),
            comp("pv/pv-1", storageClass="standard"),
            comp("storageclass/standard"),
        ]
    )
    edges = {(e.source, e.target, e.kind) for e in state.edges}
    assert ("apiserver/cp-1", "etcd/cp-1", EdgeKind.GRPC) in edges
    assert ("scheduler/cp-1", "apiserver/cp-1", EdgeKind.WATCH) in edges
    assert ("kubelet/w1", "apiserver/cp-1", EdgeKind.WATCH) in edges
    assert ("kubelet/w1", "runtime/w1", EdgeKind.CRI) in edges
    assert ("runtime/w1", "registry/docker.io", EdgeKind.PULL) in edges
    assert ("pod/default/web", "pvc/default/data", EdgeKind.MOUNT) in edges
    assert ("pvc/default/data", "pv/pv-1", EdgeKind.BIND) in edges
    assert ("pv/pv-1", "storageclass/standard", EdgeKind.PROVISION) in edges
    assert ("pod/default/web", "node/w1", EdgeKind.RUNS_ON) in edges


def test_edges_follow_a_topology_change():
    state = ClusterState([comp("pvc/default/data"), comp("pv/pv-1")])
    assert state.edges == []
    state.put(comp("pvc/default/data", volume="pv-1"))
    assert [(e.source, e.target) for e in state.edges] == [("pvc/default/data", "pv/pv-1")]


def test_wire_messages_read_back_into_the_same_change():
    change = ComponentChange(ChangeType.UPDATED, comp("node/a", Health.ERROR), T)
    message = change.to_message(5)
    assert message["seq"] == 5
    assert message["type"] == "updated"
    assert change_from_message(json.loads(json.dumps(message))) == change
    event = Event("NodeNotReady", "Node a status is now: NodeNotReady", "node/a", T, "Warning")
    assert change_from_message(event.to_message(6)) == event


@pytest.mark.parametrize(
    ("junk", "reason"),
    [
        (None, "must be a JSON object"),
        ([], "must be a JSON object"),
        ({"type": "added"}, "needs a time"),
        ({"type": "exploded", "time": T}, "unknown change type 'exploded'"),
        ({"type": "event", "time": T}, "needs a reason"),
        ({"type": "added", "time": T, "component": {"id": "node/a"}}, "lacks 'kind'"),
    ],
)
def test_malformed_wire_messages_are_refused_with_a_reason(junk, reason):
    with pytest.raises(ValueError, match=reason):
        change_from_message(junk)


names = st.sampled_from(["a", "b", "c", "d", "e"])
healths = st.sampled_from(list(Health))
states = st.dictionaries(names, healths).map(
    lambda d: ClusterState([comp(f"node/{name}", health) for name, health in d.items()])
)


@given(states, states)
def test_diff_then_apply_turns_one_state_into_the_other(old, new):
    result = old
    for change in diff_states(old, new, T):
        result = apply_change(result, change)
    assert result == new


@given(states)
def test_a_state_differs_from_itself_by_nothing(state):
    assert diff_states(state, state.copy(), T) == []


def test_snapshot_survives_a_json_round_trip():
    state = ClusterState([comp("node/a"), comp("kubelet/a", parent="node/a")], cluster="c", source="sim")
    assert ClusterState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


def test_a_namespace_view_keeps_cluster_scoped_things_and_that_namespace_only():
    state = ClusterState(
        [comp("node/a"), comp("pod/default/web"), comp("pod/kube-system/dns"), comp("pvc/default/data")]
    )
    assert set(state.only_namespace("default").components) == {"node/a", "pod/default/web", "pvc/default/data"}
