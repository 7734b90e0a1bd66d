"""Events as Kubernetes records them: their object, their type and their words."""

from .conftest import events, make_engine


def test_scaling_replica_set_is_recorded_on_the_deployment_in_its_words():
    """pkg/controller/deployment/sync.go (scaleReplicaSet): eventRecorder.Eventf(deployment, Normal,
    "ScalingReplicaSet", "Scaled %s replica set %s to %d from %d")."""
    engine = make_engine("""
    workloads:
      - {kind: Deployment, namespace: default, name: web, replicas: 2, image: "nginx:1.27"}
    timeline:
      - {at: 20, action: scale, deployment: default/web, replicas: 5}
    """)
    changes = engine.run_until(30)
    scaled = events(changes, "ScalingReplicaSet")[-1]
    assert scaled.involved == "deployment/default/web"
    assert scaled.severity == "Normal"
    rs = next(iter(engine.workloads.replicasets.values())).name
    assert scaled.message == f"Scaled up replica set {rs} to 5 from 2"


def test_node_not_ready_is_a_normal_event_on_the_node_and_a_warning_on_its_pods():
    """pkg/controller/util/node/controller_utils.go: RecordNodeStatusChange records the node's
    NodeNotReady as EventTypeNormal; MarkPodsNotReady records each pod's as EventTypeWarning."""
    engine = make_engine("""
    workloads:
      - {kind: Pod, namespace: default, name: solo, image: "nginx:1.27"}
    """)
    engine.run_until(20)
    node = engine.nodes[engine.pods["pod/default/solo"].node or ""]
    engine.kubelet.machine_down(node)
    changes = engine.run_until(120)
    on_node = events(changes, "NodeNotReady", node.id)
    assert [(e.severity, e.message) for e in on_node] == [("Normal", f"Node {node.name} status is now: NodeNotReady")]
    on_pod = events(changes, "NodeNotReady", "pod/default/solo")
    assert [(e.severity, e.message) for e in on_pod] == [("Warning", "Node is not ready")]
