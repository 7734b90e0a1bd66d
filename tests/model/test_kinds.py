"""The registry of kinds: every module reads its answers from one entry per kind."""

import pytest

from explorer.model import ClusterState, Component, Health
from explorer.model.ids import CLUSTER_SCOPED_KINDS, NAMESPACED_KINDS, component_id
from explorer.model.kinds import KINDS, kind_of, missing_detail, pod_health
from explorer.model.problems import find_problems, layer_of


def test_every_kind_is_either_namespaced_or_cluster_scoped_and_ids_follow_the_scope():
    assert set(KINDS) == NAMESPACED_KINDS | CLUSTER_SCOPED_KINDS
    assert not NAMESPACED_KINDS & CLUSTER_SCOPED_KINDS
    assert component_id("service", "kube-dns", "kube-system") == "service/kube-system/kube-dns"
    with pytest.raises(ValueError, match="a deployment id needs a namespace"):
        component_id("deployment", "web")
    with pytest.raises(ValueError, match="cluster-scoped"):
        component_id("node", "worker-1", "default")


def test_new_kinds_rank_with_the_workloads_not_before_the_control_plane():
    broken = [
        Component("deployment/default/web", "deployment", "web", "Progressing", Health.ERROR, "default"),
        Component("endpointslice/default/web-x", "endpointslice", "web-x", "NotReady", Health.ERROR, "default"),
        Component("etcd/cp-1", "etcd", "cp-1", "Stopped", Health.ERROR),
        Component("kubelet/worker-1", "kubelet", "worker-1", "Stopped", Health.ERROR),
        Component("something/else", "something", "else", "Odd", Health.ERROR),
    ]
    order = [p.component.kind for p in find_problems(ClusterState(broken))]
    assert order == ["etcd", "kubelet", "deployment", "endpointslice", "something"]
    assert layer_of(broken[0]) == "workloads"
    assert kind_of("something").rank > max(k.rank for k in KINDS.values())


@pytest.mark.parametrize(
    ("status", "ready", "health"),
    [
        ("Running", True, Health.OK),
        ("Running", False, Health.WARNING),
        ("ContainerCreating", False, Health.WARNING),
        ("CrashLoopBackOff", False, Health.ERROR),
        ("Init:ErrImagePull", False, Health.ERROR),
        ("ExitCode:137", False, Health.ERROR),
        ("Unknown", False, Health.UNKNOWN),
        ("Completed", False, Health.OK),
        ("Terminating", True, Health.WARNING),
    ],
)
def test_one_pod_health_rule(status, ready, health):
    assert pod_health(status, ready) is health


def test_the_detail_schema_names_what_a_component_lacks():
    assert missing_detail("service", {"type": "ClusterIP", "clusterIP": "10.96.0.10"}) == [
        "ports",
        "selector",
        "endpoints",
    ]
    assert missing_detail("no-such-kind", {}) == []
