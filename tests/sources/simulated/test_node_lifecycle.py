"""Leases, the grace period (50 s from v1.32, 40 s before), the unreachable taint, eviction after the toleration."""

import pytest

from explorer.sources.simulated import Engine, get_scenario
from explorer.sources.simulated.controllers.node_lifecycle import DEFAULT_TOLERATION_SECONDS, NODE_MONITOR_GRACE
from explorer.sources.simulated.scenarios import ScenarioError

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


def test_the_grace_period_follows_the_declared_kubernetes_version():
    """kubernetes PR #126287 (pkg/controller/nodelifecycle/config/v1alpha1/defaults.go): the default
    node-monitor-grace-period went from 40 s to 50 s in v1.32."""
    body = """
    kubernetesVersion: {}
    timeline:
      - {{at: 100, action: node-down, node: worker-1}}
    """
    old = make_engine(body.format("v1.31"))
    new = make_engine(body.format("v1.34"))
    assert old.version == (1, 31, 0)
    assert new.version >= (1, 32)
    assert old.state().get("kubelet/worker-1").detail["version"] == "v1.31.0"
    assert new.state().get("kubelet/worker-1").detail["version"] == "v1.34.0"
    old_at = not_ready_at(events(old.run_until(300), "NodeNotReady", "node/worker-1")[0])
    new_at = not_ready_at(events(new.run_until(300), "NodeNotReady", "node/worker-1")[0])
    assert 100 + 40 - 10 < old_at <= 100 + 40 + 5
    assert 100 + 50 - 10 < new_at <= 100 + 50 + 5
    assert new_at - old_at == pytest.approx(10, abs=5)


def test_a_scenario_can_be_played_at_another_version_and_a_bad_version_is_refused():
    scenario = get_scenario("node-failure", version="v1.31.2")
    assert Engine(scenario).version == (1, 31, 2)
    assert get_scenario("node-failure").version == (1, 34, 0)
    with pytest.raises(ScenarioError, match=r"kubernetesVersion is a release from v1\.25"):
        get_scenario("node-failure", version="v2.0")
    with pytest.raises(ScenarioError, match=r"test.yaml, line \d+: kubernetesVersion"):
        make_engine("kubernetesVersion: 1.4x")
