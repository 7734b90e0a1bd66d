"""The Deployment and ReplicaSet controllers: scaling and rolling updates within maxSurge and maxUnavailable."""

import pytest

from explorer.model import ComponentChange
from explorer.sources.base import CommandError
from explorer.sources.simulated import Engine, get_scenario
from explorer.sources.simulated.controllers.workloads import deletion_order, resolve_fraction
from explorer.sources.simulated.world import PodTemplate, SimPod

from .conftest import events, make_engine, pods


def live_pods_over_time(engine, until, step=0.25):
    """(total pods not Terminating, available pods) sampled through a rollout."""
    samples = []
    t = engine.clock
    while t < until:
        t += step
        engine.run_until(t)
        web = [p for p in pods(engine, "web-") if p.status != "Terminating"]
        samples.append((len(web), sum(1 for p in web if p.status == "Running" and p.detail["ready"] == "1/1")))
    return samples


def test_a_rolling_update_stays_within_max_surge_and_max_unavailable():
    engine = Engine(get_scenario("rolling-update"), seed=3)
    engine.run_until(59)
    old_images = {p.detail["images"][0] for p in pods(engine, "web-")}
    assert old_images == {"nginx:1.27"}
    samples = live_pods_over_time(engine, 240)
    assert max(total for total, _ in samples) <= 8 + 2
    assert min(available for _, available in samples) >= 8 - 1
    final = pods(engine, "web-")
    assert len(final) == 8
    assert {p.detail["images"][0] for p in final} == {"nginx:1.28"}
    assert all(p.status == "Running" for p in final)


def test_scaling_creates_and_deletes_pods_with_scaling_events():
    engine = make_engine("""
    workloads:
      - {kind: Deployment, namespace: default, name: web, replicas: 2, image: "nginx:1.27"}
    timeline:
      - {at: 20, action: scale, deployment: default/web, replicas: 5}
      - {at: 40, action: scale, deployment: default/web, replicas: 1}
    """)
    changes = engine.run_until(30)
    assert len(pods(engine, "web-")) == 5
    assert "Scaled up replica set web-" in events(changes, "ScalingReplicaSet")[-1].message
    assert events(changes, "ScalingReplicaSet")[-1].message.endswith("to 5 from 2")
    changes = engine.run_until(60)
    assert len(pods(engine, "web-")) == 1
    assert len(events(changes, "SuccessfulDelete")) == 4
    removed = [c for c in changes if isinstance(c, ComponentChange) and c.type.value == "removed"]
    assert len(removed) == 4


def test_rolling_back_reuses_the_old_replicaset():
    engine = make_engine("""
    workloads:
      - {kind: Deployment, namespace: default, name: web, replicas: 3, image: "nginx:1.27"}
    """)
    engine.run_until(30)
    first = {p.name.rsplit("-", 1)[0] for p in pods(engine, "web-")}
    engine.command({"action": "set-image", "deployment": "default/web", "image": "nginx:1.28"})
    engine.run_until(120)
    engine.command({"action": "set-image", "deployment": "default/web", "image": "nginx:1.27"})
    engine.run_until(240)
    assert {p.name.rsplit("-", 1)[0] for p in pods(engine, "web-")} == first


def test_scaling_by_a_number_adds_to_the_replicas_there_are_each_time():
    engine = make_engine("""
    workloads:
      - {kind: Deployment, namespace: default, name: web, replicas: 2, image: "nginx:1.27"}
    """)
    engine.run_until(30)
    for expected in (3, 4):
        engine.command({"action": "scale", "deployment": "default/web", "by": 1})
        engine.run_until(engine.clock + 30)
        running = [p for p in pods(engine, "web-") if p.status == "Running"]
        assert len(running) == expected


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"action": "scale", "deployment": "default/nope", "replicas": 2}, "unknown deployment 'default/nope'"),
        ({"action": "scale", "deployment": "default/web", "replicas": "many"}, "replicas must be a whole number"),
        ({"action": "scale", "deployment": "default/web", "replicas": -1}, "replicas must be from 0"),
        ({"action": "scale", "deployment": "default/web", "by": "one"}, "by must be a whole number"),
        ({"action": "scale", "deployment": "default/web", "by": -2}, "replicas must be from 0 to 100000, not -1"),
        ({"action": "set-image", "deployment": "default/web", "image": ""}, "image must be an image reference"),
    ],
)
def test_bad_workload_commands_are_refused_with_a_clear_message(payload, message):
    engine = make_engine("""
    workloads:
      - {kind: Deployment, namespace: default, name: web, replicas: 1, image: "nginx:1.27"}
    """)
    engine.run_until(5)
    with pytest.raises(CommandError, match=message):
        engine.command(payload)


