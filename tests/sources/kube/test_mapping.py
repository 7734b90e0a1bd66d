"""From real API objects to components: what kubectl would say, and the edges it implies."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from explorer.model import EdgeKind, Health, derive_edges
from explorer.sources.kube import mapping
from explorer.sources.kube.index import ClusterIndex
from tests.sources.kube.apiserver import FIXTURES, load

KIND_NOW = datetime(2021, 8, 17, 17, 44, 0, tzinfo=UTC)  # seconds after the kind fixtures' Leases were renewed


def kind_index(now: datetime = KIND_NOW) -> ClusterIndex:
    index = ClusterIndex("kind", clock=lambda: now)
    index.replace("nodes", load("nodes/nodelist-kind-v1.20-3nodes-worker-notready.json"))
    index.replace("pods", load("pods/podlist-kube-system-kind-v1.21.json"))
    index.replace("node-leases", load("leases/leaselist-kube-node-lease-v1.21.json"))
    index.replace("leader-leases", load("leases/leaselist-kube-system-leader-election-v1.21.json"))
    return index


@pytest.mark.parametrize(
    ("fixture", "status", "health"),
    [
        ("pods/pod-crashloopbackoff.json", "CrashLoopBackOff", Health.ERROR),
        ("pods/pod-errimagepull.json", "ErrImagePull", Health.ERROR),
        ("pods/pod-failed-oomkilled.json", "OOMKilled", Health.ERROR),
        ("pods/pod-init-container-crashloopbackoff.json", "Init:RunContainerError", Health.ERROR),
        ("pods/pod-pending-unschedulable-insufficient-resources.json", "Pending", Health.WARNING),
        ("pods/pod-with-pvc-volume-pending-podinitializing.json", "Init:0/1", Health.WARNING),
        ("pods/pod-succeeded-helm-install-traefik-k3s.json", "Completed", Health.OK),
        ("pods/pod-native-sidecar-k9s.json", "Running", Health.OK),
    ],
)
def test_a_pod_shows_the_status_kubectl_prints(fixture, status, health):
    pod = mapping.map_pod(load(fixture)[0])
    assert (pod.status, pod.health) == (status, health)


def test_an_unschedulable_pod_says_why_and_sits_on_no_node():
    pod = mapping.map_pod(load("pods/pod-pending-unschedulable-insufficient-resources.json")[0])
    assert pod.parent is None
    assert "Insufficient" in pod.detail["why"]


def test_an_unschedulable_pod_carries_its_failed_scheduling_message_as_the_decision_table():
    """The message shape of pkg/scheduler/framework/types.go (FitError.Error): "0/N nodes are available: <histogram>."
    then "preemption: ..." from pkg/scheduler/framework/preemption/preemption.go."""
    pod = mapping.map_pod(load("pods/pod-pending-unschedulable-insufficient-resources.json")[0])
    decision = pod.detail["scheduling"]
    assert decision["result"] == "FailedScheduling"
    assert decision["nodes"] == 1
    assert decision["filters"] == [{"verdict": "Insufficient nvidia.com/gpu", "count": 1, "nodes": []}]
    assert decision["preemption"] == "0/1 nodes are available: 1 No preemption victims found for incoming pod"
    assert decision["scores"] == []


def test_a_running_pod_has_no_scheduling_table():
    assert mapping.map_pod(load("pods/pod-native-sidecar-k9s.json")[0]).detail["scheduling"] is None


def test_a_crashlooping_pod_counts_its_restarts():
    assert mapping.map_pod(load("pods/pod-crashloopbackoff.json")[0]).detail["restarts"] == 4


def test_a_pod_being_deleted_is_terminating():
    pod = copy.deepcopy(load("pods/pod-native-sidecar-k9s.json")[0])
    pod["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    assert mapping.map_pod(pod).status == "Terminating"


def test_nodes_carry_role_taints_capacity_and_ready():
    index = kind_index()
    cp = index.components["node/kind-control-plane"]
    assert cp.detail["role"] == "control-plane"
    assert {"key": "node-role.kubernetes.io/master", "value": "", "effect": "NoSchedule"} in cp.detail["taints"]
    assert cp.detail["capacity"]["cpu"]
    worker = index.components["node/kind-worker"]
    assert (worker.status, worker.health, worker.detail["role"]) == ("NotReady", Health.ERROR, "worker")
    assert "KubeletNotReady" in worker.detail["why"]


def test_every_node_has_its_kubelet_and_runtime_with_versions():
    index = kind_index()
    for name in ("kind-control-plane", "kind-worker", "kind-worker2"):
        assert index.components[f"kubelet/{name}"].detail["version"] == "v1.20.0"
        assert index.components[f"runtime/{name}"].detail["version"] == "containerd://1.4.0"
        assert index.components[f"kubelet/{name}"].parent == f"node/{name}"


def test_a_kubelet_that_stops_renewing_its_lease_turns_error_when_the_lease_runs_out():
    assert kind_index().components["kubelet/kind-control-plane"].status == "Ready"
    later = kind_index(KIND_NOW + timedelta(seconds=60))
    kubelet = later.components["kubelet/kind-control-plane"]
    assert (kubelet.status, kubelet.health) == ("LeaseExpired", Health.ERROR)
    assert "lease duration 40 s" in kubelet.detail["why"]


def test_the_clock_alone_can_expire_a_lease_on_the_next_tick():
    now = [KIND_NOW]
    index = ClusterIndex(clock=lambda: now[0])
    index.replace("nodes", load("nodes/nodelist-kind-v1.20-3nodes-worker-notready.json"))
    index.replace("node-leases", load("leases/leaselist-kube-node-lease-v1.21.json"))
    assert index.tick() == []
    now[0] += timedelta(seconds=45)
    changed = {c.component.id: c.component.status for c in index.tick()}
    assert changed == {"kubelet/kind-control-plane": "LeaseExpired"}


def test_static_pods_become_the_control_plane_with_the_leaders_from_their_leases():
    index = kind_index()
    for kind in ("apiserver", "etcd", "scheduler", "controller-manager"):
        member = index.components[f"{kind}/kind-control-plane"]
        assert member.parent == "node/kind-control-plane"
        assert member.health is Health.OK
    assert index.components["scheduler/kind-control-plane"].status == "Leader"
    assert "pod/kube-system/etcd-kind-control-plane" not in index.components
    lease = copy.deepcopy(load("leases/leaselist-kube-system-leader-election-v1.21.json")[0])
    lease["spec"]["holderIdentity"] = "another-node_1234"
    changes = index.apply("leader-leases", "MODIFIED", lease)
    moved = {c.component.id: c.component.status for c in changes}
    assert list(moved.values()) == ["Follower"]


def test_a_leader_lease_left_unrenewed_means_no_leader_until_someone_takes_over():
    assert kind_index(KIND_NOW + timedelta(seconds=30)).components["scheduler/kind-control-plane"].status == "NoLeader"
    stalled = kind_index(KIND_NOW + timedelta(seconds=30)).components["controller-manager/kind-control-plane"]
    assert (stalled.health, stalled.detail["why"]) == (
        Health.WARNING,
        "the leader Lease was not renewed within its 15 s",
    )


def test_kube_proxy_comes_from_its_daemonset_pod_on_the_node():
    proxy = kind_index().components["kube-proxy/kind-control-plane"]
    assert proxy.status == "Running"
    assert proxy.detail["pod"].startswith("kube-system/kube-proxy-")
    assert "pod/kube-system/kube-proxy-njg9q" not in kind_index().components


def test_registries_come_and_go_with_the_pods_that_pull_from_them():
    index = ClusterIndex()
    pod = load("pods/pod-errimagepull.json")[0]
    added = index.apply("pods", "ADDED", pod)
    registry = next(c.component for c in added if c.component.kind == "registry")
    assert (registry.id, registry.health) == ("registry/noimage.com", Health.WARNING)
    removed = index.apply("pods", "DELETED", pod)
    assert {c.component.id for c in removed if c.type.value == "removed"} == {
        "registry/noimage.com",
        f"pod/{pod['metadata']['namespace']}/{pod['metadata']['name']}",
    }


def test_pod_claim_volume_and_class_give_the_mount_bind_and_provision_edges():
    pod = load("pods/pod-with-pvc-volume-pending-podinitializing.json")[0]
    claim = mapping.map_pod(pod).detail["claims"][0]
    pvc = copy.deepcopy(load("storage/pvclist-default-bound-local-path.json")[0])
    pv = load("storage/pvlist-k3d-local-path-bound.json")[0]
    pvc["metadata"].update(name=claim, namespace=pod["metadata"]["namespace"])
    pvc["spec"]["volumeName"] = pv["metadata"]["name"]
    components = [
        mapping.map_pod(pod),
        mapping.map_pvc(pvc),
        mapping.map_pv(pv),
        mapping.map_storageclass(load("storage/storageclasslist-k3d-local-path-default.json")[0]),
    ]
    kinds = {e.kind for e in derive_edges(components)}
    assert {EdgeKind.MOUNT, EdgeKind.BIND, EdgeKind.PROVISION} <= kinds
    assert components[3].detail["default"] is True


def test_core_events_point_at_the_component_involved():
    events = [mapping.map_event(e, "now") for e in load("events/eventlist-image-pull-fail-troubleshoot.json")]
    failed = next(e for e in events if e.reason == "Failed")
    assert failed.severity == "Warning"
    assert failed.involved.startswith("pod/message-image-pull-fail/")
    assert failed.time.endswith("Z")
    on_static_pod = {"involvedObject": {"kind": "Pod", "namespace": "kube-system", "name": "etcd-cp-1"}}
    assert mapping.map_event(on_static_pod, "t").involved == "etcd/cp-1"
    on_node = {"involvedObject": {"kind": "Node", "name": "worker-1"}, "reason": "NodeNotReady"}
    assert mapping.map_event(on_node, "t").involved == "node/worker-1"


def test_health_check_lines_become_a_check_table():
    checks = mapping.parse_health_checks((FIXTURES / "health/livez-verbose-k8s-docs-v1.16-era.txt").read_text())
    assert checks["etcd"] == "ok"
    assert checks["poststarthook/rbac/bootstrap-roles"] == "ok"
    assert mapping.parse_health_checks("[-]etcd failed: reason withheld\n")["etcd"] == "failed: reason withheld"


def test_an_unreachable_apiserver_makes_everything_unknown_with_the_reason_and_back():
    index = kind_index()
    down = index.set_unreachable("the apiserver cannot be reached: connection refused")
    assert len(down) == len(index.components)
    assert all(c.component.health is Health.UNKNOWN for c in down)
    assert index.components["node/kind-control-plane"].detail["why"].endswith("connection refused")
    up = index.set_unreachable("")
    assert index.components["node/kind-control-plane"].health is Health.OK
    assert len(up) == len(down)


def test_a_relist_removes_what_is_gone_and_keeps_the_rest_quiet():
    index = kind_index()
    pods = load("pods/podlist-kube-system-kind-v1.21.json")
    changes = index.replace("pods", [p for p in pods if not p["metadata"]["name"].startswith("coredns-558bd4d5db-vz")])
    assert [(c.type.value, c.component.id) for c in changes] == [
        ("removed", "pod/kube-system/coredns-558bd4d5db-vzb6x"),
        ("updated", "registry/k8s.gcr.io"),  # one pod fewer pulls from it
    ]
