"""Server-side render cost of every view: cold layout against raw `dot -Tsvg`, SVG size, and a state-only change.

Clusters of 3, 100, 1000 and 5000 nodes with 30 pods each are built directly
as ClusterStates of plain Components (three zones, two node pools, one
volume claim per ten nodes, an `app` Service over one pod per node and
kube-dns), so the figures do not depend on the simulator.

Targets: overview of 1000 nodes / 30000 pods under 1 s cold; our cold render
at most 1.3x raw `dot -Tsvg` on the same DOT; a state-only change under 5 ms.

Run: python benchmarks/render.py [NODES ...]   (prints a table)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "explorer.settings")

from explorer.diagrams import DiagramRenderer, plan_view
from explorer.diagrams.paint import Paint
from explorer.diagrams.render import resolve
from explorer.model import ClusterState, Component, Health

PODS_PER_NODE = 30
ZONES = ("zone-a", "zone-b", "zone-c")
POOLS = ("general", "memory")


def cluster(nodes: int) -> ClusterState:
    """A cluster of `nodes` workers behind three control-plane nodes, 30 running pods on each worker."""
    components: list[Component] = []
    for i in range(1, 4):
        cp = f"cp-{i}"
        labels = {"topology.kubernetes.io/zone": ZONES[i - 1], "node-role.kubernetes.io/control-plane": ""}
        components.append(
            Component(f"node/{cp}", "node", cp, "Ready", Health.OK, detail={"role": "control-plane", "labels": labels})
        )
        components.append(Component(f"apiserver/{cp}", "apiserver", cp, "Running", Health.OK, parent=f"node/{cp}"))
        status = "Leader" if i == 1 else "Follower"
        components.append(
            Component(f"etcd/{cp}", "etcd", cp, status, Health.OK, parent=f"node/{cp}", detail={"term": 4})
        )
        for kind in ("scheduler", "controller-manager"):
            components.append(Component(f"{kind}/{cp}", kind, cp, status, Health.OK, parent=f"node/{cp}"))
        for kind in ("kubelet", "kube-proxy", "runtime"):
            components.append(Component(f"{kind}/{cp}", kind, cp, "Running", Health.OK, parent=f"node/{cp}"))
    for registry in ("docker.io", "registry.k8s.io"):
        components.append(Component(f"registry/{registry}", "registry", registry, "Reachable", Health.OK))
    components.append(
        Component(
            "storageclass/standard",
            "storageclass",
            "standard",
            "Available",
            Health.OK,
            detail={"provisioner": "ebs.csi.aws.com", "volumeBindingMode": "WaitForFirstConsumer", "default": True},
        )
    )
    for n in range(nodes):
        name = f"worker-{n:05d}"
        node_id = f"node/{name}"
        labels = {"topology.kubernetes.io/zone": ZONES[n % 3], "node.kubernetes.io/pool": POOLS[n % 2]}
        components.append(
            Component(node_id, "node", name, "Ready", Health.OK, detail={"role": "worker", "labels": labels})
        )
        for kind in ("kubelet", "kube-proxy", "runtime"):
            components.append(Component(f"{kind}/{name}", kind, name, "Running", Health.OK, parent=node_id))
        for p in range(PODS_PER_NODE):
            claims = [f"data-{n}"] if p == 0 and n % 10 == 0 else []
            image = "registry.k8s.io/pause:3.10" if p == 1 else "nginx:1.27"
            pod = f"app-{n:05d}-{p:02d}"
            detail = {"images": [image], "claims": claims, "phase": "Running"}
            components.append(
                Component(f"pod/default/{pod}", "pod", pod, "Running", Health.OK, "default", node_id, detail)
            )
        if n % 10 == 0:
            pv, pvc = f"pv-{n:05d}", f"data-{n}"
            components.append(
                Component(
                    f"pv/{pv}",
                    "pv",
                    pv,
                    "Bound",
                    Health.OK,
                    detail={"storageClass": "standard", "capacity": "10Gi", "claim": f"default/{pvc}"},
                )
            )
            components.append(
                Component(
                    f"pvc/default/{pvc}",
                    "pvc",
                    pvc,
                    "Bound",
                    Health.OK,
                    "default",
                    detail={"storageClass": "standard", "capacity": "10Gi", "volume": pv},
                )
            )
    components += services(nodes)
    return ClusterState(components, cluster=f"bench-{nodes}", source="bench")


def services(nodes: int) -> list[Component]:
    """kube-dns in front of two pods, and an `app` Service in front of one pod per worker, in slices of 100."""
    components: list[Component] = []
    fronted = {"kube-dns": [(f"app-{n:05d}-03", f"worker-{n:05d}") for n in range(min(2, nodes))]}
    fronted["app"] = [(f"app-{n:05d}-02", f"worker-{n:05d}") for n in range(nodes)]
    for i, (name, pods) in enumerate(sorted(fronted.items())):
        detail = {"type": "ClusterIP", "clusterIP": f"10.96.0.{10 + i}", "ports": [{"port": 80, "protocol": "TCP"}]}
        components.append(
            Component(f"service/default/{name}", "service", name, "Active", Health.OK, "default", None, detail)
        )
        for first in range(0, len(pods), 100):
            endpoints = [{"pod": pod, "node": node, "ready": True} for pod, node in pods[first : first + 100]]
            slice_name = f"{name}-{first // 100:04d}"
            sd = {
                "service": name,
                "owner": f"Service/{name}",
                "endpoints": endpoints,
                "ready": len(endpoints),
                "notReady": 0,
            }
            components.append(
                Component(
                    f"endpointslice/default/{slice_name}",
                    "endpointslice",
                    slice_name,
                    "Ready",
                    Health.OK,
                    "default",
                    None,
                    sd,
                )
            )
    return components


def state_only_change(hub_state: ClusterState) -> tuple[ClusterState, ClusterState]:
    """Two copies of the hub's state, as the server renders them, around a state-only change.

    A pod crashes and a node goes NotReady: health and status move, topology does not.
    """
    before = hub_state.copy()
    pod = next(c for c in hub_state.components.values() if c.kind == "pod")
    hub_state.put(pod.with_(status="CrashLoopBackOff", health=Health.ERROR))
    node = hub_state.components["node/worker-00001"]
    hub_state.put(node.with_(status="NotReady", health=Health.ERROR))
    return before, hub_state.copy()


def timed(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def measure(state: ClusterState, changed: ClusterState, view: str, repeat: int) -> tuple[int, float, float, float, int]:
    """(elements drawn, raw dot s, our cold s, state-only change s, SVG bytes) for one view of one cluster."""
    plan = plan_view(state, view)
    dot = resolve(view)[0].build(plan, Paint(plan, layout=True)).source.encode()
    raw = timed(lambda: subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, check=True), repeat)
    cold = timed(lambda: DiagramRenderer().svg(state, view), repeat)
    warm = DiagramRenderer()
    svg = warm.svg(state, view)
    # Alternate between the two states, so every call meets a real (state-only) difference.
    states = [changed, state] * 10
    restyle = timed(lambda: warm.svg(states.pop(), view), len(states))
    assert warm.layouts_computed == 1, "a state-only change ran Graphviz again"
    return len(plan.drawn), raw, cold, restyle, len(svg)


def main(sizes: list[int]) -> None:
    header = "{:>6} {:>7} {:<16} {:>8} {:>10} {:>10} {:>6} {:>11} {:>8}"
    print(header.format("nodes", "pods", "view", "elements", "raw dot", "ours cold", "ratio", "state-only", "SVG KB"))
    for nodes in sizes:
        state, changed = state_only_change(cluster(nodes))
        repeat = 3 if nodes <= 1000 else 1
        for view in ("overview", "control-plane", "nodes/worker-00001", "storage", "network"):
            drawn, raw, cold, restyle, size = measure(state, changed, view, repeat)
            print(
                header.format(
                    nodes,
                    nodes * PODS_PER_NODE,
                    view.replace("worker-00001", "<n>"),
                    drawn,
                    f"{raw * 1000:.0f} ms",
                    f"{cold * 1000:.0f} ms",
                    f"{cold / raw:.2f}",
                    f"{restyle * 1000:.2f} ms",
                    f"{size / 1024:.0f}",
                ),
                flush=True,
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [3, 100, 1000, 5000])
