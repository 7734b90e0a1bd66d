"""KubeSource against a local apiserver that speaks list/watch, through the real kubernetes client."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import html
import ipaddress
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from explorer.diagrams import DiagramRenderer
from explorer.model import ComponentChange, Event, Health
from explorer.sources.base import SourceError
from explorer.sources.kube import KubeSource
from tests.sources.kube.apiserver import FakeApiServer, load

PODS = [
    "pods/pod-crashloopbackoff.json",
    "pods/pod-errimagepull.json",
    "pods/pod-with-pvc-volume-pending-podinitializing.json",
]


def _fresh(lease: dict[str, Any]) -> dict[str, Any]:
    lease = copy.deepcopy(lease)
    lease["spec"]["renewTime"] = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    return lease


def seed_kind_cluster(api: FakeApiServer) -> None:
    """The kind v1.21 cluster's real objects, with its Leases renewed just now."""
    api.seed("nodes", load("nodes/nodelist-kind-v1.20-3nodes-worker-notready.json"))
    api.seed("pods", load("pods/podlist-kube-system-kind-v1.21.json") + [p for f in PODS for p in load(f)])
    api.seed("node-leases", [_fresh(x) for x in load("leases/leaselist-kube-node-lease-v1.21.json")])
    api.seed("leader-leases", [_fresh(x) for x in load("leases/leaselist-kube-system-leader-election-v1.21.json")])
    api.seed("pvs", load("storage/pvlist-k3d-local-path-bound.json"))
    api.seed("pvcs", load("storage/pvclist-default-bound-local-path.json"))
    api.seed("storageclasses", load("storage/storageclasslist-k3d-local-path-default.json"))
    api.seed("events", load("events/eventlist-image-pull-fail-troubleshoot.json"))


@pytest.fixture
def api():
    server = FakeApiServer()
    seed_kind_cluster(server)
    yield server
    server.stop()


def make_source(kubeconfig: Path, **options: Any) -> KubeSource:
    options = {"backoff": (0.05, 0.3), "tick": 0.2, "watch_timeout": 30, **options}
    return KubeSource(kubeconfig=str(kubeconfig), **options)


@pytest.fixture
async def started(api, tmp_path):
    source = make_source(api.kubeconfig(tmp_path / "config"))
    state = await source.start()
    stream = source.changes()
    yield source, state, stream
    await source.close()


async def until(stream: Any, found: Callable[[Any], bool], limit: float = 15.0) -> Any:
    """The first change the predicate accepts (the limit only stops a broken test from hanging)."""
    async with asyncio.timeout(limit):
        while True:
            for change in await anext(stream):
                if found(change):
                    return change


def component(change: Any, cid: str) -> bool:
    return isinstance(change, ComponentChange) and change.component.id == cid


async def test_the_first_list_shows_control_plane_nodes_agents_pods_volumes_and_registries(started):
    _, state, _ = started
    ids = set(state.components)
    for cid in (
        "apiserver/kind-control-plane",
        "etcd/kind-control-plane",
        "scheduler/kind-control-plane",
        "controller-manager/kind-control-plane",
        "node/kind-worker",
        "kubelet/kind-worker2",
        "runtime/kind-control-plane",
        "kube-proxy/kind-control-plane",
        "pod/kube-system/coredns-558bd4d5db-gv559",
        "pv/pvc-a7115a58-9c65-490c-b7d3-034c2e0ea135",
        "pvc/default/data-postgresql-0",
        "storageclass/local-path",
        "registry/k8s.gcr.io",
    ):
        assert cid in ids, cid
    assert state.components["scheduler/kind-control-plane"].status == "Leader"
    assert state.components["node/kind-worker"].health is Health.ERROR
    assert state.cluster == "test"
    # Where pods' addresses come from, and a pod's own: the nodes' spec.podCIDR and status.podIP.
    assert state.components["node/kind-control-plane"].detail["podCIDR"] == "10.244.0.0/24"
    assert state.components["pod/kube-system/coredns-558bd4d5db-gv559"].detail["ip"] == "10.244.0.4"


async def test_the_existing_events_open_the_timeline(started):
    _, _, stream = started
    event = await until(stream, lambda c: isinstance(c, Event))
    assert event.involved.startswith("pod/message-image-pull-fail/")


async def test_a_pod_added_modified_and_deleted_with_the_watch_follows(started, api):
    _, _, stream = started
    pod = load("pods/pod-failed-oomkilled.json")[0]
    cid = f"pod/{pod['metadata']['namespace']}/{pod['metadata']['name']}"
    api.emit("pods", "ADDED", pod)
    added = await until(stream, lambda c: component(c, cid))
    assert added.type.value == "added"
    assert added.component.status == "OOMKilled"

    running = copy.deepcopy(pod)
    running["status"] = load("pods/pod-crashloopbackoff.json")[0]["status"]
    api.emit("pods", "MODIFIED", running)
    updated = await until(stream, lambda c: component(c, cid))
    assert (updated.type.value, updated.component.status) == ("updated", "CrashLoopBackOff")

    api.emit("pods", "DELETED", running)
    removed = await until(stream, lambda c: component(c, cid))
    assert removed.type.value == "removed"


