"""Services, EndpointSlices, kube-proxy, Deployments, ReplicaSets, DaemonSets and StatefulSets from the simulator:
the contract (ids, parents, detail, edges, health) and the three scenarios that teach them, with Kubernetes' timings."""

from __future__ import annotations

import pytest

from explorer.model import EdgeKind, Health
from explorer.model.ids import component_id
from explorer.model.kinds import kind_of, missing_detail
from explorer.sources.simulated import Engine, get_scenario

from .conftest import events, make_engine

ALL_KINDS = """
storageClasses: [{name: standard, provisioner: ebs.csi.aws.com, default: true}]
services:
  - {namespace: default, name: web, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
  - {namespace: default, name: db, clusterIP: 10.96.0.50, selector: {app: db}, ports: [{port: 5432}]}
workloads:
  - {kind: Deployment, namespace: default, name: web, replicas: 4, image: "nginx:1.27"}
  - {kind: DaemonSet, namespace: kube-system, name: agent, image: "example.com/agent:1"}
  - kind: StatefulSet
    namespace: default
    name: db
    replicas: 2
    image: "postgres:16"
    volumeClaimTemplates: [{name: data, storageClass: standard, size: 1Gi}]
"""


@pytest.fixture
def running():
    engine = make_engine(ALL_KINDS)
    engine.run_until(60)
    return engine


def edges_of(state, kind):
    return {(e.source, e.target) for e in state.edges if e.kind is kind}


def test_every_new_kind_has_a_registry_entry_an_id_of_its_scope_and_its_detail_schema(running):
    state = running.state()
    kinds = {c.kind for c in state.components.values()}
    assert {"deployment", "replicaset", "daemonset", "statefulset", "service", "endpointslice"} <= kinds
    for c in state.components.values():
        entry = kind_of(c.kind)
        assert entry.name == c.kind, f"{c.kind} is not in the registry"
        assert c.id == component_id(c.kind, c.name, c.namespace)
        assert (c.namespace is not None) == entry.namespaced, c.id
        assert missing_detail(c.kind, c.detail) == [], c.id
    for kind in ("deployment", "replicaset", "daemonset", "statefulset", "service", "endpointslice"):
        assert all(c.parent is None for c in state.of_kind(kind)), kind
    daemon_pods = [p for p in state.of_kind("pod") if p.detail["owner"] == "DaemonSet/agent"]
    assert sorted(p.parent for p in daemon_pods) == ["node/worker-1", "node/worker-2", "node/worker-3"]


def test_owners_own_what_they_made(running):
    state = running.state()
    owns = edges_of(state, EdgeKind.OWNS)
    (rs,) = state.of_kind("replicaset")
    assert ("deployment/default/web", rs.id) in owns
    web_pods = [p.id for p in state.of_kind("pod") if p.detail["owner"] == f"ReplicaSet/{rs.name}"]
    assert len(web_pods) == 4
    assert all((rs.id, p) in owns for p in web_pods)
    assert all(
        ("daemonset/kube-system/agent", p.id) in owns for p in state.of_kind("pod") if p.namespace == "kube-system"
    )
    for ordinal in (0, 1):
        assert ("statefulset/default/db", f"pod/default/db-{ordinal}") in owns
        assert ("statefulset/default/db", f"pvc/default/data-db-{ordinal}") in owns
    for s in state.of_kind("endpointslice"):
        assert (component_id("service", s.detail["service"], "default"), s.id) in owns


