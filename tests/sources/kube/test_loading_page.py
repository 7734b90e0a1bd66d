"""A large cluster's first lists take seconds: the page says how far they got, then draws the cluster."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from explorer.sources.kube.client import COLLECTIONS
from tests.conftest import ServerProcess
from tests.scaleout.conftest import HubProcess, RedisServer
from tests.sources.kube.apiserver import FakeApiServer
from tests.sources.kube.test_page import eventually
from tests.sources.kube.test_source import seed_kind_cluster

ALL = len(COLLECTIONS)  # every collection the source lists, events too
POD = "pod/kube-system/coredns-558bd4d5db-gv559"


@pytest.fixture
def cluster() -> Iterator[FakeApiServer]:
    api = FakeApiServer()
    seed_kind_cluster(api)
    yield api
    api.stop()


def loading(server: ServerProcess) -> str:
    with urllib.request.urlopen(f"{server.url}/api/loading/", timeout=10) as response:
        return str(response.read().decode())


class Explorer:
    """The explorer reading `kubeconfig`: one daphne (embedded), or a hub and a web worker on Redis."""

    def __init__(self, mode: str, kubeconfig: Path):
        env = {"EXPLORER_SOURCE": "kube", "KUBECONFIG": str(kubeconfig)}
        self.redis: RedisServer | None = None
        self.hub: Any = None
        self.pool = ThreadPoolExecutor(1)
        if mode == "scaled-out":
            self.redis = RedisServer()
            # The hub says it runs once its first picture is there: started aside, as the lists are held.
            self.hub = self.pool.submit(HubProcess, self.redis.url, env=env)
            env = {**env, "REDIS_URL": self.redis.url}
        self.web = ServerProcess(env)

    def stop(self) -> None:
        self.web.stop()
        try:
            if self.hub is not None:
                self.hub.result(timeout=60).stop()
        finally:
            if self.redis is not None:
                self.redis.stop()
            self.pool.shutdown()


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["embedded", "scaled-out"])
def test_while_the_pods_list_the_page_shows_progress_then_the_cluster(cluster, tmp_path, page, mode):
    cluster.hold("pods")
    explorer = Explorer(mode, cluster.kubeconfig(tmp_path / "config"))
    try:
        # Every collection but the pods has answered, and their objects counted.
        eventually(lambda: f"{ALL - 1} of {ALL} collections listed" in loading(explorer.web), limit=30)
        page.goto(f"{explorer.web.url}/")
        banner = page.locator("#loading")
        assert banner.is_visible()
        text = banner.inner_text()
        assert f"Reading the cluster: {ALL - 1} of {ALL} collections listed" in text
        objects = int(text.split("listed, ")[1].split(" objects")[0])
        assert objects >= 3 + 3 + 3  # at least the nodes, their Leases and the volumes
        assert page.locator(f'[id="{POD}"]').count() == 0
        # The wall screen's kiosk page says so too: nobody there would reload it.
        kiosk = page.context.new_page()
        kiosk.goto(f"{explorer.web.url}/?kiosk=1")
        assert f"{ALL - 1} of {ALL} collections listed" in kiosk.locator("#loading").inner_text()

        cluster.release("pods")
        # The picture arrives in the open page, and the progress goes away.
        page.wait_for_selector(f'[id="{POD}"]', timeout=30_000)
        page.wait_for_selector("#loading", state="hidden", timeout=10_000)
        kiosk.wait_for_selector(f'[id="{POD}"]', timeout=30_000)
        kiosk.wait_for_selector("#loading", state="hidden", timeout=10_000)
        assert page.locator('[id="node/kind-control-plane"]').count() == 1
        # The page holds the whole picture, not just a redrawn diagram: its health counts are the server's.
        with urllib.request.urlopen(f"{explorer.web.url}/api/state.json", timeout=10) as response:
            components = json.loads(response.read())["components"]
        ok = sum(1 for c in components if c["health"] == "ok")
        assert ok > 10
        counted = "document.querySelector('#health-summary [data-health=ok]').textContent"
        # Within two of it: a Lease may age in between.
        page.wait_for_function(f"ok => Number({counted}) >= ok - 2", arg=ok, timeout=10_000)
        assert 'id="loading" hidden' in loading(explorer.web)
    finally:
        cluster.release("pods")
        explorer.stop()


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["embedded", "scaled-out"])
def test_a_context_switch_slower_than_a_command_says_it_is_reading_and_then_shows_that_cluster(
    cluster, tmp_path, page, mode
):
    """Another context's first lists may take longer than a command's 5 s: scaled out, the web worker used
    to give up with "the hub did not answer"; now it waits for them, and the picker says what is going on."""
    from tests.sources.kube.apiserver import load
    from tests.sources.kube.test_page import _merge

    other = FakeApiServer()
    other.seed("nodes", load("nodes/nodelist-k3d-k3s-v1.24-arm64.json"))
    other.seed("pods", load("pods/podlist-kube-system-k3s-v1.24.json"))
    kind = cluster.kubeconfig(tmp_path / "a", contexts=("kind",)).read_text()
    k3s = other.kubeconfig(tmp_path / "b", contexts=("k3s",)).read_text()
    (tmp_path / "config").write_text(_merge(kind, k3s))
    explorer = Explorer(mode, tmp_path / "config")
    try:
        page.goto(f"{explorer.web.url}/")
        page.wait_for_selector('[id="node/kind-control-plane"]')
        other.hold("pods")
        page.select_option("#kube-context", "k3s")
        switching = page.locator("#context-picker .switching")
        switching.wait_for(state="visible", timeout=5_000)
        assert switching.inner_text() == "Reading that cluster's lists…"
        assert page.locator("#kube-context").is_disabled()  # no second switch while the first is on its way
        page.wait_for_timeout(6_000)  # longer than a command may take
        assert page.locator("#context-error").inner_text() == ""
        other.release("pods")
        page.wait_for_selector('[id="node/k3d-mycluster-server-0"]', timeout=30_000)
        assert page.locator('[id="node/kind-control-plane"]').count() == 0
        assert page.locator("#kube-context").input_value() == "k3s"
    finally:
        other.release("pods")
        explorer.stop()
        other.stop()