async def test_a_node_turning_not_ready_reaches_node_kubelet_and_runtime(started, api):
    _, _, stream = started
    node = next(
        n
        for n in load("nodes/nodelist-kind-v1.20-3nodes-worker-notready.json")
        if n["metadata"]["name"] == "kind-worker2"
    )
    for condition in node["status"]["conditions"]:
        if condition["type"] == "Ready":
            condition.update(
                status="Unknown", reason="NodeStatusUnknown", message="Kubelet stopped posting node status."
            )
    api.emit("nodes", "MODIFIED", node)
    async with asyncio.timeout(15):
        batch = []
        while not any(component(c, "node/kind-worker2") for c in batch):
            batch = await anext(stream)
    changed = {c.component.id: c.component for c in batch if isinstance(c, ComponentChange)}
    assert changed["kubelet/kind-worker2"].health is Health.UNKNOWN
    node = changed["node/kind-worker2"]
    assert (node.status, node.health) == ("NotReady", Health.UNKNOWN)  # as kubectl prints it
    assert changed["runtime/kind-worker2"].health is Health.UNKNOWN


async def test_a_watch_resumes_from_the_last_bookmark_after_a_dropped_connection(started, api):
    _, _, stream = started
    api.emit("pods", "ADDED", load("pods/pod-failed-oomkilled.json")[0])
    await until(stream, lambda c: isinstance(c, ComponentChange) and "oom" in c.component.id)
    api.bookmark("pods")
    bookmark_version = str(api.version)
    await asyncio.sleep(0.3)  # let the bookmark cross before the connection is cut
    before = len(api.requests)
    api.drop("pods")

    later = load("pods/pod-pending-unschedulable-insufficient-resources.json")[0]
    api.emit("pods", "ADDED", later)
    await until(stream, lambda c: isinstance(c, ComponentChange) and c.component.name == later["metadata"]["name"])
    resumed = [
        parse_qs(urlparse(path).query)
        for _, path in api.requests[before:]
        if path.startswith("/api/v1/pods") and "watch=true" in path
    ]
    assert resumed[0]["resourceVersion"] == [bookmark_version]


async def test_410_gone_makes_the_source_list_again_and_drop_what_went_away(started, api):
    _, state, stream = started
    gone = "pod/kube-system/coredns-558bd4d5db-vzb6x"
    assert gone in state.components
    with api.lock:  # deleted while the history was compacted: only a fresh list can tell
        del api.collections["pods"].items[("kube-system", "coredns-558bd4d5db-vzb6x")]
        api.version += 1
    api.expire("pods")
    removed = await until(stream, lambda c: component(c, gone))
    assert removed.type.value == "removed"
    lists = [p for _, p in api.requests if p.startswith("/api/v1/pods") and "watch" not in p]
    assert len(lists) >= 2


async def test_the_server_going_away_turns_components_unknown_and_it_recovers(started, api):
    _, _, stream = started
    api.stop()
    down = await until(stream, lambda c: component(c, "node/kind-control-plane"))
    assert down.component.health is Health.UNKNOWN
    assert "cannot be reached" in down.component.detail["why"]
    api.start()
    up = await until(stream, lambda c: component(c, "node/kind-control-plane") and c.component.health is Health.OK)
    assert up.component.status == "Ready"
    assert up.component.detail["why"] == ""


async def test_the_source_sends_nothing_but_get(started, api):
    _, _, stream = started
    api.emit("pods", "ADDED", load("pods/pod-failed-oomkilled.json")[0])
    await until(stream, lambda c: isinstance(c, ComponentChange) and "oom" in c.component.id)
    api.drop_all()
    api.expire("nodes")
    await asyncio.sleep(1.0)
    methods = {method for method, _ in api.requests}
    assert methods == {"GET"}
    assert len(api.requests) > 10


async def test_a_hidden_control_plane_becomes_one_managed_apiserver_with_its_checks(tmp_path):
    api = FakeApiServer()
    try:
        api.seed("nodes", load("nodes/nodelist-k3d-k3s-v1.24-arm64.json"))
        api.seed("pods", load("pods/podlist-kube-system-k3s-v1.24.json"))
        api.readyz_ok = False
        source = make_source(api.kubeconfig(tmp_path / "config"))
        state = await source.start()
        await source.close()
    finally:
        api.stop()
    managed = state.components["apiserver/managed"]
    assert managed.health is Health.ERROR
    assert managed.detail["checks"]["readyz"]["etcd"].startswith("failed")
    assert managed.detail["checks"]["livez"]["etcd"] == "ok"
    assert not [c for c in state.components if c.startswith("etcd/")]
    svg = html.unescape(DiagramRenderer().svg(state, "overview"))
    assert 'id="apiserver/managed"' in svg
    assert 'id="node/k3d-mycluster-server-0"' in svg


