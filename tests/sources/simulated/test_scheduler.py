"""kube-scheduler: filters, the default profile's scoring, its decision, and FailedScheduling in its words."""

import math
from datetime import datetime
from itertools import pairwise

import pytest

from explorer.model.scheduling import parse_failed_scheduling
from explorer.sources.simulated.scheduler import DECISIONS_KEPT, backoff, nodes_to_find

from .conftest import events, make_engine, pods

# FailedScheduling as each release words it: FitError.Error (pkg/scheduler/framework/types.go) writes the
# histogram; the PostFilter plugins' reasons follow, joined with ", " (framework.go, RunPostFilterPlugins).
# From v1.34 DynamicResources' PostFilter is on by default and says "no new claims to deallocate"; from
# v1.35 TaintToleration no longer names the taint (taint_toleration.go, kubernetes PR #134740).
FAILED_SCHEDULING_BY_VERSION = {
    "v1.31": (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "3 Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, "
        "3 No preemption victims found for incoming pod."
    ),
    "v1.34": (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "3 Insufficient cpu. no new claims to deallocate, preemption: 0/4 nodes are available: "
        "1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod."
    ),
    "v1.35": (
        "0/4 nodes are available: 1 node(s) had untolerated taint(s), 3 Insufficient cpu. no new claims to "
        "deallocate, preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, "
        "3 No preemption victims found for incoming pod."
    ),
}


@pytest.mark.parametrize("version", sorted(FAILED_SCHEDULING_BY_VERSION))
def test_pods_that_do_not_fit_get_failed_scheduling_in_the_declared_releases_words(version):
    engine = make_engine(f"""
    kubernetesVersion: {version}
    workloads:
      - {{kind: Deployment, namespace: default, name: big, replicas: 4, image: "nginx:1.27", cpu: 3500m, memory: 128Mi}}
    """)
    changes = engine.run_until(30)
    failed = events(changes, "FailedScheduling")
    assert failed, "the fourth pod should not fit"
    assert failed[0].message == FAILED_SCHEDULING_BY_VERSION[version]
    assert failed[0].severity == "Warning"
    pending = [p for p in pods(engine, "big-") if p.status == "Pending"]
    assert len(pending) == 1
    assert pending[0].parent is None
    assert pending[0].detail["why"] == failed[0].message
    # The panel's table holds the same verdicts, and the kube source would read the message into the same rows.
    decision = pending[0].detail["scheduling"]
    assert {row["verdict"] for row in decision["filters"]} == {
        row["verdict"] for row in parse_failed_scheduling(failed[0].message)["filters"]
    }
    assert decision["preemption"] == parse_failed_scheduling(failed[0].message)["preemption"]


def test_the_scheduler_spreads_a_deployments_pods_evenly_over_like_nodes():
    engine = make_engine("""
    workloads:
      - {kind: Deployment, namespace: default, name: web, replicas: 6, image: "nginx:1.27", cpu: 500m, memory: 128Mi}
    """)
    engine.run_until(30)
    per_node = {}
    for p in pods(engine, "web-"):
        per_node[p.parent] = per_node.get(p.parent, 0) + 1
    assert per_node == {"node/worker-1": 2, "node/worker-2": 2, "node/worker-3": 2}


def test_node_selector_and_cordon_and_tolerations_are_filters():
    engine = make_engine(
        """
    workloads:
      - {kind: Deployment, namespace: default, name: gpu, replicas: 2, image: "cuda:12", cpu: 100m, memory: 64Mi,
         nodeSelector: {accelerator: gpu}, tolerations: [{key: dedicated, value: gpu, effect: NoSchedule}]}
      - {kind: Deployment, namespace: default, name: plain, replicas: 1, image: "nginx:1.27", cpu: 100m, memory: 64Mi}
    """,
        cluster="""
    cluster:
      controlPlane:
        - {name: cp-1}
      nodes:
        - {name: worker-1, labels: {accelerator: gpu}, taints: [{key: dedicated, value: gpu, effect: NoSchedule}]}
        - {name: worker-2}
        - {name: worker-3, unschedulable: true}
    """,
    )
    changes = engine.run_until(30)
    assert {p.parent for p in pods(engine, "gpu-")} == {"node/worker-1"}
    assert {p.parent for p in pods(engine, "plain-")} == {"node/worker-2"}
    assert not events(changes, "FailedScheduling")