def test_a_service_routes_to_its_ready_endpoints_only_and_every_kube_proxy_programs_it(running):
    running.command({"action": "node-down", "node": "worker-2"})
    # Past the grace period (from a renewal up to 10 s old, plus a 5 s monitor period): worker-2's pods are not ready.
    running.run_until(running.clock + running.lifecycle.grace + 15)
    state = running.state()
    routes = edges_of(state, EdgeKind.ROUTES)
    web = state.components["service/default/web"]
    slices = [s for s in state.of_kind("endpointslice") if s.detail["service"] == "web"]
    endpoints = [e for s in slices for e in s.detail["endpoints"]]
    assert len(endpoints) == 4
    for e in endpoints:
        assert (("service/default/web", f"pod/default/{e['pod']}") in routes) == e["ready"]
        assert e["ready"] == (e["node"] != "worker-2")
    assert web.detail["endpoints"] == {
        "ready": sum(e["ready"] for e in endpoints),
        "notReady": sum(not e["ready"] for e in endpoints),
    }
    programs = {(e.source, e.target): e.label for e in state.edges if e.kind is EdgeKind.PROGRAMS}
    for proxy in state.of_kind("kube-proxy"):
        assert programs[(proxy.id, web.id)] == ("stale rules" if proxy.name == "worker-2" else "programs")


def test_workload_health_follows_ready_pods_and_a_service_without_ready_endpoints_warns():
    engine = make_engine(
        """
        services: [{namespace: default, name: web, selector: {app: web}, ports: [{port: 80}]}]
        workloads: [{kind: Deployment, namespace: default, name: web, replicas: 2, image: "nginx:1.27-typo"}]
        missingImages: ["nginx:1.27-typo"]
        """
    )
    engine.run_until(60)
    state = engine.state()
    web = state.components["service/default/web"]
    assert (web.status, web.health) == ("NoReadyEndpoints", Health.WARNING)
    dep = state.components["deployment/default/web"]
    assert (dep.status, dep.health, dep.detail["ready"]) == ("Progressing", Health.WARNING, 0)


def test_a_stopped_kube_proxy_is_an_error_and_keeps_stale_rules_until_it_runs_again(running):
    running.command({"action": "stop", "component": "kube-proxy/worker-1"})
    proxy = running.state().components["kube-proxy/worker-1"]
    assert (proxy.status, proxy.health, proxy.detail["rules"]["state"]) == ("Stopped", Health.ERROR, "synced")
    running.command({"action": "scale", "deployment": "default/web", "replicas": 6})
    running.run_until(90)
    proxy = running.state().components["kube-proxy/worker-1"]
    assert proxy.detail["rules"]["state"] == "stale"
    assert "stale since" in proxy.detail["why"]
    assert running.state().components["kube-proxy/worker-3"].detail["rules"]["state"] == "synced"
    running.command({"action": "start", "component": "kube-proxy/worker-1"})
    running.run_until(running.clock + 0.5)
    assert running.state().components["kube-proxy/worker-1"].detail["rules"]["state"] == "stale"
    running.run_until(running.clock + 1.0)  # minSyncPeriod
    proxy = running.state().components["kube-proxy/worker-1"]
    assert (proxy.health, proxy.detail["rules"]["state"]) == (Health.OK, "synced")


def test_scenario_files_refuse_a_workload_action_naming_nothing_they_declare():
    from explorer.sources.simulated.scenarios import ScenarioError

    with pytest.raises(ScenarioError, match="unknown daemonset 'kube-system/nope'"):
        make_engine(ALL_KINDS + "timeline: [{at: 5, action: set-image, daemonset: kube-system/nope, image: x:1}]\n")
    with pytest.raises(ScenarioError, match="a port's 'port' is a number from 1 to 65535"):
        make_engine("services: [{namespace: default, name: s, ports: [{port: 0}]}]\n")


# -- the three scenarios -------------------------------------------------------------------------


def web_endpoints(engine):
    state = engine.state()
    return [e for s in state.of_kind("endpointslice") if s.detail["service"] == "web" for e in s.detail["endpoints"]]