# -- what a person is told when it cannot start ----------------------------------------------


async def start_error(source: KubeSource) -> str:
    with pytest.raises(SourceError) as error:
        await source.start()
    await source.close()
    return str(error.value)


async def test_no_kubeconfig_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    message = await start_error(make_source(tmp_path / "missing"))
    assert "no kubeconfig" in message
    assert str(tmp_path / "missing") in message


async def test_in_a_pod_without_a_service_account_token_the_in_cluster_failure_is_said(monkeypatch):
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "6443")
    message = await start_error(KubeSource())
    assert message.startswith("in-cluster configuration failed")


async def test_an_unknown_context_lists_the_known_ones(api, tmp_path):
    config = api.kubeconfig(tmp_path / "config", contexts=("prod", "staging"))
    message = await start_error(make_source(config, context="qa"))
    assert "'qa'" in message
    assert "prod, staging" in message


async def test_an_unreachable_server_is_named(api, tmp_path):
    config = api.kubeconfig(tmp_path / "config")
    api.stop()
    message = await start_error(make_source(config))
    assert "cannot be reached" in message
    assert api.url in message


async def test_a_wrong_token_is_a_401_about_credentials(api, tmp_path):
    message = await start_error(make_source(api.kubeconfig(tmp_path / "config", token="stale")))
    assert "401" in message
    assert "credentials" in message


async def test_a_403_names_the_verb_and_the_resource_the_rbac_lacks(api, tmp_path):
    api.forbidden.add("leader-leases")
    message = await start_error(make_source(api.kubeconfig(tmp_path / "config")))
    assert "403" in message
    assert "list leases.coordination.k8s.io in namespace kube-system" in message


def _self_signed(tmp_path: Path) -> ssl.SSLContext:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-apiserver")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


async def test_a_certificate_the_kubeconfig_does_not_trust_is_a_tls_failure(tmp_path):
    api = FakeApiServer(tls=_self_signed(tmp_path))
    try:
        message = await start_error(make_source(api.kubeconfig(tmp_path / "config")))
    finally:
        api.stop()
    assert "TLS failure" in message
    assert "certificate" in message


async def test_while_a_managed_apiservers_readyz_fails_its_watched_components_are_possibly_stale(tmp_path):
    api = FakeApiServer()
    try:
        api.seed("nodes", load("nodes/nodelist-k3d-k3s-v1.24-arm64.json"))
        api.seed("pods", load("pods/podlist-kube-system-k3s-v1.24.json"))
        source = make_source(api.kubeconfig(tmp_path / "config"), health_interval=0.2)
        state = await source.start()
        stream = source.changes()
        node = next(c for c in state.components.values() if c.kind == "node")
        assert node.health is Health.OK
        api.readyz_ok = False  # draining: /readyz fails, the open watches stay quiet
        doubted = await until(stream, lambda c: component(c, node.id) and "stale_since" in c.component.detail)
        assert doubted.component.health is Health.UNKNOWN
        assert "/readyz answered 500" in doubted.component.detail["why"]
        api.readyz_ok = True
        back = await until(stream, lambda c: component(c, node.id) and "stale_since" not in c.component.detail)
        assert back.component.health is Health.OK
        await source.close()
    finally:
        api.stop()


async def test_a_burst_the_hub_cannot_keep_up_with_waits_in_the_connection_not_in_memory(api, tmp_path, monkeypatch):
    """While nobody reads the changes, the index stops after a few batches, the inbox fills to its limit and
    the watch waits; then every event still arrives, none lost."""
    from explorer.sources.kube import source as kube_source

    monkeypatch.setattr(kube_source, "INBOX_LIMIT", 40)
    monkeypatch.setattr(kube_source, "BATCHES_IN_FLIGHT", 1)
    source = make_source(api.kubeconfig(tmp_path / "config"), tick=0.05)
    await source.start()
    try:
        template = load("pods/pod-failed-oomkilled.json")[0]
        wanted = set()
        for n in range(1500):
            pod = copy.deepcopy(template)
            pod["metadata"]["name"] = f"burst-{n}"
            pod["metadata"]["uid"] = f"uid-burst-{n}"
            wanted.add(f"pod/{pod['metadata']['namespace']}/burst-{n}")
            api.emit("pods", "ADDED", pod)
        most_held = most_batches = 0
        for _ in range(40):  # two seconds of nobody reading
            await asyncio.sleep(0.05)
            most_held = max(most_held, source._inbox.held)
            most_batches = max(most_batches, source._in_flight)
        assert 30 <= most_held <= 40  # the inbox filled up to its limit, and the watch waited there
        assert most_batches <= 3
        seen: set[str] = set()
        stream = source.changes()
        async with asyncio.timeout(30):
            while not wanted <= seen:
                seen.update(c.component.id for c in await anext(stream) if isinstance(c, ComponentChange))
    finally:
        await source.close()
