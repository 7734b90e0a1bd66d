"""The kubelet: image pulls, ErrImagePull and ImagePullBackOff, liveness restarts and CrashLoopBackOff."""

from datetime import datetime
from itertools import pairwise

from explorer.sources.simulated.kubelet import backoff

from .conftest import events, make_engine, pods, statuses


def test_a_missing_image_gives_err_image_pull_then_image_pull_backoff_with_growing_waits():
    engine = make_engine("""
    missingImages: ["nginx:9.99"]
    workloads:
      - {kind: Pod, namespace: default, name: broken, image: "nginx:9.99"}
    """)
    changes = engine.run_until(200)
    pod = "pod/default/broken"
    seen = [s for i, s in enumerate(statuses(changes, pod)) if i == 0 or statuses(changes, pod)[i - 1] != s]
    assert seen[:4] == ["Pending", "ContainerCreating", "ErrImagePull", "ImagePullBackOff"]
    failed = events(changes, "Failed", pod)
    assert failed[0].message.startswith('Failed to pull image "nginx:9.99": rpc error: code = NotFound')
    assert 'failed to resolve reference "docker.io/library/nginx:9.99"' in failed[0].message
    pulls = [e.time for e in events(changes, "Pulling", pod)]
    assert len(pulls) >= 4
    assert engine.state().get(pod).health.value == "error"


def test_a_crashing_container_is_restarted_with_backoff_doubling_from_ten_seconds():
    engine = make_engine("""
    workloads:
      - {kind: Pod, namespace: default, name: crasher, image: "busybox:1.37", crashAfter: 1}
    """)
    changes = engine.run_until(900)
    pod = "pod/default/crasher"
    assert "CrashLoopBackOff" in statuses(changes, pod)
    backoffs = events(changes, "BackOff", pod)
    assert backoffs[0].message.startswith("Back-off restarting failed container busybox in pod crasher_default(")
    starts = [e.time for e in events(changes, "Started", pod)]
    moments = [datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in starts]
    gaps = [round(b - a - 1 - 0.4, 1) for a, b in pairwise(moments)]
    # Restart 1 is immediate; then 10, 20, 40, 80, 160 s, then the 300 s cap.
    assert gaps[:7] == [0.5, 10, 20, 40, 80, 160, 300]


def _restart_gaps(changes, pod: str, ran: float) -> list[float]:
    starts = [e.time for e in events(changes, "Started", pod)]
    moments = [datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in starts]
    return [round(b - a - ran - 0.4, 1) for a, b in pairwise(moments)]


def test_a_container_that_ran_ten_minutes_restarts_without_backoff():
    """After a run longer than twice the 300 s cap the back-off starts afresh.

    Kubernetes: staging/src/k8s.io/client-go/util/flowcontrol/backoff.go (hasExpired:
    eventTime - lastUpdate > 2 x maxDuration) as used by doBackOff in
    pkg/kubelet/kuberuntime/kuberuntime_manager.go with MaxContainerBackOff = 300 s
    (pkg/kubelet/kubelet.go).
    """
    engine = make_engine("""
    workloads:
      - {kind: Pod, namespace: default, name: steady, image: "busybox:1.37", crashAfter: 610}
      - {kind: Pod, namespace: default, name: short, image: "busybox:1.37", crashAfter: 590}
    """)
    changes = engine.run_until(3000)
    steady, short = "pod/default/steady", "pod/default/short"
    assert _restart_gaps(changes, steady, 610)[:4] == [0.5, 0.5, 0.5, 0.5]
    assert "CrashLoopBackOff" not in statuses(changes, steady)
    assert not events(changes, "BackOff", steady)
    # Just under ten minutes is not stable yet: the waits keep doubling.
    assert _restart_gaps(changes, short, 590)[:4] == [0.5, 10, 20, 40]
    assert "CrashLoopBackOff" in statuses(changes, short)


def test_a_restarted_kubelet_forgets_the_backoff():
    """The kubelet keeps the back-off in memory (pkg/kubelet/kubelet.go: klet.backOff =
    flowcontrol.NewBackOff(backOffPeriod, MaxContainerBackOff)), so a rebooted node restarts at once."""
    engine = make_engine("""
    workloads:
      - {kind: Pod, namespace: default, name: crasher, image: "busybox:1.37", crashAfter: 1}
    """)
    engine.run_until(200)
    pod = engine.pods["pod/default/crasher"]
    assert pod.crashes >= 4
    node = engine.nodes[pod.node or ""]
    engine.kubelet.machine_down(node)
    engine.run_until(210)
    engine.kubelet.machine_up(node)
    changes = engine.run_until(240)
    gaps = _restart_gaps(changes, "pod/default/crasher", 1)
    assert gaps[:1] == [0.5]


def test_backoff_is_capped_at_five_minutes():
    assert [backoff(n) for n in range(1, 9)] == [0, 10, 20, 40, 80, 160, 300, 300]


def test_a_failing_liveness_probe_kills_the_container_after_three_failures():
    engine = make_engine("""
    workloads:
      - {kind: Pod, namespace: default, name: stuck, image: "ghcr.io/example/app:1", livenessFailsAfter: 20}
    """)
    changes = engine.run_until(70)
    pod = "pod/default/stuck"
    assert len(events(changes, "Unhealthy", pod)) == 3
    killing = events(changes, "Killing", pod)
    assert killing[0].message == "Container app failed liveness probe, will be restarted"
    assert engine.state().get(pod).detail["restarts"] == 1


def test_an_image_already_on_the_node_is_not_pulled_again():
    engine = make_engine(
        """
    workloads:
      - {kind: Deployment, namespace: default, name: web, replicas: 2, image: "nginx:1.27"}
    """,
        cluster="""
    cluster:
      nodes:
        - {name: worker-1}
    """,
    )
    changes = engine.run_until(30)
    assert len(events(changes, "Pulling")) == 2  # both pods start pulling before either finishes
    engine.command({"action": "scale", "deployment": "default/web", "replicas": 3})
    later = engine.run_until(60)
    assert [e.message for e in events(later, "Pulled")] == ['Container image "nginx:1.27" already present on machine']
    assert all(p.status == "Running" for p in pods(engine))
