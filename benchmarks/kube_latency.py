"""How soon a pod deleted in the cluster leaves every open page: watch event -> WebSocket message.

A daphne server reads the local list/watch apiserver of the tests (the kind cluster's real
objects) with EXPLORER_SOURCE=kube; a WebSocket client on /ws/events/ waits for the `removed`
message of each pod deleted, 20 times. Target (the issue's acceptance): within a second.

Run: python benchmarks/kube_latency.py   (prints a table)
"""

from __future__ import annotations

import asyncio
import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import websockets

from tests.conftest import ServerProcess
from tests.sources.kube.apiserver import FakeApiServer, load
from tests.sources.kube.test_source import seed_kind_cluster

ROUNDS = 20


async def measure(server: ServerProcess, api: FakeApiServer) -> list[float]:
    template = load("pods/pod-failed-oomkilled.json")[0]
    latencies: list[float] = []
    async with websockets.connect(server.url.replace("http", "ws") + "/ws/events/") as socket:
        await socket.recv()  # the snapshot
        for i in range(ROUNDS):
            pod = copy.deepcopy(template)
            pod["metadata"]["name"] = f"bench-{i}"
            cid = f"pod/{pod['metadata']['namespace']}/bench-{i}"
            api.emit("pods", "ADDED", pod)
            await _wait(socket, cid, "added")
            start = time.perf_counter()
            api.emit("pods", "DELETED", pod)
            await _wait(socket, cid, "removed")
            latencies.append(time.perf_counter() - start)
    return latencies


async def _wait(socket: websockets.ClientConnection, cid: str, kind: str) -> None:
    while True:
        message = json.loads(await socket.recv())
        for m in message if isinstance(message, list) else [message]:
            if m.get("type") == kind and m.get("component", {}).get("id") == cid:
                return


def main() -> None:
    api = FakeApiServer()
    seed_kind_cluster(api)
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess({"EXPLORER_SOURCE": "kube", "KUBECONFIG": str(api.kubeconfig(Path(tmp) / "config"))})
        try:
            latencies = asyncio.run(measure(server, api))
        finally:
            server.stop()
            api.stop()
    latencies.sort()
    rows = [
        ("pods deleted", f"{ROUNDS}", ""),
        ("median, delete -> `removed` on the socket", f"{statistics.median(latencies) * 1000:.0f} ms", "< 1000 ms"),
        ("worst", f"{latencies[-1] * 1000:.0f} ms", "< 1000 ms"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'result':<10}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:<10}  {target}")


if __name__ == "__main__":
    main()
