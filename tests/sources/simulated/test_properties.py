"""Property tests on random cluster shapes and timelines of faults."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.sources.simulated import Engine
from explorer.sources.simulated.scenarios import Scenario
from explorer.sources.simulated.scheduler import Scheduler, tolerates

NODE = st.fixed_dictionaries(
    {
        "cpu": st.sampled_from(["1", "2", "4"]),
        "memory": st.sampled_from(["1Gi", "2Gi", "8Gi"]),
        "tainted": st.booleans(),
        "unschedulable": st.booleans(),
        "disk": st.sampled_from(["ssd", "hdd"]),
    }
)
WORKLOAD = st.fixed_dictionaries(
    {
        "replicas": st.integers(0, 8),
        "cpu": st.sampled_from(["100m", "500m", "1500m"]),
        "memory": st.sampled_from(["64Mi", "512Mi"]),
        "ssd": st.booleans(),
        "tolerate": st.booleans(),
    }
)
ACTION = st.one_of(
    st.tuples(st.just("node-down"), st.integers(0, 5)),
    st.tuples(st.just("node-up"), st.integers(0, 5)),
    st.tuples(st.just("cordon"), st.integers(0, 5)),
    st.tuples(st.just("uncordon"), st.integers(0, 5)),
    st.tuples(st.just("scale"), st.integers(0, 10)),
    st.tuples(st.just("stop"), st.sampled_from(["scheduler/cp-1", "controller-manager/cp-1", "etcd/cp-2"])),
    st.tuples(st.just("start"), st.sampled_from(["scheduler/cp-1", "controller-manager/cp-1", "etcd/cp-2"])),
)
TIMELINE = st.lists(st.tuples(st.integers(1, 700), ACTION), max_size=8)


def build(nodes, workloads, timeline, claims=0) -> dict:
    workers = []
    for i, spec in enumerate(nodes, start=1):
        node = {"name": f"worker-{i}", "cpu": spec["cpu"], "memory": spec["memory"], "labels": {"disk": spec["disk"]}}
        if spec["tainted"]:
            node["taints"] = [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]
        node["unschedulable"] = spec["unschedulable"]
        workers.append(node)
    apps = []
    for i, spec in enumerate(workloads):
        app = {
            "kind": "Deployment",
            "namespace": "default",
            "name": f"app{i}",
            "replicas": spec["replicas"],
            "image": f"example.com/app{i}:1",
            "cpu": spec["cpu"],
            "memory": spec["memory"],
        }
        if spec["ssd"]:
            app["nodeSelector"] = {"disk": "ssd"}
        if spec["tolerate"]:
            app["tolerations"] = [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]
        apps.append(app)
    events = []
    for at, (action, arg) in sorted(timeline):
        entry = {"at": at, "action": action}
        if action in {"node-down", "node-up", "cordon", "uncordon"}:
            entry["node"] = f"worker-{arg % len(workers) + 1}"
        elif action == "scale":
            if not apps:
                continue
            entry.update(deployment="default/app0", replicas=arg)
        else:
            entry["component"] = arg
        events.append(entry)
    claim_specs = [
        {"namespace": "default", "name": f"c{i}", "storageClass": "fast", "size": "1Gi"} for i in range(claims)
    ]
    pods = [
        {"kind": "Pod", "namespace": "default", "name": f"db-{i}", "image": "postgres:16", "claims": [f"c{i}"]}
        for i in range(claims)
    ]
    return {
        "cluster": {
            "controlPlane": [{"name": f"cp-{i}"} for i in (1, 2, 3)],
            "nodes": workers,
        },
        "storageClasses": [
            {"name": "fast", "provisioner": "ebs.csi.aws.com", "bindingMode": "WaitForFirstConsumer"},
            {"name": "local", "provisioner": "kubernetes.io/no-provisioner", "bindingMode": "Immediate"},
        ],
        "volumes": [{"name": f"pv-{i}", "storageClass": "local", "size": "1Gi"} for i in range(2)],
        "claims": [*claim_specs, {"namespace": "default", "name": "static", "storageClass": "local", "size": "1Gi"}],
        "workloads": apps + pods,
        "timeline": events,
    }


class BindWatcher:
    """Wraps the scheduler's choice of a node to check each decision at the moment it is made.

    The decision, not the bind: Kubernetes filters nodes in the scheduling cycle and
    binds in the binding cycle, after PreBind (VolumeBinding waits there for a
    provisioned volume) and without filtering again (pkg/scheduler/schedule_one.go,
    schedulingCycle then bindingCycle). A node cordoned while a pod waits for its
    volume still gets that pod.
    """

    def __init__(self, engine: Engine):
        self.violations: list[str] = []
        original = Scheduler._pick

        def checked(scheduler, pod):
            node = original(scheduler, pod)
            if node is None:
                return None
            if node.ready != "True":
                self.violations.append(f"{pod.id} placed on {node.name}, Ready={node.ready}")
            if node.unschedulable:
                self.violations.append(f"{pod.id} placed on cordoned {node.name}")
            for taint in node.taints:
                if taint["effect"] in {"NoSchedule", "NoExecute"} and not tolerates(pod.template, taint):
                    self.violations.append(f"{pod.id} placed on {node.name} despite taint {taint['key']}")
            return node

        engine.scheduler._pick = checked.__get__(engine.scheduler)  # type: ignore[method-assign]


def check_invariants(engine: Engine) -> None:
    where: dict[str, str] = {}
    for node in engine.nodes.values():
        cpu = sum(engine.pods[p].template.cpu_milli for p in node.pods if p in engine.pods)
        memory = sum(engine.pods[p].template.memory_mi for p in node.pods if p in engine.pods)
        assert cpu <= node.cpu_milli, f"{node.name}: {cpu}m requested of {node.cpu_milli}m"
        assert memory <= node.memory_mi, f"{node.name}: {memory}Mi requested of {node.memory_mi}Mi"
        for pod_id in node.pods:
            assert pod_id not in where, f"{pod_id} is on {where.get(pod_id)} and {node.name}"
            where[pod_id] = node.name
    for pod in engine.pods.values():
        if pod.node is not None:
            assert where.get(pod.id) == pod.node
    for key, claim in engine.claims.items():
        if claim.volume is not None:
            holders = [v for v in engine.volumes.values() if v.claim == key]
            assert len(holders) == 1, f"{key} is held by {len(holders)} volumes"
            assert holders[0].name == claim.volume
            assert holders[0].phase == "Bound"


SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(
    nodes=st.lists(NODE, min_size=1, max_size=6),
    workloads=st.lists(WORKLOAD, max_size=4),
    timeline=TIMELINE,
    claims=st.integers(0, 3),
    seed=st.integers(0, 1000),
)
def test_scheduling_invariants_hold_through_random_faults(nodes, workloads, timeline, claims, seed):
    engine = Engine(Scenario("random", "", build(nodes, workloads, timeline, claims)), seed)
    watcher = BindWatcher(engine)
    for t in range(50, 1000, 50):
        engine.run_until(t)
        check_invariants(engine)
    assert watcher.violations == []


@SLOW
@given(nodes=st.lists(NODE, min_size=1, max_size=5), workloads=st.lists(WORKLOAD, min_size=1, max_size=3))
def test_a_deployment_converges_to_its_replicas_when_capacity_allows(nodes, workloads):
    for node in nodes:
        node.update(cpu="4", memory="8Gi", tainted=False, unschedulable=False)
    for workload in workloads:
        workload.update(cpu="100m", memory="64Mi", ssd=False)
    engine = Engine(Scenario("roomy", "", build(nodes, workloads, [])), 1)
    engine.run_until(120)
    for i, workload in enumerate(workloads):
        running = [
            p for p in engine.pods.values() if p.owner.startswith(f"ReplicaSet/app{i}-") and p.status == "Running"
        ]
        assert len(running) == workload["replicas"]


@settings(max_examples=10, deadline=None)
@given(nodes=st.lists(NODE, min_size=1, max_size=4), timeline=TIMELINE, seed=st.integers(0, 10))
def test_the_same_seed_gives_the_same_stream(nodes, timeline, seed):
    data = build(nodes, [{"replicas": 4, "cpu": "100m", "memory": "64Mi", "ssd": False, "tolerate": True}], timeline)

    def stream():
        engine = Engine(Scenario("random", "", data), seed)
        return [c.to_message(i) for i, c in enumerate(engine.run_until(800))]

    assert stream() == stream()


# -- Services, DaemonSets and StatefulSets through random faults ----------------------------------

SET_ACTION = st.one_of(
    st.tuples(st.just("node-down"), st.integers(0, 5)),
    st.tuples(st.just("node-up"), st.integers(0, 5)),
    st.tuples(st.just("cordon"), st.integers(0, 5)),
    st.tuples(st.just("out-of-service"), st.integers(0, 5)),
    st.tuples(st.just("in-service"), st.integers(0, 5)),
    st.tuples(st.just("force-delete"), st.integers(0, 3)),
    st.tuples(st.just("stop"), st.sampled_from(["controller-manager/cp-1", "kube-proxy/worker-1"])),
    st.tuples(st.just("start"), st.sampled_from(["controller-manager/cp-1", "kube-proxy/worker-1"])),
)


def build_sets(nodes: int, replicas: int, db: int, timeline) -> dict:
    workers = [{"name": f"worker-{i}", "cpu": "4", "memory": "8Gi"} for i in range(1, nodes + 1)]
    events = []
    for at, (action, arg) in sorted(timeline, key=lambda e: e[0]):
        if action in {"stop", "start"}:
            events.append({"at": at, "action": action, "component": arg})
        elif action == "force-delete":
            events.append({"at": at, "action": action, "pod": f"default/db-{arg}"})
        else:
            events.append({"at": at, "action": action, "node": f"worker-{arg % nodes + 1}"})
    return {
        "cluster": {"name": "sets", "controlPlane": [{"name": "cp-1"}], "nodes": workers},
        "storageClasses": [{"name": "standard", "provisioner": "ebs.csi.aws.com", "default": True}],
        "services": [
            {"namespace": "default", "name": "web", "selector": {"app": "web"}, "ports": [{"port": 80}]},
            {"namespace": "default", "name": "db", "selector": {"app": "db"}, "ports": [{"port": 5432}]},
        ],
        "workloads": [
            {"kind": "Deployment", "namespace": "default", "name": "web", "replicas": replicas, "image": "nginx:1"},
            {"kind": "DaemonSet", "namespace": "kube-system", "name": "agent", "image": "example.com/agent:1"},
            {
                "kind": "StatefulSet",
                "namespace": "default",
                "name": "db",
                "replicas": db,
                "image": "postgres:16",
                "volumeClaimTemplates": [{"name": "data", "storageClass": "standard"}],
            },
        ],
        "timeline": events,
    }


class AddWatcher:
    """A pod is never made while another object of its name exists (a StatefulSet's ordinal is one pod)."""

    def __init__(self, engine: Engine):
        self.violations: list[str] = []
        add = engine.add_pod

        def checked(pod):
            if pod.id in engine.pods:
                self.violations.append(f"{pod.id} made while {engine.pods[pod.id].uid} still exists")
            add(pod)

        engine.add_pod = checked  # type: ignore[method-assign]


def check_set_invariants(engine: Engine) -> None:
    daemons: dict[str, int] = {}
    for pod in engine.pods.values():
        if pod.owner == "DaemonSet/agent" and pod.node is not None:
            daemons[pod.node] = daemons.get(pod.node, 0) + 1
            assert pod.node == pod.required_node, f"{pod.id} runs on {pod.node}, not the node it names"
    assert all(count <= 1 for count in daemons.values()), f"two daemon pods on a node: {daemons}"
    if not engine.control.active("controller-manager"):
        return  # the EndpointSlice controller is down: its slices keep what they last said
    for slices in engine.network.slices.values():
        for s in slices:
            for pod_id, endpoint in s.endpoints.items():
                if endpoint["ready"]:
                    pod = engine.pods[pod_id]
                    assert pod.ready, f"{pod_id} is a ready endpoint but not ready"
                    assert not pod.deleting, f"{pod_id} is a ready endpoint but terminating"
                    assert engine.nodes[pod.node].ready == "True", f"{pod_id} is a ready endpoint on a NotReady node"


@SLOW
@given(
    nodes=st.integers(1, 5),
    replicas=st.integers(0, 6),
    db=st.integers(0, 3),
    timeline=st.lists(st.tuples(st.integers(1, 700), SET_ACTION), max_size=8),
    seed=st.integers(0, 1000),
)
def test_endpoint_statefulset_and_daemonset_invariants_hold_through_random_faults(nodes, replicas, db, timeline, seed):
    engine = Engine(Scenario("sets", "", build_sets(nodes, replicas, db, timeline)), seed)
    watcher = AddWatcher(engine)
    for t in range(25, 1000, 25):
        engine.run_until(t)
        check_set_invariants(engine)
    assert watcher.violations == []
