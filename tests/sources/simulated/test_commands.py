"""Simulation commands are checked (types, ranges, the replicas cap) and never hold the event loop for long."""

from __future__ import annotations

import asyncio
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.sources.base import CommandError
from explorer.sources.simulated import Engine, SimulatedSource, get_scenario
from explorer.sources.simulated.commands import MAX_REPLICAS, PODS_PER_NODE, check_command, max_replicas


@pytest.fixture(scope="module")
def steady() -> Engine:
    engine = Engine(get_scenario("steady-state"), seed=1)
    engine.run_until(5)  # the Deployments exist
    return engine


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"action": ["pause"]}, "unknown action"),
        ({"action": {"x": 1}}, "unknown action"),
        ({"action": None}, "unknown action"),
        ({}, "unknown action"),
        (["pause"], "a command is a JSON object"),
        ({"action": "scale", "deployment": "default/web", "replicas": 1e999}, "replicas must be a whole number"),
        ({"action": "scale", "deployment": "default/web", "replicas": 1.5}, "replicas must be a whole number"),
        ({"action": "scale", "deployment": "default/web", "replicas": 3.0}, "replicas must be a whole number"),
        ({"action": "scale", "deployment": "default/web", "replicas": True}, "replicas must be a whole number"),
        ({"action": "scale", "deployment": "default/web", "replicas": "12"}, "replicas must be a whole number"),
        ({"action": "scale", "deployment": "default/web", "replicas": None}, "replicas must be a whole number"),
        ({"action": "scale", "deployment": "default/web", "by": False}, "by must be a whole number"),
        ({"action": "scale", "deployment": "default/web", "replicas": -1}, "replicas must be from 0 to 440"),
        ({"action": "scale", "deployment": "kube-system/coredns", "replicas": 100_000}, "from 0 to 440"),
        ({"action": "scale", "deployment": "default/web", "by": 10**30}, "from 0 to 440"),
        ({"action": "scale", "deployment": ["default/web"], "replicas": 1}, "needs 'deployment'"),
        ({"action": "speed", "value": True}, "speed must be a number"),
        ({"action": "speed", "value": "10"}, "speed must be a number"),
        ({"action": "speed", "value": math.nan}, "speed must be from"),
        ({"action": "speed", "value": math.inf}, "speed must be from"),
        ({"action": "speed", "value": 1000}, "speed must be from"),
        ({"action": "node-down", "node": 1}, "needs 'node'"),
        ({"action": "node-down", "node": "x" * 300}, "needs 'node'"),
        ({"action": "stop"}, "needs 'component'"),
        ({"action": "stop", "component": "scheduler/cp-1", "graceful": "yes"}, "graceful must be true or false"),
        ({"action": "scenario", "name": ["steady-state"]}, "needs 'name'"),
        ({"action": "set-image", "deployment": "default/web", "image": "nginx 1.28"}, "image must be"),
        ({"action": "set-image", "deployment": "default/web", "image": "<script>"}, "image must be"),
        ({"action": "set-image", "deployment": "default/web", "image": "a" * 300}, "image must be"),
    ],
)
def test_a_malformed_command_is_refused_with_its_reason(steady, payload, reason):
    with pytest.raises(CommandError, match=reason):
        check_command(payload, steady)


def test_a_checked_command_keeps_only_what_its_action_reads(steady):
    checked = check_command({"action": "node-down", "node": "worker-1", "replicas": [1], "x": {}}, steady)
    assert checked == {"action": "node-down", "node": "worker-1"}
    assert check_command({"action": "speed", "value": 10}, steady) == {"action": "speed", "value": 10.0}
    scale = {"action": "scale", "deployment": "default/web", "by": -1}
    assert check_command(scale, steady) == scale
    graceful = {"action": "stop", "component": "scheduler/cp-1", "graceful": True}
    assert check_command(graceful, steady) == graceful


def test_the_replicas_cap_is_110_pods_a_node_and_never_more_than_5000():
    assert max_replicas(Engine(get_scenario("steady-state"), 1)) == PODS_PER_NODE * 4  # one control plane, 3 workers
    assert max_replicas(Engine(get_scenario("steady-state", nodes=100), 1)) == MAX_REPLICAS


