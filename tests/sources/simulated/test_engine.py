import pytest

from explorer.model import ComponentChange, Event
from explorer.sources.base import CommandError
from explorer.sources.simulated import Engine, get_scenario
from explorer.sources.simulated.engine import NODE_MONITOR_GRACE


def statuses_of(changes, cid):
    return [c.component.status for c in changes if isinstance(c, ComponentChange) and c.component.id == cid]


def reasons(changes, involved=None):
    return [c.reason for c in changes if isinstance(c, Event) and (involved is None or c.involved == involved)]


def test_deployment_pods_go_pending_then_container_creating_then_running(engine):
    changes = engine.run_until(60)
    web_pods = [
        c.component.id
        for c in changes
        if isinstance(c, ComponentChange) and c.component.kind == "pod" and "/web-" in c.component.id
    ]
    assert web_pods, "the web Deployment made no pods"
    pod = web_pods[0]
    seen = statuses_of(changes, pod)
    assert seen[0] == "Pending"
    assert seen.index("ContainerCreating") < seen.index("Running")
    assert reasons(changes, pod)[:4] == ["SuccessfulCreate", "Scheduled", "Pulling", "Pulled"]
    assert sum(1 for c in engine.state().of_kind("pod") if c.status == "Running") == 9


def test_the_database_pod_mounts_a_claim_bound_to_a_volume(engine):
    engine.run_until(60)
    state = engine.state()
    assert state.get("pvc/default/data-db-0").status == "Bound"
    assert state.get("pv/pv-0001").detail["claim"] == "default/data-db-0"
    edges = {(e.source, e.target, e.kind.value) for e in state.edges}
    assert ("pod/default/db-0", "pvc/default/data-db-0", "mount") in edges
    assert ("pvc/default/data-db-0", "pv/pv-0001", "bind") in edges


def test_a_node_that_goes_down_turns_not_ready_only_after_the_grace_period(engine):
    engine.run_until(60)
    down_at = engine.clock
    changes = engine.command({"action": "node-down", "node": "worker-1"})
    assert statuses_of(changes, "kubelet/worker-1") == ["Stopped"]
    assert engine.state().get("node/worker-1").status == "Ready"
    later = engine.run_until(down_at + NODE_MONITOR_GRACE - 10.1)
    assert statuses_of(later, "node/worker-1") == []
    later = engine.run_until(down_at + NODE_MONITOR_GRACE + 10 + 5)
    assert statuses_of(later, "node/worker-1") == ["NotReady"]
    assert "NodeNotReady" in reasons(later, "node/worker-1")
    node = engine.state().get("node/worker-1")
    assert node.health.value == "error"
    assert {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"} in node.detail["taints"]


def test_a_node_brought_back_up_is_ready_again(engine):
    engine.run_until(60)
    engine.command({"action": "node-down", "node": "worker-2"})
    engine.run_until(160)
    changes = engine.command({"action": "node-up", "node": "worker-2"})
    assert statuses_of(changes, "node/worker-2") == ["Ready"]
    assert "NodeReady" in reasons(changes, "node/worker-2")


def test_the_same_seed_gives_the_same_stream():
    def stream(seed):
        engine = Engine(get_scenario("steady-state"), seed)
        changes = engine.run_until(50) + engine.command({"action": "node-down", "node": "worker-3"})
        changes += engine.run_until(200)
        return [c.to_message(i) for i, c in enumerate(changes)]

    assert stream(3) == stream(3)
    assert stream(3) != stream(4)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"action": "node-down", "node": "worker-9"}, "unknown node 'worker-9'"),
        ({"action": "node-down"}, "unknown node None"),
        ({"action": "explode"}, "unknown action 'explode'"),
    ],
)
def test_bad_commands_are_refused_with_a_clear_message(engine, payload, message):
    with pytest.raises(CommandError, match=message):
        engine.command(payload)
