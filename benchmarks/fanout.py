"""Live fan-out: latency from a change leaving the hub to a WebSocket client receiving it.

For 1, 100, 500 and 1000 clients on ONE web process (daphne), at 10 changes a
second, this measures p50/p99 latency and delivered messages per second for:

- ours, memory: the explorer's consumer with the in-memory layer (hub in-process);
- ours, redis: a web worker with REDIS_URL, the hub in a process of its own (as
  `runexplorer` runs it: beating, storing in Redis, publishing to the group);
- channels group_send (memory and redis): a plain Channels consumer per socket
  that joins a group, the usual Channels pattern, as a baseline;
- bare websockets: a `websockets` server broadcasting the same messages, the floor.

Each message carries the wall-clock time it left the hub; clients run in this
process on the same machine, so their parsing cost is in every figure alike.

Run: python benchmarks/fanout.py [--clients 1,100,500,1000] [--seconds 3]   (prints a table)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect  # noqa: E402
from websockets.asyncio.server import broadcast, serve  # noqa: E402

RATE = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=10):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in 60 s")


def wait_port(port: int, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start in 30 s")


class Daphne:
    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "explorer.settings", "PYTHONPATH": str(ROOT), **env}
        self.log = tempfile.NamedTemporaryFile(prefix="fanout-daphne-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "benchmarks.fanout_app:application",
            ],
            cwd=ROOT,
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        wait_http(f"{self.url}/healthz")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Redis:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            sys.exit("redis-server is missing: `make setup-test` installs it")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        time.sleep(0.5)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class BareServer:
    """`python benchmarks/fanout.py --bare-server PORT` in a process of its own, as a web worker would be."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, __file__, "--bare-server", str(self.port)], cwd=ROOT)
        wait_port(self.port, "the bare websockets server")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


async def bare_server(port: int) -> None:
    clients: set[Any] = set()

    async def handler(ws: Any) -> None:
        target = urlsplit(ws.request.path)
        if target.path == "/drive":
            query = {k: v[-1] for k, v in parse_qs(target.query).items()}
            for i in range(int(query["count"])):
                now = time.time()
                message = {"type": "event", "seq": i + 1, "time": "", "reason": "Bench", "message": repr(now)}
                message["involved"] = "node/worker-1"
                broadcast(clients, json.dumps(message, separators=(",", ":")))
                await asyncio.sleep(1 / float(query["rate"]))
            return
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async with serve(handler, "127.0.0.1", port, ping_interval=None, max_queue=None):
        await asyncio.get_running_loop().create_future()


class RedisHub:
    """`python benchmarks/fanout.py --redis-hub URL PORT`: the hub as `runexplorer` runs it, in a process of its own.

    It beats, stores and publishes as in a deployment; its source is paused, and a
    `/drive` WebSocket request makes it publish the benchmark's own events.
    """

    def __init__(self, redis_url: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--redis-hub", redis_url, str(self.port)],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "explorer.settings", "REDIS_URL": redis_url},
        )
        wait_port(self.port, "the hub")

    def drive(self, kind: str, count: int) -> Awaitable[None]:
        return _drive(self.port, f"kind={kind}&count={count}&rate={RATE}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


async def redis_hub(redis_url: str, port: int) -> None:
    import django

    django.setup()
    from benchmarks.fanout_app import PLAIN_GROUP, bench_event
    from explorer.hub.redis_store import RedisStateStore
    from explorer.live.redis_layer import RedisChannelLayer
    from explorer.live.service import HubService
    from explorer.sources.simulated import SimulatedSource

    layer = RedisChannelLayer(hosts=[{"address": redis_url, "socket_timeout": 10}], capacity=1000)
    source = SimulatedSource("steady-state", seed=1)
    service = HubService(source, RedisStateStore(redis_url), layer)
    stop = asyncio.Event()
    running = asyncio.create_task(service.run(stop))
    await source.command({"action": "pause"})  # only the driver's events, at the driver's rate

    async def handler(ws: Any) -> None:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(ws.request.path).query).items()}
        for i in range(int(query["count"])):
            if query["kind"] == "ours":
                await service.hub.handle([bench_event(i)])
            else:
                text = json.dumps(bench_event(i).to_message(i + 1), separators=(",", ":"))
                await layer.group_send(PLAIN_GROUP, {"type": "bench.message", "text": text})
            await asyncio.sleep(1 / float(query["rate"]))

    async with serve(handler, "127.0.0.1", port, ping_interval=None):
        await running


async def measure(
    url: str, clients: int, count: int, greeting: bool, trigger: Callable[[], Awaitable[None]]
) -> dict[str, Any]:
    sockets: list[Any] = []
    while len(sockets) < clients:
        batch = min(100, clients - len(sockets))
        sockets += await asyncio.gather(
            *(connect(url, max_size=None, ping_interval=None, open_timeout=60) for _ in range(batch))
        )
    if greeting:  # our consumer's snapshot: after it, the socket is subscribed
        await asyncio.gather(*(ws.recv() for ws in sockets))
    latencies: list[float] = []
    last = [0.0]

    async def read(ws: Any) -> None:
        async for text in ws:
            now = time.time()
            message = json.loads(text)
            if message.get("reason") == "Bench":
                latencies.append(now - float(message["message"]))
                last[0] = now

    readers = [asyncio.create_task(read(ws)) for ws in sockets]
    start = time.time()
    await trigger()
    expected = clients * count
    deadline = time.monotonic() + count / RATE + 10
    while len(latencies) < expected and time.monotonic() < deadline:  # noqa: ASYNC110 - a deadline, not an event
        await asyncio.sleep(0.1)
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    for start_at in range(0, len(sockets), 200):
        await asyncio.gather(*(ws.close() for ws in sockets[start_at : start_at + 200]), return_exceptions=True)
    latencies.sort()
    elapsed = max(last[0] - start, 1e-9)
    return {
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else float("nan"),
        "rate": len(latencies) / elapsed,
        "lost": expected - len(latencies),
    }


