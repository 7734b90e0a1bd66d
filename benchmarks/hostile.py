"""What a hostile cluster's text costs the hub: memory kept after a flood of huge events, and the cost of the caps.

150 Kubernetes events with a 1 MB message each, about 150 different pods,
go through the hub as any source's events do (numbered, stored, published,
remembered for the panels). Printed: how much the process grew and kept after a
full garbage collection, what the panels' event memory holds, how much of a
100 KB message is kept; then what the caps cost on the ordinary path: checking
one pod's component, and capping a first state of 30000 pods.

Run: python benchmarks/hostile.py   (prints a table)
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.hub import Hub, MemoryStateStore
from explorer.model import ClusterState, Component, Event, Health
from explorer.sources.base import Source

EVENTS, SIZE = 150, 1_000_000
T = "2026-01-01T09:00:00.000Z"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Flood(Source):
    kind = "bench"

    async def start(self) -> ClusterState:
        return ClusterState(cluster="bench", source="bench")

    async def changes(self):  # type: ignore[override]
        for n in range(EVENTS):
            # A fresh megabyte each time, as a watch stream parses each event anew.
            yield [Event("Flood", "x" * SIZE, f"pod/default/p{n}", T, "Warning")]


async def flood() -> tuple[float, Hub, float]:
    async def publish(messages: list[dict]) -> None:
        return None

    hub = Hub(Flood(), MemoryStateStore(), publish)
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    await hub.run()
    took = time.perf_counter() - started
    gc.collect()
    return rss_mb() - before, hub, took


def pod(n: int) -> Component:
    return Component(
        f"pod/shop/app-{n}",
        "pod",
        f"app-{n}",
        "Running",
        Health.OK,
        "shop",
        f"node/worker-{n % 1000}",
        {
            "phase": "Running",
            "owner": "ReplicaSet/app-5d8f7c9b6d",
            "node": f"worker-{n % 1000}",
            "images": ["registry.example.com/shop/app:1.0"],
            "claims": [],
            "ready": True,
            "restarts": 0,
            "requests": {"cpu": "200m", "memory": "256Mi"},
            "why": "",
        },
    )


def main() -> None:
    grown, hub, took = asyncio.run(flood())
    recent = hub.recent_events
    kept = len(recent.of("pod/default/p0")[0]["message"]) if recent.of("pod/default/p0") else 0
    big = Event("Big", "y" * 100_000, "pod/default/p0", T)

    caps = None
    try:
        from explorer.model.changes import cap_state
        from explorer.model.limits import cap_component

        one = pod(1)
        per_pod = timeit.timeit(lambda: cap_component(one), number=20000) / 20000 * 1e6
        state = ClusterState(pod(n) for n in range(30000))
        started = time.perf_counter()
        cap_state(state)
        caps = (per_pod, time.perf_counter() - started)
    except ImportError:  # a checkout from before the caps: nothing to time
        pass

    rows = [
        ("events through the hub", f"{EVENTS} of {SIZE // 1_000_000} MB, about {EVENTS} pods", ""),
        ("process growth kept (RSS, after a full GC)", f"{grown:.1f} MB", "was about 150 MB"),
        ("remembered for the panels", f"{len(recent.of('pod/default/p0')) and len(recent.involved())} events", ""),
        ("  their size", f"{getattr(recent, 'bytes', 0) / 1e6:.1f} MB", "budget 16 MB"),
        ("one message as kept", f"{kept} characters", "TEXT_LIMIT 4096"),
        ("a 100 KB message as built", f"{len(big.message)} characters", ""),
        ("hub time per 1 MB event", f"{took / EVENTS * 1e3:.2f} ms", ""),
    ]
    if caps:
        rows += [
            ("cap check of a clean pod component", f"{caps[0]:.2f} µs", "the common case"),
            ("capping a first state of 30000 pods", f"{caps[1] * 1e3:.0f} ms", "once, when the hub starts"),
        ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'result':<34}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:<34}  {note}")


if __name__ == "__main__":
    main()
