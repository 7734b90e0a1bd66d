"""Health probes pass whatever Host they name; every other path still checks the Host.

Against a real daphne with the allow-list deploy/explorer.yaml sets, asked as a
kubelet asks: `Host: <pod IP>:<port>`.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import ServerProcess

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "explorer.yaml"


def the_container() -> dict:
    deployment = next(d for d in yaml.safe_load_all(MANIFEST.read_text()) if d and d["kind"] == "Deployment")
    return deployment["spec"]["template"]["spec"]["containers"][0]


@pytest.fixture(scope="module")
def in_cluster_server(tmp_path_factory):
    env = {e["name"]: e["value"] for e in the_container()["env"] if "value" in e}
    # The manifest's allow-list; a simulated cluster stands in for the real one.
    process = ServerProcess(
        env={"DJANGO_ALLOWED_HOSTS": env["DJANGO_ALLOWED_HOSTS"], "EXPLORER_SOURCE": "sim"},
        database=tmp_path_factory.mktemp("probe") / "explorer.sqlite3",
    )
    yield process
    process.stop()


def probe(server: ServerProcess, path: str, method: str = "GET") -> tuple[int, bytes]:
    """What a kubelet's httpGet probe sends: the pod's IP and the port as Host, kube-probe as the agent."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        headers = {"Host": "10.244.1.17:8000", "User-Agent": "kube-probe/1.31", "Accept": "*/*"}
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_manifest_probes_ask_the_health_endpoint():
    container = the_container()
    for name in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[name]["httpGet"]["path"] == "/healthz"


def test_a_probe_naming_the_pod_ip_as_host_gets_ok(in_cluster_server):
    status, body = probe(in_cluster_server, "/healthz")
    assert status == 200
    assert json.loads(body)["status"] == "ok"


def test_other_paths_still_refuse_a_host_that_is_not_allowed(in_cluster_server):
    status, _ = probe(in_cluster_server, "/api/state.json")
    assert status == 400


def test_the_health_endpoint_still_takes_only_get(in_cluster_server):
    status, _ = probe(in_cluster_server, "/healthz", method="POST")
    assert status == 405