def http_trigger(base: str, kind: str, count: int) -> Callable[[], Awaitable[None]]:
    async def trigger() -> None:
        url = f"{base}/bench/drive?kind={kind}&count={count}&rate={RATE}"
        await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).read())

    return trigger


async def main(sizes: list[int], seconds: float) -> None:
    count = int(seconds * RATE)
    rows: list[tuple[str, int, dict[str, Any]]] = []
    redis = Redis()
    processes: list[Any] = [redis]
    try:
        hub = RedisHub(redis.url)  # before the workers, as a deployment starts them
        processes.append(hub)
        memory_worker = Daphne({})
        processes.append(memory_worker)
        redis_worker = Daphne({"REDIS_URL": redis.url})
        processes.append(redis_worker)
        bare = BareServer()
        processes.append(bare)
    except BaseException:
        for process in reversed(processes):
            process.stop()
        raise
    background: set[asyncio.Task[None]] = set()

    def in_background(coro: Awaitable[None]) -> Callable[[], Awaitable[None]]:
        async def trigger() -> None:
            task = asyncio.ensure_future(coro)
            background.add(task)

        return trigger

    def ws(base: str, route: str) -> str:
        return base.replace("http://", "ws://") + route

    try:
        for n in sizes:
            configs: list[tuple[str, str, bool, Callable[[], Callable[[], Awaitable[None]]]]] = [
                ("ours, memory", ws(memory_worker.url, "/ws/events/"), True,
                 lambda: http_trigger(memory_worker.url, "ours", count)),
                ("ours, redis", ws(redis_worker.url, "/ws/events/"), True,
                 lambda: in_background(hub.drive("ours", count))),
                ("channels group_send, memory", ws(memory_worker.url, "/bench/plain/"), False,
                 lambda: http_trigger(memory_worker.url, "plain", count)),
                ("channels group_send, redis", ws(redis_worker.url, "/bench/plain/"), False,
                 lambda: in_background(hub.drive("plain", count))),
                ("bare websockets broadcast", f"ws://127.0.0.1:{bare.port}/", False,
                 lambda: in_background(_bare_drive(bare.port, count))),
            ]  # fmt: skip
            for name, url, greeting, make_trigger in configs:
                try:
                    result = await measure(url, n, count, greeting, make_trigger())
                except Exception as error:  # one broken row must not cost the others
                    print(f"  {name} at {n} clients failed: {error!r}", file=sys.stderr, flush=True)
                    nan = float("nan")
                    result = {"p50": nan, "p99": nan, "rate": 0.0, "lost": n * count}
                for outcome in await asyncio.gather(*background, return_exceptions=True):
                    if isinstance(outcome, Exception):
                        print(f"  {name}: the driver failed: {outcome!r}", file=sys.stderr)
                background.clear()
                rows.append((name, n, result))
                print(f"  {name:<30} {n:>5} clients: p99 {result['p99']:.1f} ms", file=sys.stderr, flush=True)
                await asyncio.sleep(0.5)
    finally:
        for process in reversed(processes):
            process.stop()

    print(f"\nfan-out on one web process, {RATE:.0f} changes/s for {seconds:.0f} s per row ({os.cpu_count()} CPUs)\n")
    print(f"{'implementation':<30} {'clients':>7} {'p50 ms':>8} {'p99 ms':>8} {'msgs/s':>9} {'lost':>6}")
    for name, n, r in rows:
        print(f"{name:<30} {n:>7} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['rate']:>9.0f} {r['lost']:>6}")
    by = {(name, n): r for name, n, r in rows}
    if 500 in sizes:
        bare500 = by[("bare websockets broadcast", 500)]["p99"]
        print("\ntargets at 500 clients: p99 < 100 ms; ours within 5x of the bare broadcast's p99")
        for name in ("ours, memory", "ours, redis"):
            p99 = by[(name, 500)]["p99"]
            under = "met" if p99 < 100 else "MISSED"
            within = "met" if p99 <= 5 * bare500 else "MISSED"
            print(
                f"  {name:<14} p99 {p99:6.1f} ms (< 100 ms: {under})   bare {bare500:6.1f} ms   "
                f"ratio {p99 / bare500:5.2f}x (within 5x: {within})"
            )


async def _drive(port: int, query: str) -> None:
    async with connect(f"ws://127.0.0.1:{port}/drive?{query}") as ws:
        await ws.wait_closed()


async def _bare_drive(port: int, count: int) -> None:
    await _drive(port, f"count={count}&rate={RATE}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,100,500,1000", help="comma-separated client counts")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds of changes per row")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--redis-hub", nargs=2, metavar=("URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        asyncio.run(bare_server(args.bare_server))
    elif args.redis_hub:
        asyncio.run(redis_hub(args.redis_hub[0], int(args.redis_hub[1])))
    else:
        asyncio.run(main([int(n) for n in args.clients.split(",")], args.seconds))