def test_a_selector_nothing_matches_names_every_filter_that_rejected_a_node():
    engine = make_engine(
        """
    workloads:
      - {kind: Pod, namespace: default, name: lost, image: "nginx:1.27", nodeSelector: {disk: ssd}}
    """,
        cluster="""
    cluster:
      controlPlane:
        - {name: cp-1}
      nodes:
        - {name: worker-1}
        - {name: worker-2, unschedulable: true}
    """,
    )
    failed = events(engine.run_until(5), "FailedScheduling")
    assert failed[0].message.startswith(
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "1 node(s) were unschedulable. no new claims to deallocate, preemption: 0/3 nodes are available: "
        "3 Preemption is not helpful"
    )


def test_a_waiting_pod_is_scheduled_when_capacity_is_freed():
    engine = make_engine("""
    workloads:
      - {kind: Deployment, namespace: default, name: big, replicas: 4, image: "nginx:1.27", cpu: 3500m, memory: 128Mi}
    timeline:
      - {at: 60, action: scale, deployment: default/big, replicas: 3}
    """)
    engine.run_until(30)
    assert sum(1 for p in pods(engine, "big-") if p.status == "Pending") == 1
    engine.run_until(120)
    # Scaling down removes the unscheduled pod first, as the ReplicaSet controller ranks pods.
    assert [p.status for p in pods(engine, "big-")] == ["Running"] * 3


def test_the_number_of_nodes_to_score_follows_the_adaptive_default():
    assert nodes_to_find(50) == 50
    assert nodes_to_find(1000) == 420
    assert nodes_to_find(5000) == 500


# The default profile's score plugins and weights, as pkg/scheduler/apis/config/v1/default_plugins.go
# (getDefaultPlugins) enables them.
DEFAULT_PLUGINS_GO_WEIGHTS = {
    "TaintToleration": 3,
    "NodeAffinity": 2,
    "NodeResourcesFit": 1,
    "PodTopologySpread": 2,
    "InterPodAffinity": 2,
    "NodeResourcesBalancedAllocation": 1,
    "ImageLocality": 1,
}

TAINTED_AND_LOADED = """
cluster:
  controlPlane:
    - {name: cp-1}
  nodes:
    - {name: worker-1, taints: [{key: spot, value: "true", effect: PreferNoSchedule}]}
    - {name: worker-2}
"""


def test_scores_weigh_each_default_plugin_as_default_plugins_go_does():
    """pkg/scheduler/apis/config/v1/default_plugins.go: TaintToleration weighs 3, LeastAllocated 1.

    worker-1 is empty but has a PreferNoSchedule taint; worker-2 already runs a 1-cpu pod. LeastAllocated
    alone would pick worker-1; with TaintToleration's weight of 3 the untainted worker-2 wins.
    """
    engine = make_engine(
        """
    workloads:
      - {kind: Pod, namespace: default, name: load, image: "nginx:1.27", cpu: 1000m, memory: 64Mi,
         nodeSelector: {kubernetes.io/hostname: worker-2}}
      - {kind: Deployment, namespace: default, name: probe, replicas: 0, image: "nginx:1.27", cpu: 100m, memory: 64Mi}
    timeline:
      - {at: 5, action: scale, deployment: default/probe, replicas: 1}
    """,
        cluster=TAINTED_AND_LOADED,
    )
    engine.run_until(10)
    probe = pods(engine, "probe")[0]
    decision = probe.detail["scheduling"]
    assert probe.parent == "node/worker-2"
    assert decision["result"] == "Scheduled"
    assert decision["node"] == "worker-2"
    assert decision["weights"] == DEFAULT_PLUGINS_GO_WEIGHTS
    by_node = {c["node"]: c for c in decision["scores"]}
    assert set(by_node) == {"worker-1", "worker-2"}
    for candidate in decision["scores"]:
        weighted = sum(DEFAULT_PLUGINS_GO_WEIGHTS[name] * score for name, score in candidate["plugins"].items())
        assert candidate["total"] == weighted
    assert by_node["worker-1"]["plugins"]["TaintToleration"] == 0
    assert by_node["worker-2"]["plugins"]["TaintToleration"] == 100
    assert by_node["worker-1"]["plugins"]["NodeResourcesFit"] > by_node["worker-2"]["plugins"]["NodeResourcesFit"]
    assert decision["scores"][0]["node"] == "worker-2"
    # The filters' verdict per node: the control plane's taint rejects cp-1, both workers fit.
    verdicts = {row["nodes"][0]: row["verdict"] for row in decision["filters"]}
    assert verdicts == {
        "cp-1": "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
        "worker-1": "fits",
        "worker-2": "fits",
    }


