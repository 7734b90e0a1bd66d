"""kube-scheduler: filters, least-allocated scoring, and FailedScheduling in kube-scheduler's words."""

from explorer.sources.simulated.scheduler import nodes_to_find

from .conftest import events, make_engine, pods


def test_pods_that_do_not_fit_get_failed_scheduling_in_the_real_message_shape():
    engine = make_engine("""
    workloads:
      - {kind: Deployment, namespace: default, name: big, replicas: 4, image: "nginx:1.27", cpu: 3500m, memory: 128Mi}
    """)
    changes = engine.run_until(30)
    failed = events(changes, "FailedScheduling")
    assert failed, "the fourth pod should not fit"
    assert failed[0].message == (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "3 Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, "
        "3 No preemption victims found for incoming pod."
    )
    assert failed[0].severity == "Warning"
    pending = [p for p in pods(engine, "big-") if p.status == "Pending"]
    assert len(pending) == 1
    assert pending[0].parent is None
    assert pending[0].detail["why"] == failed[0].message


def test_the_scheduler_spreads_pods_to_the_least_allocated_node():
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
        "1 node(s) were unschedulable. preemption: 0/3 nodes are available: 3 Preemption is not helpful"
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