def test_service_node_failure_endpoints_and_rules_follow_the_node():
    engine = Engine(get_scenario("service-node-failure"), seed=7)
    engine.run_until(59)
    on_two = [e for e in web_endpoints(engine) if e["node"] == "worker-2"]
    assert on_two
    assert all(e["ready"] for e in on_two)
    assert len(web_endpoints(engine)) == 6
    engine.run_until(99)  # within the 50 s node-monitor-grace-period: nothing has noticed yet
    assert all(e["ready"] for e in web_endpoints(engine))
    proxy = engine.state().components["kube-proxy/worker-2"]
    assert proxy.status == "Stopped"
    assert proxy.detail["rules"]["state"] == "synced"
    # NotReady after the grace period from the last renewal seen (up to 10 s before), plus a 5 s monitor period.
    engine.run_until(60 + engine.lifecycle.grace + 10)
    assert [e["ready"] for e in web_endpoints(engine) if e["node"] == "worker-2"] == [False] * len(on_two)
    assert engine.state().components["kube-proxy/worker-2"].detail["rules"]["state"] == "stale"
    assert all(
        p.detail["rules"]["state"] == "synced" for p in engine.state().of_kind("kube-proxy") if p.name != "worker-2"
    )
    engine.run_until(500)  # evicted after the 300 s toleration, replaced elsewhere; the old stay, terminating
    endpoints = web_endpoints(engine)
    assert sum(e["ready"] for e in endpoints) == 6
    assert all(e["terminating"] and not e["ready"] for e in endpoints if e["node"] == "worker-2")
    engine.run_until(730)  # the machine is back at 720: deletions confirmed, rules synced a second later
    assert all(e["node"] != "worker-2" for e in web_endpoints(engine))
    proxy = engine.state().components["kube-proxy/worker-2"]
    assert (proxy.status, proxy.detail["rules"]["state"]) == ("Running", "synced")


def test_statefulset_node_failure_waits_for_the_old_pod_and_out_of_service_frees_its_name():
    engine = Engine(get_scenario("statefulset-node-failure"), seed=7)
    changes = engine.run_until(59)
    created = [e.involved for e in events(changes, "SuccessfulCreate") if e.involved.startswith("pod/")]
    assert created == ["pod/default/db-0", "pod/default/db-1", "pod/default/db-2"]  # in order, one at a time
    state = engine.state()
    (victim,) = [p for p in state.of_kind("pod") if p.parent == "node/worker-2"]
    claims = victim.detail["claims"]
    assert claims == [f"data-{victim.name}"]
    engine.run_until(470)  # NotReady at ~105 s, marked for deletion 300 s later: stuck Terminating
    state = engine.state()
    assert state.components[victim.id].status == "Terminating"
    assert "Terminating" in state.components["statefulset/default/db"].detail["why"]
    assert state.components[victim.id].parent == "node/worker-2"  # not replaced while it may still run
    changes = engine.run_until(501)  # out-of-service at 480; the pod GC force-deletes within 20 s
    assert events(changes, "PodGC", victim.id)
    engine.run_until(560)
    again = engine.state().components[victim.id]
    assert again.parent != "node/worker-2"
    assert again.status == "Running"
    assert again.detail["claims"] == claims  # the same claim follows the name


def test_a_force_delete_frees_a_stuck_statefulset_pod_at_once():
    engine = Engine(get_scenario("statefulset-node-failure"), seed=7)
    engine.run_until(470)
    (victim,) = [p for p in engine.state().of_kind("pod") if p.parent == "node/worker-2"]
    engine.command({"action": "force-delete", "pod": f"default/{victim.name}"})
    engine.run_until(480)  # before the scenario's own out-of-service taint
    again = engine.state().components[victim.id]
    assert again.parent not in {None, "node/worker-2"}