def test_the_default_topology_spread_scores_follow_scoring_go_over_hosts_and_zones():
    """pkg/scheduler/framework/plugins/podtopologyspread/scoring.go with the system default constraints
    (plugin.go: maxSkew 3 over kubernetes.io/hostname, 5 over topology.kubernetes.io/zone):
    a node's raw score is round(sum of count * log(domains + 2) + maxSkew - 1), normalised to
    100 * (max + min - raw) / max. Three workers share zone-a, worker-4 is alone in zone-b."""
    engine = make_engine(
        """
    workloads:
      - {kind: Deployment, namespace: default, name: web, replicas: 8, image: "nginx:1.27", cpu: 10m, memory: 16Mi}
    """,
        cluster="""
    cluster:
      controlPlane:
        - {name: cp-1}
      nodes:
        - {name: worker-1, zone: zone-a}
        - {name: worker-2, zone: zone-a}
        - {name: worker-3, zone: zone-a}
        - {name: worker-4, zone: zone-b}
    """,
    )
    engine.run_until(30)
    web = pods(engine, "web-")
    last = [p for p in web if p.detail["scheduling"]][-1]
    decision = last.detail["scheduling"]
    # What the nodes held when the last pod was scheduled: everything but the last pod itself.
    held = {f"worker-{i}": 0 for i in range(1, 5)}
    for p in web:
        if p.id != last.id:
            held[p.parent.split("/", 1)[1]] += 1
    zone_of = {"worker-1": "zone-a", "worker-2": "zone-a", "worker-3": "zone-a", "worker-4": "zone-b"}
    in_zone = {z: sum(n for node, n in held.items() if zone_of[node] == z) for z in ("zone-a", "zone-b")}
    raw = {
        node: round(n * math.log(4 + 2) + (3 - 1) + in_zone[zone_of[node]] * math.log(2 + 2) + (5 - 1))
        for node, n in held.items()
    }
    high, low = max(raw.values()), min(raw.values())
    expected = {node: 100 * (high + low - r) // high for node, r in raw.items()}
    assert {c["node"]: c["plugins"]["PodTopologySpread"] for c in decision["scores"]} == expected
    assert len(set(expected.values())) > 1, "the placement should leave the nodes unevenly loaded"
    # The zone constraint pulls pods to the lone zone-b node: it holds more than any zone-a node.
    final = {node: sum(1 for p in web if p.parent == f"node/{node}") for node in zone_of}
    assert final["worker-4"] > max(final["worker-1"], final["worker-2"], final["worker-3"])


def test_a_pod_that_fits_nowhere_keeps_each_nodes_verdict_and_the_preemption_text():
    engine = make_engine("""
    workloads:
      - {kind: Deployment, namespace: default, name: big, replicas: 4, image: "nginx:1.27", cpu: 3500m, memory: 128Mi}
    """)
    engine.run_until(30)
    pending = next(p for p in pods(engine, "big-") if p.status == "Pending")
    decision = pending.detail["scheduling"]
    assert decision["result"] == "FailedScheduling"
    assert decision["node"] is None
    assert decision["scores"] == []
    verdicts = sorted(row["verdict"] for row in decision["filters"])
    assert verdicts == [
        "Insufficient cpu",
        "Insufficient cpu",
        "Insufficient cpu",
        "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
    ]
    assert decision["preemption"] == (
        "0/4 nodes are available: 1 Preemption is not helpful for scheduling, "
        "3 No preemption victims found for incoming pod"
    )


def test_past_twenty_nodes_the_verdicts_are_grouped_and_only_the_latest_decisions_are_kept():
    nodes = "\n".join(f"    - {{name: worker-{i}}}" for i in range(1, 26))
    engine = make_engine(
        """
    workloads:
      - {kind: Deployment, namespace: default, name: many, replicas: 300, image: "nginx:1.27", cpu: 1m, memory: 1Mi}
    """,
        cluster=f"cluster:\n  controlPlane:\n    - {{name: cp-1}}\n  nodes:\n{nodes}\n",
    )
    engine.run_until(60)
    placed = pods(engine, "many-")
    with_decision = [p for p in placed if p.detail["scheduling"]]
    assert len(placed) == 300
    assert len(with_decision) == DECISIONS_KEPT
    rows = with_decision[-1].detail["scheduling"]["filters"]
    assert [(row["verdict"], row["count"]) for row in rows] == [
        ("fits", 25),
        ("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }", 1),
    ]
    assert rows[0]["nodes"] == [f"worker-{i}" for i in range(1, 6)]
    assert len(with_decision[-1].detail["scheduling"]["scores"]) == 5


def test_the_queue_backs_off_one_second_doubling_to_ten():
    """pkg/scheduler/backend/queue/scheduling_queue.go: podInitialBackoffDuration 1 s, podMaxBackoffDuration 10 s."""
    assert [backoff(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_a_cluster_event_retries_a_failed_pod_only_once_its_back_off_is_over():
    """pkg/scheduler/backend/queue/scheduling_queue.go: a pod moved out of the unschedulable pods by a
    cluster event waits in the backoff queue until 1 s, then 2 s, then 4 s after its last failed attempt."""
    engine = make_engine("""
    workloads:
      - {kind: Pod, namespace: default, name: huge, image: "nginx:1.27", cpu: 9000m, memory: 64Mi}
    """)

    def parked() -> bool:
        return bool(engine.scheduler.unschedulable)

    failures = [e.time for e in events(engine.run_until(5, parked), "FailedScheduling")]
    for _ in range(3):
        engine.scheduler.retry_all()  # what a node or pod event does to the waiting pods, at once
        failures += [e.time for e in events(engine.run_until(engine.clock + 30, parked), "FailedScheduling")]
    seconds = [datetime.fromisoformat(t).timestamp() for t in failures]
    assert [round(b - a, 3) for a, b in pairwise(seconds)] == [1.0, 2.0, 4.0]


def test_a_tie_for_the_top_score_goes_to_a_random_one_of_the_tied_nodes():
    """selectHost (pkg/scheduler/schedule_one.go) picks among the nodes with the top score by reservoir
    sampling, and returns the chosen one at the top of its list; the simulator seeds that choice."""
    body = """
    workloads:
      - {kind: Pod, namespace: default, name: solo, image: "nginx:1.27", cpu: 100m, memory: 64Mi}
    """

    def placed(seed):
        engine = make_engine(body, seed=seed)
        engine.run_until(5)
        pod = engine.state().get("pod/default/solo")
        return pod.parent, pod.detail["scheduling"]

    first, decision = placed(1)
    assert decision["tied"] == 3  # three like, empty workers: every plugin scores them the same
    assert decision["scores"][0]["node"] == first.removeprefix("node/")
    assert len({c["total"] for c in decision["scores"]}) == 1
    assert placed(1)[0] == first  # one seed, one story
    assert len({placed(seed)[0] for seed in range(1, 13)}) > 1  # not always the first node


def test_preemption_counts_nodes_not_reasons_when_a_node_lacks_cpu_and_memory_both():
    """FitError's histogram counts each reason (a node may add "Insufficient cpu" and "Insufficient
    memory"), but preemption's message gives each node one verdict (pkg/scheduler/framework/preemption,
    nodesWherePreemptionMightHelp): 0/4 nodes, so the preemption counts add up to 4."""
    engine = make_engine("""
    workloads:
      - {kind: Pod, namespace: default, name: huge, image: "nginx:1.27", cpu: "64", memory: 512Gi}
    """)
    (failed, *_) = events(engine.run_until(5), "FailedScheduling")
    assert failed.message == (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "3 Insufficient cpu, 3 Insufficient memory. no new claims to deallocate, preemption: 0/4 nodes are "
        "available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod."
    )
