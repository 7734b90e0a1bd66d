"""An operator of a big cluster: the page goes live, and a failed node shows in the problems and in its group's counts.

One server per size for the whole module (a 5000-node simulation takes a while
to build its cluster), embedded at 1000 and 5000 nodes and scaled out (a hub
process, Redis, a web worker) at 1000. Each test takes its own node down, so
the tests do not wait for one another's nodes to come back.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ServerProcess
from tests.scaleout.conftest import HubProcess, RedisServer

pytestmark = pytest.mark.browser

# The page must say live this soon after it loads.
LIVE_WITHIN_MS = 10_000
# A change reaches the page this soon after the hub has it.
SHOWN_WITHIN_S = 2.0


class BigCluster:
    def __init__(self, server: ServerProcess, nodes: int, stop: list) -> None:
        self.server, self.nodes, self._stop = server, nodes, stop
        self.url = server.url

    def settle(self) -> None:
        """Run the simulation at 100x until its workloads have rolled out (at most 50 problems left).

        A node taken down while thousands of pods are still being placed may be put back by the rollout.
        """
        self.server.sim({"action": "speed", "value": 100})
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{self.url}/dashboard/status/", timeout=30) as response:
                count = re.search(r"<small>([^<]*)</small>", response.read().decode())
            # Before the workloads start (the first simulated minute) there are no problems yet either.
            if count and "+" not in count.group(1) and self._clock() >= 60:
                return
            time.sleep(1)
        pytest.fail(f"the {self.nodes}-node simulation did not settle in 180 s")

    def _clock(self) -> float:
        with urllib.request.urlopen(f"{self.url}/api/sim/", timeout=30) as response:
            return float(json.loads(response.read())["clock"])

    def search(self, text: str) -> dict:
        with urllib.request.urlopen(f"{self.url}/api/search/?q={text}", timeout=30) as response:
            return json.loads(response.read())

    def group_of(self, node: str) -> str:
        return next(e for e in self.search(f"node/{node}")["elements"] if e.startswith("node-group/"))

    def stop(self) -> None:
        for part in self._stop:
            part.stop()


def _embedded(nodes: int) -> BigCluster:
    server = ServerProcess(env={"EXPLORER_NODES": str(nodes), "EXPLORER_SPEED": "1"})
    return BigCluster(server, nodes, [server])


def _scaled_out(nodes: int) -> BigCluster:
    redis_server = RedisServer()
    hub = HubProcess(redis_server.url, "--nodes", str(nodes), "--speed", "1")
    server = ServerProcess(env={"REDIS_URL": redis_server.url})
    return BigCluster(server, nodes, [server, hub, redis_server])


@pytest.fixture(
    scope="module",
    params=[("embedded", 1000), ("embedded", 5000), ("scaled-out", 1000)],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def big(request: pytest.FixtureRequest) -> Iterator[BigCluster]:
    kind, nodes = request.param
    cluster = _embedded(nodes) if kind == "embedded" else _scaled_out(nodes)
    try:
        cluster.settle()
        yield cluster
    finally:
        cluster.stop()


def _goes_live(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=LIVE_WITHIN_MS)


class HubWatch:
    """When the hub's state first showed the node NotReady (time.monotonic()), read as its panel shows it."""

    def __init__(self, big: BigCluster, node: str) -> None:
        self.url = f"{big.url}/component/node/{node}/"
        self.at: float | None = None
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _poll(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            request = urllib.request.Request(self.url, headers={"HX-Request": "true"})
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read().decode()
                if "NotReady" in body:
                    self.at = time.monotonic()
                    return
            time.sleep(0.05)

    def remaining_ms(self) -> float:
        """How long the page still has: SHOWN_WITHIN_S from the moment the hub had the change."""
        self.thread.join(timeout=60)
        assert self.at is not None, f"the hub never showed {self.url} NotReady"
        return max(1.0, (self.at + SHOWN_WITHIN_S - time.monotonic()) * 1000)


def _node_down(big: BigCluster, node: str) -> HubWatch:
    watch = HubWatch(big, node)
    big.server.sim({"action": "node-down", "node": node})
    return watch


def _error_in_group(page: Page, group: str, watch: HubWatch) -> None:
    counts = re.compile(r"nodes: .*✖ 1 error")
    expect(page.locator(f'#diagram [id="{group}"]')).to_contain_text(counts, timeout=watch.remaining_ms())


def test_the_dashboard_shows_a_failed_node_in_the_problems_and_its_groups_counts(big, page):
    node = "worker-11"
    _goes_live(page, big.url)
    group = big.group_of(node)
    watch = _node_down(big, node)
    problem = page.locator(f'#problems li[data-id="node/{node}"]')
    expect(problem).to_contain_text("NotReady", timeout=watch.remaining_ms())
    _error_in_group(page, group, watch)
    expect(page.locator('#health-summary [data-health="error"]')).not_to_have_text("0")
    big.server.sim({"action": "node-up", "node": node})


def test_a_view_page_shows_a_failed_node_in_its_groups_counts(big, page):
    node = "worker-12"
    _goes_live(page, f"{big.url}/view/overview/")
    group = big.group_of(node)
    watch = _node_down(big, node)
    _error_in_group(page, group, watch)
    big.server.sim({"action": "node-up", "node": node})


def test_with_a_namespace_filter_a_failed_node_still_shows(big, page, artifacts):
    node = "worker-13"
    _goes_live(page, f"{big.url}/?namespace=default")
    group = big.group_of(node)
    watch = _node_down(big, node)
    problem = page.locator(f'#problems li[data-id="node/{node}"]')
    expect(problem).to_contain_text("NotReady", timeout=watch.remaining_ms())
    _error_in_group(page, group, watch)
    page.screenshot(path=artifacts / f"big-cluster-{big.nodes}-namespace.png")
    big.server.sim({"action": "node-up", "node": node})


def test_an_open_panel_of_a_component_inside_a_summary_follows_it_live(big, page):
    # At this size a kubelet is one of a node group's counted agents, not a drawn box: its panel
    # must follow it all the same, since the panel is part of what the page's socket carries.
    node = "worker-14"
    kubelet = f"kubelet/{node}"
    _goes_live(page, f"{big.url}/view/overview/?component={kubelet}")
    expect(page.locator("#detail")).to_contain_text("Running")
    assert page.locator(f'#diagram [id="{kubelet}"]').count() == 0, "the kubelet is counted, not drawn"
    watch = _node_down(big, node)
    expect(page.locator("#detail")).to_contain_text("Stopped", timeout=watch.remaining_ms() + 1000)
    big.server.sim({"action": "node-up", "node": node})