def test_percentages_round_surge_up_and_unavailable_down():
    assert resolve_fraction("25%", 6, round_up=True) == 2
    assert resolve_fraction("25%", 6, round_up=False) == 1
    assert resolve_fraction(3, 6, round_up=True) == 3


def test_every_replica_gets_a_pod_of_its_own_even_when_generated_names_collide():
    engine = make_engine(
        """
    workloads:
      - {kind: Deployment, namespace: default, name: web, replicas: 6000, image: "nginx:1.27", cpu: 1m, memory: 1Mi}
    """,
        cluster="""
    cluster:
      nodes:
        - {name: worker-1, cpu: '64', memory: 64Gi, maxPods: 10000}
    """,
    )
    created = events(engine.run_until(30), "SuccessfulCreate")
    assert len({e.involved for e in created}) == len(created) == 6000
    assert len(pods(engine, "web-")) == 6000


def test_scaling_down_deletes_a_doubled_up_pod_before_the_newest():
    """getPodsRankedByRelatedPodsOnSameNode (pkg/controller/replicaset/replica_set.go): a pod sharing
    its node with more of the Deployment's pods goes before a newer pod alone on its node."""
    engine = make_engine("""
    workloads:
      - {kind: Deployment, namespace: default, name: web, replicas: 3, image: "nginx:1.27"}
    timeline:
      - {at: 0, action: cordon, node: worker-3}
      - {at: 100, action: uncordon, node: worker-3}
      - {at: 200, action: scale, deployment: default/web, replicas: 4}
      - {at: 2000, action: scale, deployment: default/web, replicas: 3}
    """)
    engine.run_until(1999)
    by_node: dict[str, list[str]] = {}
    for pod in engine.pods.values():
        by_node.setdefault(pod.node or "", []).append(pod.id)
    assert sorted(len(v) for v in by_node.values()) == [1, 1, 2]
    newest = max(engine.pods.values(), key=lambda p: p.created)
    assert newest.node == "worker-3"
    doubled = next(ids for ids in by_node.values() if len(ids) == 2)
    changes = engine.run_until(2010)
    deleted = [e.involved for e in events(changes, "SuccessfulDelete")]
    assert len(deleted) == 1
    assert deleted[0] in doubled


def _pod(name: str, created: float, **fields) -> SimPod:
    template = PodTemplate("nginx:1.27", 100, 64)
    pod = SimPod("default", name, fields.pop("uid", name), "ReplicaSet/web-1", template, created)
    pod.node, pod.phase, pod.ready, pod.ready_since = "worker-1", "Running", True, created + 5
    for key, value in fields.items():
        setattr(pod, key, value)
    return pod


def test_the_deletion_order_follows_active_pods_with_ranks():
    """ActivePodsWithRanks.Less in pkg/controller/controller_utils.go, rule by rule, with
    LogarithmicScaleDown: ages compared in power-of-two buckets, a tie in a bucket settled by UID."""
    now = 10_000.0
    old = _pod("old", 0)
    cases = [
        (_pod("unassigned", 0, node=None, phase="Pending", ready=False, ready_since=None), old),
        (_pod("pending", 0, phase="Pending", ready=False, ready_since=None), old),
        (_pod("not-ready", 0, ready=False, ready_since=None), old),
        (_pod("cheap", 0, deletion_cost=-5), _pod("newer-but-dear", 9000, deletion_cost=10)),
    ]
    for first, second in cases:
        assert deletion_order([second, first], [first, second], now)[0] is first, first.name
    # Doubled up: a pod on a node with two of the Deployment's pods goes before a newer one alone.
    crowded, alone = _pod("crowded", 0), _pod("alone", 9000, node="worker-2")
    neighbour = _pod("neighbour", 0)
    assert deletion_order([alone, crowded], [alone, crowded, neighbour], now)[0] is crowded
    # Ready for less time goes first, unless both ages fall in the same power-of-two bucket ...
    assert deletion_order([old, _pod("young", 9000)], [], now)[0].name == "young"
    a, b = _pod("b-later", 2000, uid="b"), _pod("a-earlier", 1900, uid="a")  # ~8000 s and ~8100 s: one bucket
    assert deletion_order([a, b], [], now)[0] is b  # ... then the lower UID, not the newer pod
    # Same ready time: more restarts first, then the newer pod.
    same = [_pod("calm", 0), _pod("restarted", 0, restarts=3)]
    assert deletion_order(same, [], now)[0].name == "restarted"
    made_later = _pod("made-later", 9000, ready_since=5.0)
    assert deletion_order([_pod("first", 0), made_later], [], now)[0] is made_later
    # Created 10000 s and 9000 s ago: one bucket, so the lower UID goes first, not the newer pod.
    in_one_bucket = _pod("z-newer", 1000, ready_since=5.0)
    assert deletion_order([in_one_bucket, _pod("a-older", 0)], [], now)[0].name == "a-older"