def test_daemonset_rollout_replaces_one_node_at_a_time_and_never_evicts_from_a_dead_node():
    engine = Engine(get_scenario("daemonset-rollout"), seed=7)
    engine.run_until(30)
    daemons = [p for p in engine.state().of_kind("pod") if p.detail["owner"] == "DaemonSet/fluent-bit"]
    assert sorted(p.parent for p in daemons) == [
        f"node/{n}" for n in ("cp-1", "worker-1", "worker-2", "worker-3", "worker-4")
    ]
    worst = 0
    t = 30.0
    while t < 200:
        t += 0.5
        engine.run_until(t)
        pods = [p for p in engine.state().of_kind("pod") if p.detail["owner"] == "DaemonSet/fluent-bit"]
        worst = max(worst, sum(1 for p in pods if p.health is not Health.OK))
    assert worst == 1  # maxUnavailable 1
    ds = engine.state().components["daemonset/kube-system/fluent-bit"]
    assert (ds.detail["updated"], ds.detail["ready"], ds.health) == (5, 5, Health.OK)
    assert engine.nodes["worker-3"].unschedulable  # cordoned at 30 s, still runs its daemon
    changes = engine.run_until(1200)
    on_two = [p for p in engine.state().of_kind("pod") if p.parent == "node/worker-2" and p.namespace == "kube-system"]
    assert len(on_two) == 1
    assert on_two[0].status == "Running"
    assert on_two[0].health is Health.WARNING
    assert not events(changes, "TaintManagerEviction", on_two[0].id)


DAEMON_CLUSTER = """
cluster:
  controlPlane:
    - {name: cp-1}
  nodes:
    - {name: worker-1, cpu: 2000m}
    - {name: worker-2, cpu: 2000m}
    - {name: worker-3, cpu: 2000m}
"""


def test_the_scheduler_binds_a_daemon_pod_to_the_node_its_affinity_names_without_scoring():
    """Since v1.12 the DaemonSet controller pins a pod to its node with a required node affinity on
    metadata.name (pkg/controller/daemon/util/daemonset_util.go) and the default scheduler binds it:
    NodeAffinity's PreFilter leaves that node alone, and one feasible node is taken without scoring
    (pkg/scheduler/schedule_one.go, schedulePod)."""
    engine = make_engine(
        """
    workloads:
      - {kind: DaemonSet, namespace: kube-system, name: agent, image: "agent:1", cpu: 100m, memory: 64Mi}
    """,
        cluster=DAEMON_CLUSTER,
    )
    changes = engine.run_until(5)
    daemons = {p.parent: p for p in engine.state().of_kind("pod") if p.detail["owner"] == "DaemonSet/agent"}
    # The control plane's taint is not tolerated: no daemon there.
    assert set(daemons) == {"node/worker-1", "node/worker-2", "node/worker-3"}
    pod = daemons["node/worker-2"]
    (scheduled,) = events(changes, "Scheduled", pod.id)
    assert scheduled.message == f"Successfully assigned kube-system/{pod.name} to worker-2"
    decision = pod.detail["scheduling"]
    assert decision["scores"] == []
    verdicts = {row["nodes"][0]: row["verdict"] for row in decision["filters"]}
    assert verdicts == {
        "worker-2": "fits",
        "cp-1": "node(s) didn't satisfy plugin(s) [NodeAffinity]",
        "worker-1": "node(s) didn't satisfy plugin(s) [NodeAffinity]",
        "worker-3": "node(s) didn't satisfy plugin(s) [NodeAffinity]",
    }


@pytest.mark.parametrize(
    ("version", "absent"),
    [
        ("v1.30", "3 node is filtered out by the prefilter result"),
        ("v1.34", "3 node(s) didn't satisfy plugin(s) [NodeAffinity]"),
    ],
)
def test_a_daemon_pod_its_node_cannot_hold_waits_pending_in_the_releases_words(version, absent):
    """The nodes NodeAffinity's PreFilterResult leaves out: "node is filtered out by the prefilter result"
    (kubernetes PR #119779, v1.28 to v1.30), "node(s) didn't satisfy plugin(s) [NodeAffinity]" from v1.31
    (PR #126022, schedule_one.go SetAbsentNodesStatus); preemption cannot help on them."""
    engine = make_engine(
        f"""
    kubernetesVersion: {version}
    workloads:
      - {{kind: Deployment, namespace: default, name: hog, replicas: 1, image: "hog:1", cpu: 1950m, memory: 64Mi}}
      - {{kind: DaemonSet, namespace: kube-system, name: agent, image: "agent:1", cpu: 100m, memory: 64Mi, at: 5}}
    """,
        cluster=DAEMON_CLUSTER,
    )
    changes = engine.run_until(10)
    hog = next(p for p in engine.state().of_kind("pod") if p.name.startswith("hog-"))
    stuck = [p for p in engine.state().of_kind("pod") if p.detail["owner"] == "DaemonSet/agent" and p.parent is None]
    assert len(stuck) == 1
    (failed, *_) = events(changes, "FailedScheduling", stuck[0].id)
    prefix = "no new claims to deallocate, " if version >= "v1.34" else ""
    assert failed.message == (
        f"0/4 nodes are available: 1 Insufficient cpu, {absent}. {prefix}preemption: 0/4 nodes are available: "
        "1 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling."
    )
    assert hog.parent is not None
    assert stuck[0].status == "Pending"


