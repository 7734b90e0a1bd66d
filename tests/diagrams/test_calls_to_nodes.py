"""Traffic that does not go towards the apiserver: the apiserver calling each kubelet, etcd's peers.

Kubernetes: the apiserver reaches a kubelet's own server on its port 10250
(pkg/cluster/ports/ports.go, KubeletPort; pkg/kubelet/server/server.go serves
/containerLogs, /exec, /portForward) — for `kubectl logs`, `exec` and `port-forward`.
etcd members replicate over their peer URL, port 2380 (kubeadm's
cmd/kubeadm/app/constants/constants.go, EtcdListenPeerPort).
"""

from __future__ import annotations

from explorer.diagrams import DiagramRenderer
from explorer.model import EdgeKind, derive_edges
from explorer.sources.simulated import Engine, get_scenario

from .test_views import big_cluster, elements_by_id, texts

KUBELET_API = "HTTPS :10250 logs/exec/port-forward"


def _state(scenario: str = "steady-state", until: float = 60):
    engine = Engine(get_scenario(scenario), seed=1)
    engine.run_until(until)
    return engine.state()


def test_the_apiserver_calls_every_kubelet_and_etcd_members_call_each_other():
    state = _state("etcd-quorum-loss", 30)
    edges = derive_edges(state.components.values())
    kubelets = {c.id for c in state.of_kind("kubelet")}
    calls = {(e.source, e.target) for e in edges if e.kind is EdgeKind.HTTPS}
    assert {target for _, target in calls} == kubelets
    assert all(source.startswith("apiserver/") for source, _ in calls)
    assert {e.label for e in edges if e.kind is EdgeKind.HTTPS} == {KUBELET_API}
    members = sorted(c.id for c in state.of_kind("etcd"))
    assert len(members) == 3
    peers = {frozenset((e.source, e.target)) for e in edges if e.kind is EdgeKind.PEER}
    assert peers == {frozenset(pair) for pair in [members[:2], members[1:], members[::2]]}
    assert {e.label for e in edges if e.kind is EdgeKind.PEER} == {"Raft peers :2380"}


def test_a_single_etcd_member_has_no_peers():
    edges = derive_edges(_state().components.values())
    assert not [e for e in edges if e.kind is EdgeKind.PEER]


def test_a_node_view_and_the_overview_draw_the_apiserver_calling_the_kubelet():
    state = _state()
    renderer = DiagramRenderer()
    node_view = elements_by_id(renderer.svg(state, "nodes/worker-1"))
    edge = node_view["edge:apiserver/cp-1>kubelet/worker-1:https"]
    assert KUBELET_API in texts(edge)
    overview = elements_by_id(renderer.svg(state, "overview"))
    assert {f"edge:apiserver/cp-1>kubelet/{n}:https" for n in ("worker-1", "worker-2", "worker-3")} <= overview.keys()


def test_the_control_plane_view_draws_the_call_to_every_kubelet_and_the_peer_edges_in_both_languages():
    state = _state("etcd-quorum-loss", 30)
    renderer = DiagramRenderer()
    english = elements_by_id(renderer.svg(state, "control-plane"))
    call = english["edge:apiserver/cp-1>agents/kubelet:https"]
    assert "HTTPS :10250 logs/exec/port-forward (every kubelet)" in texts(call)
    peers = [k for k in english if k.endswith(":peer")]
    assert len(peers) == 3
    assert "Raft peers :2380" in texts(english[peers[0]])
    chinese = elements_by_id(renderer.svg(state, "control-plane", "zh-hans"))
    assert "HTTPS :10250 日志/exec/端口转发(每个 kubelet)" in texts(chinese["edge:apiserver/cp-1>agents/kubelet:https"])
    assert "Raft 对等复制 :2380" in texts(chinese[peers[0]])


def test_a_grouped_overview_draws_one_call_from_the_apiserver_into_the_worker_layer():
    svg = DiagramRenderer().svg(big_cluster(80), "overview")
    calls = [k for k in elements_by_id(svg) if k.startswith("edge:apiserver/cp-1>node-group/") and k.endswith(":https")]
    assert len(calls) == 1
    assert KUBELET_API + " (every kubelet)" in texts(elements_by_id(svg)[calls[0]])
