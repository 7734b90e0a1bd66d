"""Services, EndpointSlices and the workload controllers from a real cluster's objects, as the simulator draws them.

The objects are the fixtures' real ones (tests/fixtures/k8s/SOURCES.md). Where a
test needs them to meet (a ReplicaSet owning the kind cluster's CoreDNS pods, a
slice listing one of them), it renames an in-memory copy and says so.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from explorer.model import EdgeKind, Health, derive_edges
from explorer.model.kinds import missing_detail
from explorer.sources.kube import mapping
from explorer.sources.kube.index import ClusterIndex
from tests.sources.kube.apiserver import FakeApiServer, load
from tests.sources.kube.test_mapping import kind_index
from tests.sources.kube.test_source import make_source, seed_kind_cluster, until

NEW_KINDS = ("service", "endpointslice", "deployment", "replicaset", "daemonset", "statefulset")
CORE_DNS_POD = "coredns-558bd4d5db-gv559"  # Ready, on kind-control-plane, owned by ReplicaSet coredns-558bd4d5db


def renamed(obj: dict[str, Any], name: str, namespace: str) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj["metadata"].update(name=name, namespace=namespace)
    return obj


def network_and_workloads() -> dict[str, list[dict[str, Any]]]:
    """The fixtures' Service, slices and controllers, plus copies renamed to own and serve the kind cluster's pods.

    - the k9s Service, and a copy renamed kube-dns in kube-system (selector k8s-app=kube-dns);
    - the kind EndpointSliceList, its kube-dns-22mvb endpoint pointed at the kind fixture's CoreDNS pod;
    - the k9s Deployment icx-db and its real ReplicaSet, and copies renamed coredns / coredns-558bd4d5db;
    - the k9s DaemonSet, and a copy renamed kindnet (which owns kindnet-2xc82);
    - the k9s StatefulSet, and a copy renamed postgresql with its claim template renamed data, whose
      claim the PVC fixture's data-postgresql-0 is.
    """
    service = load("network/service-clusterip-k9s.json")[0]
    dns = renamed(service, "kube-dns", "kube-system")
    dns["spec"]["selector"] = {"k8s-app": "kube-dns"}
    slices = copy.deepcopy(load("network/endpointslicelist-kind-kube-dns.json"))
    slices[1]["endpoints"][0]["targetRef"]["name"] = CORE_DNS_POD
    deployment = load("workloads/deployment-k9s.json")[0]
    replicaset = load("workloads/replicaset-k9s.json")[0]
    coredns_rs = renamed(replicaset, "coredns-558bd4d5db", "kube-system")
    coredns_rs["metadata"]["ownerReferences"][0]["name"] = "coredns"
    daemonset = load("workloads/daemonset-k9s.json")[0]
    statefulset = load("workloads/statefulset-k9s.json")[0]
    postgresql = renamed(statefulset, "postgresql", "default")
    postgresql["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] = "data"
    return {
        "services": [service, dns],
        "endpointslices": slices,
        "deployments": [deployment, renamed(deployment, "coredns", "kube-system")],
        "replicasets": [replicaset, coredns_rs],
        "daemonsets": [daemonset, renamed(daemonset, "kindnet", "kube-system")],
        "statefulsets": [statefulset, postgresql],
    }


@pytest.fixture
def index() -> ClusterIndex:
    index = kind_index()
    index.replace("pvcs", load("storage/pvclist-default-bound-local-path.json"))
    for resource, items in network_and_workloads().items():
        index.replace(resource, items)
    return index


def edges_of(index: ClusterIndex, kind: EdgeKind) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in derive_edges(index.components.values()) if e.kind is kind}


def test_every_new_kind_has_its_id_and_the_registrys_detail_schema(index):
    for cid in (
        "service/default/dictionary1",
        "service/kube-system/kube-dns",
        "endpointslice/kube-system/kube-dns-22mvb",
        "endpointslice/default/kubernetes",
        "deployment/icx/icx-db",
        "replicaset/icx/icx-db-7d4b578979",
        "daemonset/kube-system/fluentd-gcp-v3.2.0",
        "statefulset/default/nginx-sts",
    ):
        assert cid in index.components, cid
    for c in index.components.values():
        assert missing_detail(c.kind, c.detail) == [], c.id
        if c.kind in NEW_KINDS:
            assert c.parent is None, c.id
            assert c.namespace, c.id
    assert {c.kind for c in index.components.values()} >= set(NEW_KINDS)


def test_the_workloads_read_as_kubectl_shows_them(index):
    deployment = index.components["deployment/icx/icx-db"]
    assert (deployment.status, deployment.health) == ("Available", Health.OK)
    assert deployment.detail["strategy"] == {"type": "RollingUpdate", "maxSurge": "25%", "maxUnavailable": "25%"}
    assert (deployment.detail["revision"], deployment.detail["image"]) == (1, "postgres:9.2-alpine")
    replicaset = index.components["replicaset/icx/icx-db-7d4b578979"]
    assert (replicaset.detail["owner"], replicaset.detail["templateHash"]) == ("Deployment/icx-db", "7d4b578979")
    daemonset = index.components["daemonset/kube-system/fluentd-gcp-v3.2.0"]
    assert (daemonset.detail["desired"], daemonset.detail["ready"]) == (2, 2)
    assert {"key": "", "value": "", "effect": "NoExecute"} in daemonset.detail["tolerations"]
    statefulset = index.components["statefulset/default/nginx-sts"]
    assert statefulset.detail["volumeClaimTemplates"] == [{"name": "www", "storageClass": None, "size": "1Mi"}]
    assert (statefulset.detail["serviceName"], statefulset.detail["ready"]) == ("nginx-sts", 4)


def test_a_deployment_with_unavailable_replicas_warns_and_says_how_many():
    deployment = copy.deepcopy(load("workloads/deployment-k9s.json")[0])
    deployment["spec"]["replicas"] = 3  # edited in memory: two more wanted than are available
    c = mapping.map_deployment(deployment)
    assert (c.status, c.health, c.detail["why"]) == ("Progressing", Health.WARNING, "1 of 3 pods ready")


def test_a_daemonset_short_of_ready_pods_warns():
    daemonset = copy.deepcopy(load("workloads/daemonset-k9s.json")[0])
    daemonset["status"]["numberReady"] = 1  # edited in memory
    assert mapping.map_daemonset(daemonset).health is Health.WARNING


def test_a_slice_counts_its_endpoints_by_node_and_its_service_adds_them_up(index):
    dns_slice = index.components["endpointslice/kube-system/kube-dns-22mvb"]
    assert (dns_slice.status, dns_slice.detail["service"], dns_slice.detail["addressType"]) == (
        "Ready",
        "kube-dns",
        "IPv4",
    )
    # The node comes from the older `topology` field this capture has.
    assert dns_slice.detail["byNode"] == {"kind-control-plane": {"ready": 1, "notReady": 0}}
    # The capture's address: a CoreDNS pod's IP in the control-plane node's 10.244.0.0/24.
    assert [e["addresses"] for e in dns_slice.detail["endpoints"]] == [["10.244.0.3"]]
    dns = index.components["service/kube-system/kube-dns"]
    assert (dns.status, dns.health, dns.detail["endpoints"]) == ("Active", Health.OK, {"ready": 1, "notReady": 0})
    assert dns.detail["ports"] == [{"name": "http", "protocol": "TCP", "port": 4001, "targetPort": "http"}]
    assert dns.detail["clusterIP"] == "10.47.248.116"


def test_a_service_no_slice_serves_warns(index):
    lonely = index.components["service/default/dictionary1"]
    assert (lonely.status, lonely.health) == ("NoReadyEndpoints", Health.WARNING)


def test_owner_edges_follow_owner_references_and_the_claim_naming(index):
    owns = edges_of(index, EdgeKind.OWNS)
    assert ("deployment/icx/icx-db", "replicaset/icx/icx-db-7d4b578979") in owns
    assert ("deployment/kube-system/coredns", "replicaset/kube-system/coredns-558bd4d5db") in owns
    assert ("replicaset/kube-system/coredns-558bd4d5db", f"pod/kube-system/{CORE_DNS_POD}") in owns
    assert ("daemonset/kube-system/kindnet", "pod/kube-system/kindnet-2xc82") in owns
    assert ("service/kube-system/kube-dns", "endpointslice/kube-system/kube-dns-22mvb") in owns
    # data-postgresql-0 has no ownerReference: its name is the StatefulSet's template `data`, `postgresql`, 0.
    assert index.components["pvc/default/data-postgresql-0"].detail["owner"] == "StatefulSet/postgresql"
    assert ("statefulset/default/postgresql", "pvc/default/data-postgresql-0") in owns
    assert index.components["pvc/default/redis-data-redis-replicas-0"].detail["owner"] == ""


def test_traffic_edges_a_service_routes_to_ready_endpoints_and_every_kube_proxy_programs_it(index):
    assert edges_of(index, EdgeKind.ROUTES) == {("service/kube-system/kube-dns", f"pod/kube-system/{CORE_DNS_POD}")}
    programs = edges_of(index, EdgeKind.PROGRAMS)
    services = {c.id for c in index.components.values() if c.kind == "service"}
    proxies = {c.id for c in index.components.values() if c.kind == "kube-proxy"}
    assert proxies == {"kube-proxy/kind-control-plane"}
    assert programs == {(p, s) for p in proxies for s in services}
    proxy = index.components["kube-proxy/kind-control-plane"]
    assert proxy.detail["rules"] == {"state": "synced", "staleSince": None}
    assert proxy.detail["version"].startswith("v1.21")


def test_a_statefulset_named_after_a_claim_later_claims_it():
    index = ClusterIndex("kind")
    index.replace("pvcs", load("storage/pvclist-default-bound-local-path.json"))
    assert index.components["pvc/default/data-postgresql-0"].detail["owner"] == ""
    postgresql = network_and_workloads()["statefulsets"][1]
    changes = index.apply("statefulsets", "ADDED", postgresql)
    assert {c.component.id for c in changes} == {"statefulset/default/postgresql", "pvc/default/data-postgresql-0"}
    changes = index.apply("statefulsets", "DELETED", postgresql)
    claim = next(c.component for c in changes if c.component.id == "pvc/default/data-postgresql-0")
    assert claim.detail["owner"] == ""


def test_a_relist_without_a_slice_takes_it_and_its_endpoints_away(index):
    """After 410 Gone the slices are listed afresh: one no page names is gone, its Service counts none."""
    kubernetes_only = [network_and_workloads()["endpointslices"][0]]
    changes = {c.component.id: c for c in index.replace("endpointslices", kubernetes_only)}
    assert changes["endpointslice/kube-system/kube-dns-22mvb"].type.value == "removed"
    dns = changes["service/kube-system/kube-dns"].component
    assert (dns.health, dns.detail["endpoints"]) == (Health.WARNING, {"ready": 0, "notReady": 0})
    assert not edges_of(index, EdgeKind.ROUTES)


def test_an_endpoint_whose_conditions_are_unset_counts_as_ready_as_the_api_says():
    endpoint_slice = copy.deepcopy(network_and_workloads()["endpointslices"][1])
    del endpoint_slice["endpoints"][0]["conditions"]  # edited in memory: "nil ... interpreted as ready"
    c = mapping.map_endpointslice(endpoint_slice)
    assert c.detail["endpoints"][0]["ready"] is True
    assert c.detail["endpoints"][0]["serving"] is True
    assert c.detail["endpoints"][0]["terminating"] is False


def test_an_external_name_service_has_no_endpoints_and_is_fine():
    service = copy.deepcopy(load("network/service-clusterip-k9s.json")[0])
    service["spec"] = {"type": "ExternalName", "externalName": "db.example.org"}  # edited in memory
    c = mapping.map_service(service, 0, 0)
    assert (c.status, c.health, c.detail["clusterIP"]) == ("Active", Health.OK, None)


# -- through the watches of a real client against the local apiserver -------------------------------


@pytest.fixture
def api():
    server = FakeApiServer()
    seed_kind_cluster(server)
    for resource, items in network_and_workloads().items():
        server.seed(resource, items)
    yield server
    server.stop()


@pytest.fixture
async def started(api, tmp_path):
    source = make_source(api.kubeconfig(tmp_path / "config"))
    state = await source.start()
    yield source, state, source.changes()
    await source.close()


def changed(cid: str):
    return lambda c: getattr(getattr(c, "component", None), "id", None) == cid


async def test_the_first_list_has_every_new_kind_and_its_edges(started, api):
    _, state, _ = started
    assert {c.kind for c in state.components.values()} >= set(NEW_KINDS)
    edges = {(e.source, e.target, e.kind) for e in state.edges}
    assert ("service/kube-system/kube-dns", f"pod/kube-system/{CORE_DNS_POD}", EdgeKind.ROUTES) in edges
    assert ("kube-proxy/kind-control-plane", "service/kube-system/kube-dns", EdgeKind.PROGRAMS) in edges
    read = {path.split("?", 1)[0] for method, path in api.requests if method == "GET"}
    assert read >= {
        "/api/v1/services",
        "/apis/discovery.k8s.io/v1/endpointslices",
        *(f"/apis/apps/v1/{r}" for r in ("deployments", "replicasets", "daemonsets", "statefulsets")),
    }


@pytest.mark.parametrize(
    ("resource", "index_in_seed", "edit", "cid", "expected"),
    [
        ("services", 0, ("spec", "type", "NodePort"), "service/default/dictionary1", ("type", "NodePort")),
        ("deployments", 0, ("status", "availableReplicas", 0), "deployment/icx/icx-db", ("available", 0)),
        ("replicasets", 0, ("status", "readyReplicas", 0), "replicaset/icx/icx-db-7d4b578979", ("ready", 0)),
        ("daemonsets", 0, ("status", "numberReady", 1), "daemonset/kube-system/fluentd-gcp-v3.2.0", ("ready", 1)),
        ("statefulsets", 0, ("status", "readyReplicas", 3), "statefulset/default/nginx-sts", ("ready", 3)),
        (
            "endpointslices",
            0,
            ("addressType", None, "IPv6"),
            "endpointslice/default/kubernetes",
            ("addressType", "IPv6"),
        ),
    ],
)
async def test_a_watch_event_of_each_new_kind_updates_its_component(
    started, api, resource, index_in_seed, edit, cid, expected
):
    _, _, stream = started
    obj = copy.deepcopy(network_and_workloads()[resource][index_in_seed])
    section, key, value = edit
    if key is None:
        obj[section] = value
    else:
        obj[section][key] = value
    api.emit(resource, "MODIFIED", obj)
    change = await until(stream, changed(cid))
    assert change.type.value == "updated"
    assert change.component.detail[expected[0]] == expected[1]


async def test_an_endpoint_turning_not_ready_takes_its_routes_edge_away(started, api):
    source, _, stream = started
    slices = network_and_workloads()["endpointslices"]
    dns_slice = copy.deepcopy(slices[1])
    dns_slice["endpoints"][0]["conditions"]["ready"] = False
    api.emit("endpointslices", "MODIFIED", dns_slice)
    change = await until(stream, changed("service/kube-system/kube-dns"))
    assert (change.component.health, change.component.detail["endpoints"]) == (
        Health.WARNING,
        {"ready": 0, "notReady": 1},
    )
    state = source.index.state()
    assert not [e for e in state.edges if e.kind is EdgeKind.ROUTES]
    assert state.components["endpointslice/kube-system/kube-dns-22mvb"].status == "NotReady"


async def test_a_deleted_service_takes_its_component_and_edges_with_it(started, api):
    source, _, stream = started
    dns = network_and_workloads()["services"][1]
    api.emit("services", "DELETED", dns)
    change = await until(stream, changed("service/kube-system/kube-dns"))
    assert change.type.value == "removed"
    edges = source.index.state().edges
    assert not [e for e in edges if "service/kube-system/kube-dns" in (e.source, e.target)]