def test_while_the_scheduler_is_down_a_new_daemon_pod_waits_and_it_binds_on_the_schedulers_return():
    engine = make_engine(
        """
    workloads:
      - {kind: DaemonSet, namespace: kube-system, name: agent, image: "agent:1", cpu: 100m, memory: 64Mi}
    timeline:
      - {at: 10, action: stop, component: scheduler/cp-1}
      - {at: 20, action: set-image, daemonset: kube-system/agent, image: "agent:2"}
      - {at: 90, action: start, component: scheduler/cp-1}
    """,
        cluster=DAEMON_CLUSTER,
    )
    engine.run_until(80)
    waiting = [p for p in engine.state().of_kind("pod") if p.detail["owner"] == "DaemonSet/agent" and p.parent is None]
    assert len(waiting) == 1  # the rollout replaced one pod, and nobody binds its successor
    assert waiting[0].status == "Pending"
    changes = engine.run_until(130)
    assert events(changes, "Scheduled", waiting[0].id)


def test_pods_get_addresses_from_their_nodes_pod_cidr_and_endpoints_carry_them():
    """nodeipam's range allocator gives each node the next /24 (10.244.0.0/16 up to 256 nodes); host-local
    gives a pod the next free address of it, from .2 (.1 is the bridge), round-robin; an EndpointSlice
    endpoint's addresses are its pod's IP (pkg/controller/endpointslice, podToEndpoint)."""
    engine = Engine(get_scenario("service-node-failure"), seed=3)
    engine.run_until(60)
    state = engine.state()
    cidrs = {n.name: n.detail["podCIDR"] for n in state.of_kind("node")}
    assert cidrs["cp-1"] == "10.244.0.0/24"
    assert len(set(cidrs.values())) == len(cidrs)
    running = [p for p in state.of_kind("pod") if p.status == "Running"]
    assert running
    for pod in running:
        node = pod.parent.removeprefix("node/")
        assert pod.detail["ip"].startswith(cidrs[node].removesuffix("0/24"))
        assert int(pod.detail["ip"].rsplit(".", 1)[1]) >= 2
    assert len({p.detail["ip"] for p in running}) == len(running)
    ips = {p.name: p.detail["ip"] for p in running}
    slices = [c for c in state.of_kind("endpointslice") if c.detail["service"] == "web"]
    endpoints = [e for s in slices for e in s.detail["endpoints"]]
    assert endpoints
    assert all(e["addresses"] == [ips[e["pod"]]] for e in endpoints)


def test_host_local_hands_out_round_robin_and_a_big_cluster_gets_a_bigger_range():
    from explorer.sources.simulated.addresses import HostLocal, node_pod_cidr

    pool = HostLocal("10.244.3.0/24")
    first, second = pool.take(), pool.take()
    assert (first, second) == ("10.244.3.2", "10.244.3.3")
    pool.free(first)
    assert pool.take() == "10.244.3.4"  # a freed address is not given again at once
    assert node_pod_cidr(255, 256) == "10.244.255.0/24"
    assert node_pod_cidr(300, 1000) == "10.1.44.0/24"
    full = HostLocal("10.244.9.0/24")
    assert len({full.take() for _ in range(253)}) == 253
    assert full.take() == ""  # all of .2 to .254 in use
