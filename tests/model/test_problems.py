from explorer.model import ChangeType, ClusterState, Component, ComponentChange, Health, apply_change
from explorer.model.problems import find_problems, health_by_layer


def comp(cid, kind, health=Health.OK, status="Running", namespace=None, **detail):
    return Component(cid, kind, cid.rsplit("/", 1)[-1], status, health, namespace=namespace, detail=detail)


def test_problems_come_worst_first_and_healthy_things_are_not_problems():
    state = ClusterState(
        [
            comp("pod/default/web-1", "pod", Health.ERROR, "CrashLoopBackOff", "default"),
            comp("pod/default/web-2", "pod", Health.WARNING, "Pending", "default", why="0/3 nodes are available"),
            comp("node/worker-1", "node", Health.ERROR, "NotReady"),
            comp("etcd/cp-1", "etcd", Health.ERROR, "NoQuorum"),
            comp("pvc/default/data", "pvc", Health.WARNING, "Pending", "default"),
            comp("node/worker-2", "node"),
        ]
    )
    ids = [p.component.id for p in find_problems(state)]
    assert ids == ["etcd/cp-1", "node/worker-1", "pod/default/web-1", "pod/default/web-2", "pvc/default/data"]
    assert find_problems(state)[3].reason == "0/3 nodes are available"


def test_a_problem_remembers_when_it_started_and_leaves_when_fixed():
    state = ClusterState([comp("node/worker-1", "node")])
    down = comp("node/worker-1", "node", Health.ERROR, "NotReady")
    state = apply_change(state, ComponentChange(ChangeType.UPDATED, down, "2026-01-01T09:01:05.000Z"))
    still = comp("node/worker-1", "node", Health.ERROR, "NotReady", why="Kubelet stopped posting node status.")
    state = apply_change(state, ComponentChange(ChangeType.UPDATED, still, "2026-01-01T09:02:00.000Z"))
    [problem] = find_problems(state)
    assert problem.since == "2026-01-01T09:01:05.000Z"
    up = comp("node/worker-1", "node")
    state = apply_change(state, ComponentChange(ChangeType.UPDATED, up, "2026-01-01T09:03:00.000Z"))
    assert find_problems(state) == []


def test_the_namespace_filter_keeps_cluster_scoped_problems():
    state = ClusterState(
        [
            comp("pod/default/a", "pod", Health.ERROR, "Error", "default"),
            comp("pod/kube-system/b", "pod", Health.ERROR, "Error", "kube-system"),
            comp("node/w", "node", Health.ERROR, "NotReady"),
        ]
    )
    assert [p.component.id for p in find_problems(state, namespace="default")] == ["node/w", "pod/default/a"]


def test_health_is_counted_per_layer():
    state = ClusterState(
        [
            comp("apiserver/cp-1", "apiserver"),
            comp("node/w", "node", Health.ERROR, "NotReady"),
            comp("kubelet/w", "kubelet", Health.ERROR, "Stopped"),
            comp("pod/default/a", "pod", Health.WARNING, "Pending", "default"),
            comp("pv/p", "pv", Health.OK, "Bound"),
        ]
    )
    layers = health_by_layer(state)
    assert layers["control-plane"] == {"ok": 1, "warning": 0, "error": 0, "unknown": 0}
    assert layers["nodes"]["error"] == 2
    assert layers["workloads"]["warning"] == 1
    assert layers["storage"]["ok"] == 1
