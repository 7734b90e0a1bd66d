"""Leases, the 40 s grace period, the unreachable taint and eviction after the 300 s toleration."""

from explorer.sources.simulated import Engine, get_scenario
from explorer.sources.simulated.controllers.node_lifecycle import DEFAULT_TOLERATION_SECONDS, NODE_MONITOR_GRACE

from .conftest import events, make_engine, pods, statuses


def test_pods_on_an_unreachable_node_are_evicted_after_the_toleration_and_replaced_elsewhere():
    engine = make_engine("""
    workloads:
      - {kind: Deployment, namespace: default, name: web, replicas: 6, image: "nginx:1.27", cpu: 250m}
    timeline:
      - {at: 60, action: node-down, node: worker-2}
    """)
    engine.run_until(59)
    doomed = {p.id for p in pods(engine) if p.parent == "node/worker-2"}
    assert doomed
    changes = engine.run_until(60 + NODE_MONITOR_GRACE + 10)
    not_ready = events(changes, "NodeNotReady", "node/worker-2")[0]
    changes += engine.run_until(not_ready_at(not_ready) + DEFAULT_TOLERATION_SECONDS - 1)
    assert not events(changes, "TaintManagerEviction")
    changes += engine.run_until(not_ready_at(not_ready) + DEFAULT_TOLERATION_SECONDS + 60)
    evicted = {e.involved for e in events(changes, "TaintManagerEviction")}
    assert evicted == doomed
    state = engine.state()
    assert all(state.get(pid).status == "Terminating" for pid in doomed)
    replacements = [p for p in pods(engine) if p.id not in doomed]
    assert len(replacements) == 6
    assert all(p.status == "Running" and p.parent != "node/worker-2" for p in replacements)


def not_ready_at(event):
    from datetime import datetime

    from explorer.sources.simulated.engine import EPOCH

    return (datetime.fromisoformat(event.time.replace("Z", "+00:00")) - EPOCH).total_seconds()


def test_the_node_turns_not_ready_between_the_grace_period_and_one_monitor_period_later():
    engine = make_engine("""
    timeline:
      - {at: 100, action: node-down, node: worker-1}
    """)
    changes = engine.run_until(300)
    at = not_ready_at(events(changes, "NodeNotReady", "node/worker-1")[0])
    # Silence counts from the last Lease renewal (up to 10 s before the failure).
    assert 100 + NODE_MONITOR_GRACE - 10 < at <= 100 + NODE_MONITOR_GRACE + 5


def test_terminating_pods_disappear_when_the_node_comes_back():
    engine = Engine(get_scenario("node-failure"), seed=7)
    engine.run_until(700)
    assert any(p.status == "Terminating" for p in pods(engine))
    engine.run_until(800)
    assert not any(p.status == "Terminating" for p in pods(engine))
    assert engine.state().get("node/worker-2").status == "Ready"
    assert engine.state().get("node/worker-2").detail["taints"] == []


def test_a_node_back_before_the_toleration_keeps_its_pods():
    engine = make_engine("""
    workloads:
      - {kind: Deployment, namespace: default, name: web, replicas: 3, image: "nginx:1.27"}
    timeline:
      - {at: 30, action: node-down, node: worker-3}
      - {at: 150, action: node-up, node: worker-3}
    """)
    changes = engine.run_until(600)
    assert statuses(changes, "node/worker-3") == ["NotReady", "Ready"]
    assert not events(changes, "TaintManagerEviction")
    assert all(p.status == "Running" for p in pods(engine))
