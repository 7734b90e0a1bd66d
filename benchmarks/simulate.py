"""How fast the simulated cluster runs headless: 1000 nodes, 30000 pods, one simulated hour.

Each Deployment has a Service, so the EndpointSlice controller (30000
endpoints in slices of 100) and every node's kube-proxy run too. The hour
holds a node failure (the node goes NotReady after the grace period, its pods
are evicted after the 300 s toleration and replaced) and a rolling update of
the largest Deployment. Prints wall time, simulated/wall ratio, the process's
CPU time (the engine is single-threaded, so this is the one-core cost even
when other work shares the machine) and peak memory (the process's max RSS).
Target: >= 100x, < 1 GB.

    .venv/bin/python benchmarks/simulate.py [--nodes 1000] [--pods 30000] [--hours 1]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.model import ComponentChange, Event
from explorer.sources.simulated import Engine
from explorer.sources.simulated.scenarios import parse_scenario


def scenario_text(nodes: int, pods: int, duration: float) -> str:
    per_deployment = pods // 10
    workers = "\n".join(
        f"    - {{name: worker-{i}, cpu: '16', memory: 64Gi, zone: zone-{'abc'[i % 3]}}}" for i in range(1, nodes + 1)
    )
    workloads = "\n".join(
        f"  - {{kind: Deployment, namespace: shop, name: app-{i}, replicas: {per_deployment}, "
        f"image: 'registry.example.com/shop/app-{i}:1.0', cpu: 200m, memory: 256Mi}}"
        for i in range(10)
    )
    services = "\n".join(
        f"  - {{namespace: shop, name: app-{i}, selector: {{app: app-{i}}}, ports: [{{port: 80, targetPort: 8080}}]}}"
        for i in range(10)
    )
    return f"""
name: benchmark
cluster:
  name: bench
  controlPlane:
    - {{name: cp-1, cpu: '8', memory: 32Gi}}
    - {{name: cp-2, cpu: '8', memory: 32Gi}}
    - {{name: cp-3, cpu: '8', memory: 32Gi}}
  nodes:
{workers}
services:
{services}
workloads:
{workloads}
timeline:
  - {{at: 600, action: node-down, node: worker-17}}
  - {{at: 1500, action: set-image, deployment: shop/app-0, image: 'registry.example.com/shop/app-0:1.1'}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=30000)
    parser.add_argument("--hours", type=float, default=1.0)
    args = parser.parse_args()
    duration = args.hours * 3600
    scenario = parse_scenario(scenario_text(args.nodes, args.pods, duration), "benchmark.yaml")

    started = time.perf_counter()
    engine = Engine(scenario, seed=1)
    built = time.perf_counter() - started
    changes = events = 0
    run_started = time.perf_counter()
    cpu_started = time.process_time()
    step = 60.0
    t = 0.0
    while t < duration:
        t = min(t + step, duration)
        for change in engine.run_until(t):
            if isinstance(change, Event):
                events += 1
            elif isinstance(change, ComponentChange):
                changes += 1
    wall = time.perf_counter() - run_started
    cpu = time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    state = engine.state()
    pods = state.of_kind("pod")
    running = sum(1 for p in pods if p.status == "Running" and p.detail["ready"])
    terminating = sum(1 for p in pods if p.status == "Terminating")
    on_failed = sum(1 for p in pods if p.parent == "node/worker-17" and p.status != "Terminating")

    rows = [
        ("nodes", f"{args.nodes}"),
        ("pods wanted", f"{args.pods}"),
        ("pods Running and ready at the end", f"{running}"),
        ("pods Terminating on the failed node", f"{terminating}"),
        ("live pods left on the failed node", f"{on_failed}"),
        ("component changes", f"{changes}"),
        ("events", f"{events}"),
        ("simulated time", f"{duration:.0f} s"),
        ("build time", f"{built:.2f} s"),
        ("wall time (run)", f"{wall:.2f} s"),
        ("simulated / wall", f"{duration / wall:.0f}x  (target >= 100x)"),
        ("CPU time (run, one core)", f"{cpu:.2f} s"),
        ("simulated / CPU time", f"{duration / cpu:.0f}x  (the same, on a machine shared with other work)"),
        ("peak memory (max RSS)", f"{peak_mb:.0f} MB  (target < 1024 MB)"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 30}")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
