"""The explorer served by daphne, reading a cluster (the local list/watch apiserver) as an operator would."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.cookiejar import CookieJar
from typing import Any

import pytest

from tests.conftest import ServerProcess
from tests.sources.kube.apiserver import FakeApiServer, load
from tests.sources.kube.test_source import seed_kind_cluster

POD = "pod/kube-system/coredns-558bd4d5db-gv559"


@pytest.fixture
def cluster():
    api = FakeApiServer()
    seed_kind_cluster(api)
    yield api
    api.stop()


def explorer(kubeconfig: Any, **env: str) -> ServerProcess:
    return ServerProcess({"EXPLORER_SOURCE": "kube", "KUBECONFIG": str(kubeconfig), **env})


def get_json(url: str, opener: Any = None) -> Any:
    with (opener or urllib.request.build_opener()).open(url, timeout=10) as response:
        return json.loads(response.read())


def eventually(check: Callable[[], bool], limit: float = 20.0) -> None:
    """Wait for the explorer to reach a state (the limit only keeps a broken test from hanging)."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the explorer never got there")
        time.sleep(0.1)


def healths(server: ServerProcess) -> dict[str, str]:
    return {c["id"]: c["health"] for c in get_json(f"{server.url}/api/state.json")["components"]}


def test_the_explorer_keeps_serving_while_the_apiserver_is_away_and_recovers(cluster, tmp_path):
    server = explorer(cluster.kubeconfig(tmp_path / "config"))
    try:
        assert healths(server)["node/kind-control-plane"] == "ok"
        cluster.stop()
        eventually(lambda: healths(server)["node/kind-control-plane"] == "unknown")
        state = get_json(f"{server.url}/api/state.json")
        node = next(c for c in state["components"] if c["id"] == "node/kind-control-plane")
        assert "cannot be reached" in node["detail"]["why"]
        assert get_json(f"{server.url}/healthz")["status"] == "ok"
        cluster.start()
        eventually(lambda: healths(server)["node/kind-control-plane"] == "ok")
    finally:
        server.stop()


def test_an_apiserver_away_at_start_is_explained_and_the_explorer_starts_when_it_is_back(cluster, tmp_path):
    config = cluster.kubeconfig(tmp_path / "config")
    cluster.stop()
    server = explorer(config)
    try:
        with urllib.request.urlopen(f"{server.url}/", timeout=10) as response:
            assert "cannot be reached" in response.read().decode()
        cluster.start()
        eventually(lambda: healths(server).get("node/kind-control-plane") == "ok")
        assert get_json(f"{server.url}/healthz")["source_error"] is None
    finally:
        server.stop()


def test_a_forbidden_collection_is_explained_in_the_page(cluster, tmp_path):
    cluster.forbidden.add("pods")
    server = explorer(cluster.kubeconfig(tmp_path / "config"))
    try:
        with urllib.request.urlopen(f"{server.url}/", timeout=10) as response:
            page = response.read().decode()
    finally:
        server.stop()
    assert "forbidden (403)" in page
    assert "list pods at the cluster scope" in page
    assert "Traceback" not in page


