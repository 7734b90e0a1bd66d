import pytest

from explorer.sources.base import CommandError, SourceError
from explorer.sources.simulated import SimulatedSource


class FakeMonotonic:
    """The wall clock, moved by the test."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


async def test_speed_pause_and_step_drive_the_virtual_clock():
    wall = FakeMonotonic()
    source = SimulatedSource(speed=10, monotonic=wall)
    await source.start()
    try:
        wall.now += 2
        await source.command({"action": "pause"})
        assert source.status()["clock"] == pytest.approx(20)
        assert source.status()["paused"] is True
        wall.now += 100
        before = source.status()["clock"]
        await source.command({"action": "step"})
        assert source.status()["clock"] > before
        await source.command({"action": "speed", "value": 0.25})
        assert source.status()["speed"] == 0.25
    finally:
        await source.close()


@pytest.mark.parametrize("value", [0, 101, "fast", None])
async def test_speed_outside_the_range_is_refused(value):
    source = SimulatedSource()
    with pytest.raises(CommandError, match="speed must be"):
        await source.command({"action": "speed", "value": value})


async def test_reset_emits_the_changes_back_to_the_first_state():
    wall = FakeMonotonic()
    source = SimulatedSource(speed=100, monotonic=wall)
    first = await source.start()
    try:
        wall.now += 1
        await source.command({"action": "pause"})
        await source.command({"action": "reset"})
        assert source.engine.state() == first
        assert source.status()["clock"] == 0
    finally:
        await source.close()


async def test_an_unknown_scenario_is_refused_by_name():
    source = SimulatedSource()
    with pytest.raises(CommandError, match="unknown scenario 'nope'"):
        await source.command({"action": "scenario", "name": "nope"})


def test_the_factory_passes_nodes_on_so_explorer_nodes_scales_the_cluster():
    from explorer.sources.factory import build_source

    source = build_source("sim", scenario="node-failure", nodes=25)
    workers = [n for n in source.engine.nodes.values() if n.role == "worker"]
    assert len(workers) == 25
    status = source.status()
    assert status["scenario"] == "node-failure"
    assert "worker-25" in status["nodes"]
    assert "scheduler/cp-1" in status["components"]
    assert status["deployments"] == ["default/web", "kube-system/coredns"]
    assert {"stop", "start", "scale", "set-image", "cordon"} <= set(status["actions"])
    assert status["description"].startswith("Worker-2 loses power")


async def test_a_scenario_switch_keeps_the_node_count():
    source = SimulatedSource(scenario="steady-state", nodes=5)
    await source.command({"action": "scenario", "name": "scale-up"})
    assert len([n for n in source.engine.nodes.values() if n.role == "worker"]) == 5


async def test_a_declared_release_holds_for_every_scenario_the_page_switches_to():
    """EXPLORER_KUBERNETES_VERSION / `runexplorer --version`: a teacher plays the whole class at v1.31."""
    from explorer.sources.factory import build_source

    source = build_source("sim", scenario="steady-state", kubernetes_version="v1.31")
    assert source.engine.version == (1, 31, 0)
    await source.command({"action": "scenario", "name": "node-failure"})
    assert source.engine.version == (1, 31, 0)
    assert source.engine.state().get("kubelet/worker-1").detail["version"] == "v1.31.0"
    # Without one, each scenario follows its own kubernetesVersion.
    assert build_source("sim", scenario="node-failure").engine.version == (1, 34, 0)
    with pytest.raises(SourceError, match=r"kubernetesVersion is a release from v1\.25"):
        build_source("sim", scenario="node-failure", kubernetes_version="v1.99")


async def test_the_page_can_start_a_scenario_at_another_release_which_a_reset_keeps():
    source = SimulatedSource(scenario="steady-state")
    assert source.status()["version"] == "v1.34"
    assert source.status()["version_picked"] == ""
    assert source.status()["versions"][0] == "v1.36"
    status = await source.command({"action": "scenario", "name": "node-failure", "version": "v1.31"})
    assert (status["scenario"], status["version"], status["version_picked"]) == ("node-failure", "v1.31", "v1.31")
    assert source.engine.version == (1, 31, 0)
    await source.command({"action": "reset"})
    assert source.engine.version == (1, 31, 0)
    # Without a version the release picked holds; "" goes back to the scenario's own.
    await source.command({"action": "scenario", "name": "scale-up"})
    assert source.engine.version == (1, 31, 0)
    await source.command({"action": "scenario", "name": "scale-up", "version": ""})
    assert source.engine.version == (1, 34, 0)
    assert source.status()["version_picked"] == ""
    # A bad one is refused by name and changes nothing.
    with pytest.raises(CommandError, match=r"kubernetesVersion is a release from v1\.25 to v1\.36"):
        await source.command({"action": "scenario", "name": "node-failure", "version": "v1.99"})
    with pytest.raises(CommandError, match=r"kubernetesVersion is a release"):
        await source.command({"action": "scenario", "name": "node-failure", "version": 131})
    assert source.status()["scenario"] == "scale-up"
