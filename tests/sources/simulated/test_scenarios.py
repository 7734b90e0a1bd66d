"""Every built-in scenario runs to its end and shows what its description promises."""

import pytest

from explorer.model import ComponentChange, Event
from explorer.sources.simulated import SCENARIOS, Engine, get_scenario

from .conftest import events, pods, statuses

BUILT_INS = [
    "steady-state",
    "scale-up",
    "rolling-update",
    "node-failure",
    "scheduler-outage",
    "controller-manager-outage",
    "apiserver-outage",
    "etcd-quorum-loss",
    "image-pull-failure",
    "crash-loop",
    "pvc-provisioning",
    "service-node-failure",
    "statefulset-node-failure",
    "daemonset-rollout",
]


def test_every_promised_scenario_is_built_in_with_a_description():
    assert set(BUILT_INS) <= set(SCENARIOS)
    for name in BUILT_INS:
        assert len(SCENARIOS[name].description) > 200, name


@pytest.mark.parametrize("name", BUILT_INS)
def test_each_scenario_runs_headless_to_its_end_without_error(name):
    engine = Engine(get_scenario(name), seed=7)
    changes = engine.run_until(1200)
    assert changes
    assert not [e for e in changes if isinstance(e, Event) and e.reason == "ScenarioActionSkipped"] or (
        name == "etcd-quorum-loss"
    )
    state = engine.state()
    for pod in state.of_kind("pod"):
        if pod.parent:
            assert state.get(pod.parent) is not None


def test_steady_state_runs_every_pod_and_stays_quiet():
    engine = Engine(get_scenario("steady-state"), seed=7)
    engine.run_until(60)
    assert all(p.status == "Running" for p in pods(engine))
    later = engine.run_until(600)
    assert not [c for c in later if isinstance(c, ComponentChange)]


def test_scale_up_leaves_the_pods_that_do_not_fit_pending_then_scales_back():
    engine = Engine(get_scenario("scale-up"), seed=7)
    changes = engine.run_until(200)
    web = pods(engine, "web-")
    assert len(web) == 30
    pending = [p for p in web if p.status == "Pending"]
    # Three 4-CPU workers hold eight half-CPU pods each.
    assert len(pending) == 30 - 24
    assert "3 Insufficient cpu" in events(changes, "FailedScheduling")[0].message
    engine.run_until(400)
    assert [p.status for p in pods(engine, "web-")] == ["Running"] * 6


def test_node_failure_acceptance_not_ready_after_the_grace_evicted_after_the_toleration_replaced_elsewhere():
    engine = Engine(get_scenario("node-failure"), seed=7)
    engine.run_until(59)
    doomed = {p.id for p in pods(engine) if p.parent == "node/worker-2"}
    changes = engine.run_until(900)
    reasons = [(e.reason, e.involved) for e in changes if isinstance(e, Event)]
    not_ready = reasons.index(("NodeNotReady", "node/worker-2"))
    evictions = [i for i, (reason, _) in enumerate(reasons) if reason == "TaintManagerEviction"]
    assert {reasons[i][1] for i in evictions} == doomed
    assert not_ready < min(evictions)
    times = {e.reason: e.time for e in reversed(changes) if isinstance(e, Event)}
    assert times["NodeNotReady"] < times["TaintManagerEviction"]
    replacements = [p for p in pods(engine) if p.id not in doomed]
    assert len(replacements) == 8
    assert all(p.status == "Running" and p.parent in {"node/worker-1", "node/worker-3"} for p in replacements)
    assert statuses(changes, "node/worker-2") == ["NotReady", "Ready"]


def test_image_pull_failure_stalls_the_rollout_with_five_old_pods_serving():
    engine = Engine(get_scenario("image-pull-failure"), seed=7)
    engine.run_until(300)
    web = pods(engine, "web-")
    old = [p for p in web if p.detail["images"] == ["nginx:1.27"]]
    new = [p for p in web if p.detail["images"] == ["nginx:1.27-typo"]]
    assert len(old) == 5
    assert all(p.status == "Running" for p in old)
    assert new
    assert {p.status for p in new} <= {"ErrImagePull", "ImagePullBackOff"}


def test_crash_loop_shows_crash_loop_back_off_and_liveness_restarts():
    engine = Engine(get_scenario("crash-loop"), seed=7)
    changes = engine.run_until(600)
    api = pods(engine, "api-")
    assert all(p.detail["restarts"] >= 5 for p in api)
    assert "CrashLoopBackOff" in {s for p in api for s in statuses(changes, p.id)}
    worker = pods(engine, "worker-")[0]
    assert events(changes, "Killing", worker.id)[0].message.endswith("failed liveness probe, will be restarted")


def test_the_same_seed_gives_the_same_stream_for_every_scenario():
    for name in BUILT_INS:
        runs = [
            [c.to_message(i) for i, c in enumerate(Engine(get_scenario(name), seed=5).run_until(400))] for _ in range(2)
        ]
        assert runs[0] == runs[1], name


def test_scaling_a_scenario_to_n_nodes_grows_its_workloads_in_proportion():
    engine = Engine(get_scenario("steady-state", nodes=30), seed=1)
    assert len([n for n in engine.nodes.values() if n.role == "worker"]) == 30
    engine.run_until(120)
    assert len(pods(engine, "web-")) == 60
    assert all(p.status == "Running" for p in pods(engine))