def test_the_context_picker_lists_the_contexts_and_moves_the_page_to_another_cluster(cluster, tmp_path):
    other = FakeApiServer()
    other.seed("nodes", load("nodes/nodelist-k3d-k3s-v1.24-arm64.json"))
    other.seed("pods", load("pods/podlist-kube-system-k3s-v1.24.json"))
    config = tmp_path / "config"
    kind = cluster.kubeconfig(tmp_path / "a", contexts=("kind",)).read_text()
    k3s = other.kubeconfig(tmp_path / "b", contexts=("k3s",)).read_text()
    config.write_text(_merge(kind, k3s))
    server = explorer(config)
    try:
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(f"{server.url}/", timeout=10) as response:
            page = response.read().decode()
        assert 'id="kube-context"' in page
        assert get_json(f"{server.url}/api/contexts/", opener) == {"contexts": ["kind", "k3s"], "current": "kind"}
        token = next(c.value for c in jar if c.name == "csrftoken")
        before = get_json(f"{server.url}/api/state.json")["seq"]
        request = urllib.request.Request(
            f"{server.url}/api/contexts/",
            data=json.dumps({"context": "k3s"}).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        assert get_json(request, opener)["current"] == "k3s"
        state = get_json(f"{server.url}/api/state.json")
        ids = {c["id"] for c in state["components"]}
        assert "node/k3d-mycluster-server-0" in ids
        assert "node/kind-control-plane" not in ids
        assert state["cluster"] == "k3s"
        assert state["seq"] > before  # the move arrives as numbered changes, so open pages follow it

        bad = urllib.request.Request(
            f"{server.url}/api/contexts/",
            data=json.dumps({"context": "prod"}).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        with pytest.raises(urllib.error.HTTPError) as error:
            opener.open(bad, timeout=10)
        assert "no context 'prod'" in json.loads(error.value.read())["error"]
    finally:
        server.stop()
        other.stop()


def _merge(first: str, second: str) -> str:
    """Two one-context kubeconfigs as one with both contexts (the first current)."""

    def parts(text: str) -> dict[str, str]:
        sections: dict[str, str] = {}
        key = ""
        for line in text.splitlines(keepends=True):
            if line.rstrip().endswith(":") and not line.startswith((" ", "-")):
                key = line.strip()[:-1]
                sections[key] = ""
            elif key and line.startswith(("-", " ")):
                sections[key] += line
        return sections

    a, b = parts(first), parts(second)
    body = "".join(f"{k}:\n{a[k]}{b[k]}" for k in ("clusters", "contexts", "users"))
    return f"apiVersion: v1\nkind: Config\n{body}current-context: kind\n"


@pytest.mark.browser
def test_the_page_draws_the_cluster_and_a_deleted_pod_leaves_it(cluster, tmp_path, page):
    server = explorer(cluster.kubeconfig(tmp_path / "config"))
    try:
        page.goto(f"{server.url}/")
        for cid in ("apiserver/kind-control-plane", "kubelet/kind-worker", "registry/k8s.gcr.io", POD):
            assert page.locator(f'[id="{cid}"]').count() == 1, cid
        page.wait_for_selector("#live-status[data-state='live']")
        pod = next(p for p in load("pods/podlist-kube-system-kind-v1.21.json") if p["metadata"]["name"] in POD)
        cluster.emit("pods", "DELETED", pod)
        page.wait_for_selector(f'[id="{POD}"]', state="detached")
        assert page.locator('[id="node/kind-worker"]').count() == 1

        cluster.stop()  # the apiserver goes away: unknown, with the reason in the timeline
        page.wait_for_selector('[id="node/kind-control-plane"].health-unknown')
        assert "cannot be reached" in page.locator("#timeline").inner_text()
        cluster.start()
        page.wait_for_selector('[id="node/kind-control-plane"].health-ok')
        assert "answers again" in page.locator("#timeline").inner_text()
    finally:
        server.stop()


@pytest.mark.browser
def test_picking_another_context_in_the_page_shows_that_cluster(cluster, tmp_path, page):
    other = FakeApiServer()
    other.seed("nodes", load("nodes/nodelist-k3d-k3s-v1.24-arm64.json"))
    other.seed("pods", load("pods/podlist-kube-system-k3s-v1.24.json"))
    kind = cluster.kubeconfig(tmp_path / "a", contexts=("kind",)).read_text()
    k3s = other.kubeconfig(tmp_path / "b", contexts=("k3s",)).read_text()
    (tmp_path / "config").write_text(_merge(kind, k3s))
    server = explorer(tmp_path / "config")
    try:
        page.goto(f"{server.url}/")
        assert page.locator('[id="node/kind-control-plane"]').count() == 1
        page.select_option("#kube-context", "k3s")
        page.wait_for_selector('[id="node/k3d-mycluster-server-0"]')
        assert page.locator('[id="node/kind-control-plane"]').count() == 0
        assert page.locator("#kube-context").input_value() == "k3s"
    finally:
        server.stop()
        other.stop()