def test_a_deployment_a_scaled_scenario_made_bigger_than_the_cap_may_shrink_but_not_grow():
    engine = Engine(get_scenario("steady-state", nodes=3), 1)
    engine.run_until(5)
    engine.workloads.deployments["default/web"].replicas = 1000  # as a scaled-up timeline could leave it
    assert check_command({"action": "scale", "deployment": "default/web", "by": -1}, engine)["by"] == -1
    with pytest.raises(CommandError, match="from 0 to 440"):
        check_command({"action": "scale", "deployment": "default/web", "by": 1}, engine)


async def test_the_status_names_the_cap_so_the_page_can_offer_it():
    source = SimulatedSource()
    assert source.status()["max_replicas"] == 440
    status = await source.command({"action": "scale", "deployment": "kube-system/coredns", "replicas": 440})
    assert status["max_replicas"] == 440


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
ACTIONS = st.sampled_from(
    [
        *("pause", "resume", "step", "reset", "speed", "scenario", "node-down", "node-up", "cordon"),
        *("uncordon", "stop", "start", "scale", "set-image", "nope"),
    ]
)
FIELDS = st.sampled_from(["value", "name", "node", "component", "deployment", "replicas", "by", "image"])
KNOWN = st.sampled_from(
    ["worker-1", "scheduler/cp-1", "default/web", "kube-system/coredns", "crash-loop", "nginx:1.28", 10, 2.5]
)
COMMAND = st.one_of(
    JSON,
    st.builds(
        lambda action, fields: {"action": action, **fields},
        ACTIONS,
        st.dictionaries(FIELDS, KNOWN | JSON, max_size=3),
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads=st.lists(COMMAND, min_size=1, max_size=4))
def test_whatever_a_command_says_the_source_answers_a_status_or_a_command_error(payloads):
    reasons: list[str] = []

    async def drive() -> None:
        source = SimulatedSource(speed=100)
        await source.start()
        try:
            for payload in payloads:
                try:
                    status = await asyncio.wait_for(source.command(payload), timeout=10)
                except CommandError as error:
                    reasons.append(str(error))
                else:
                    assert {"clock", "speed", "paused", "scenario"} <= status.keys()
                pods = [p for p in source.engine.pods.values() if p.owner.startswith("ReplicaSet/")]
                assert len(pods) <= 2 * max_replicas(source.engine) + 50
        finally:
            await source.close()

    asyncio.run(drive())
    assert all(reasons)  # every refusal says why


async def test_a_burst_of_pods_runs_in_slices_and_the_loop_keeps_turning():
    source = SimulatedSource(scenario="steady-state", nodes=100, speed=100)
    await source.start()
    turns = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal turns
        while not stop.is_set():
            turns += 1
            await asyncio.sleep(0)

    try:
        await source.command({"action": "pause"})
        await source.command({"action": "scale", "deployment": "kube-system/coredns", "replicas": MAX_REPLICAS})
        counting = asyncio.create_task(ticker())
        # Everything the scale sets off within the next simulated minute, caught up at once.
        await source._catch_up(source.engine.clock + 60)
        stop.set()
        await counting
        assert len(source.engine.pods) >= MAX_REPLICAS
        # The burst (thousands of pods created, scheduled, started) took many slices, the loop turning between.
        assert turns > 10
        batches = source._out.qsize()
        assert batches > 1
        assert all(len(source._out.get_nowait()) <= 1000 for _ in range(batches))
    finally:
        await source.close()


async def test_a_reset_of_a_big_cluster_builds_the_new_engine_off_the_event_loop(monkeypatch):
    source = SimulatedSource(scenario="steady-state", nodes=50)
    threads: list[str] = []
    original = Engine.__init__

    def spying(self, *args, **kwargs):
        import threading

        threads.append(threading.current_thread().name)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Engine, "__init__", spying)
    await source.command({"action": "reset"})
    assert threads
    assert threads[0] != "MainThread"
