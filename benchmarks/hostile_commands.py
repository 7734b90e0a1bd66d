"""What hostile commands and export floods do to a running explorer: its health probe, its memory.

A daphne server runs the simulated cluster at 100x. A prober GETs /healthz every 50 ms
(20 s timeout) throughout; each row sends something, then watches for WINDOW seconds:
the answer's status and time (the slowest, for several), the median and the slowest
probe, the probes that failed (not 200, or no answer in 20 s), the worst event-loop lag
the server reported (X-Loop-Lag-Ms of /healthz; "-" when the code has no such header),
and the server's memory (RSS now, and its peak so far, from /proc). The machine's other work shows in the
probes too: read the medians beside the slowest.

Rows: the server idle; `scale kube-system/coredns` to 100000 replicas; to the cap (5000
at 100 nodes and more); a reset; 200 malformed commands; 24 PNG exports of the storage
view at once (the same one) and 8 different exports, with the time a page takes meanwhile.

Run: python benchmarks/hostile_commands.py [--nodes 1000] [--root PATH] [--rows idle,huge,...]
`--root` runs another checkout's code (for figures from before: `git archive 3acd481 | tar -x -C /tmp/base`),
`--rows` picks rows and their order (code from before may not come back from `huge` for minutes).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.render import cluster
from explorer.model.changes import snapshot_message

WINDOW = 8.0
PROBE_EVERY = 0.05
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path, nodes: int, recording: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EXPLORER_"))}
        env.update({"DJANGO_SETTINGS_MODULE": "explorer.settings", "EXPLORER_SPEED": "100"})
        env.update({"EXPLORER_NODES": str(nodes), "EXPLORER_LOG_LEVEL": "WARNING"})
        if recording is not None:
            env.update({"EXPLORER_SOURCE": "replay", "EXPLORER_REPLAY_FILE": str(recording)})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "explorer.asgi:application"],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        deadline = time.monotonic() + 120
        while True:
            try:
                self.opener.open(f"{self.url}/", timeout=60).read()  # the page sets the csrftoken cookie
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.token = next(c.value for c in jar if c.name == "csrftoken")
        self.loop_lag = 0  # the worst the /healthz answers reported (X-Loop-Lag-Ms), since the last row

    def memory(self) -> tuple[float, float]:
        """(RSS, peak RSS) in MB."""
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            fields[name] = value
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def post(self, body: bytes, timeout: float = 60) -> tuple[int, float]:
        request = urllib.request.Request(
            f"{self.url}/api/sim/",
            data=body,
            headers={"Content-Type": "application/json", "X-CSRFToken": self.token},
        )
        return self._timed(request, timeout)

    def get(self, path: str, timeout: float = 60) -> tuple[int, float]:
        return self._timed(urllib.request.Request(f"{self.url}{path}"), timeout)

    def _timed(self, request: urllib.request.Request, timeout: float) -> tuple[int, float]:
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=timeout) as response:
                response.read()
                status = response.status
                self.loop_lag = max(self.loop_lag, int(response.headers.get("X-Loop-Lag-Ms") or 0))
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0  # no answer in time
        return status, time.perf_counter() - started

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Prober(threading.Thread):
    """GETs /healthz every PROBE_EVERY seconds; `window()` answers (slowest ms, failures) since the last call."""

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server = server
        self.results: list[tuple[int, float]] = []
        self.lock = threading.Lock()
        self.running = True

    def run(self) -> None:
        while self.running:
            status, took = self.server.get("/healthz", timeout=20)
            with self.lock:
                self.results.append((status, took))
            time.sleep(PROBE_EVERY)

    def window(self) -> tuple[float, float, int, int]:
        """(median ms, slowest ms, failed, probes) since the last call."""
        with self.lock:
            results, self.results = self.results, []
        times = sorted(took for _, took in results) or [0.0]
        failed = sum(status != 200 for status, _ in results)
        return times[len(times) // 2] * 1000, times[-1] * 1000, failed, len(results)


JUNK = [
    b'{"action": ["pause"]}',
    b'{"action": "scale", "deployment": "kube-system/coredns", "replicas": 1e999}',
    b'{"action": "scale", "deployment": "kube-system/coredns", "replicas": 1.5}',
    b'{"action": "scale", "deployment": "kube-system/coredns", "replicas": true}',
    b'{"action": "scale", "deployment": "kube-system/coredns", "replicas": "12"}',
    b'{"action": "speed", "value": true}',
    b"[" * 3000 + b"]" * 3000,
    b'{"action": {"a": 1}}',
]


ROWS = ("idle", "huge", "cap", "reset", "junk", "exports")


def rows(server: Server, prober: Prober, cap: int, chosen: list[str]) -> list[list[str]]:
    table = []

    def row(name: str, answers: list[tuple[int, float]], extra: str = "") -> None:
        time.sleep(WINDOW)
        median, slowest, failed, probes = prober.window()
        loop_lag, server.loop_lag = server.loop_lag, 0
        rss, peak = server.memory()
        statuses = ",".join(sorted({str(s) for s, _ in answers})) or "-"
        took = max((t for _, t in answers), default=0.0)
        probed = [f"{median:.0f}", f"{slowest:.0f}", f"{failed}/{probes}", str(loop_lag) if loop_lag else "-"]
        table.append([name, statuses, f"{took * 1000:.0f}", *probed, f"{rss:.0f}", f"{peak:.0f}"])
        if extra:
            table[-1][0] += f" ({extra})"
        print("  ".join(table[-1]), file=sys.stderr, flush=True)

    scale = {"action": "scale", "deployment": "kube-system/coredns"}
    time.sleep(10)  # the first pages and the runtime's start are not what is measured
    prober.window()
    for name in chosen:
        if name == "idle":
            row("idle", [])
        elif name == "huge":
            row("scale coredns to 100000", [server.post(json.dumps({**scale, "replicas": 100_000}).encode())])
        elif name == "cap":
            row(f"scale coredns to {cap}", [server.post(json.dumps({**scale, "replicas": cap}).encode())])
        elif name == "reset":
            row("reset", [server.post(b'{"action": "reset"}')])
        elif name == "junk":
            row("200 malformed commands", [server.post(JUNK[i % len(JUNK)], timeout=20) for i in range(200)])
        elif name == "exports":
            with ThreadPoolExecutor(max_workers=40) as pool:
                same = [pool.submit(server.get, "/diagram/storage.png", 120) for _ in range(24)]
                others = ["overview.png", "control-plane.png", "storage.dot", "overview.dot", "control-plane.dot"]
                others += ["storage.png?namespace=default", "overview.png?namespace=default", "storage.svg"]
                different = [pool.submit(server.get, f"/diagram/{other}", 120) for other in others]
                time.sleep(0.3)
                page = server.get("/view/overview/", timeout=120)
                answers = [f.result() for f in same + different]
            row("32 PNG exports at once", answers, f"a page meanwhile: {page[0]} in {page[1] * 1000:.0f} ms")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000, help="worker nodes of the simulated cluster")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose code runs")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"which rows, in this order (of {', '.join(ROWS)})")
    parser.add_argument(
        "--replay-nodes",
        type=int,
        default=0,
        help="replay instead a recorded cluster of this many nodes with a claim per ten (render.py's): heavy exports",
    )
    options = parser.parse_args()
    chosen = [name for name in options.rows.split(",") if name]
    if unknown := set(chosen) - set(ROWS):
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    # A TERM (a timeout's) still stops the server: a stuck one ignores its own TERM.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    recording = None
    if options.replay_nodes:
        recording = Path(tempfile.mkstemp(suffix=".jsonl")[1])
        recording.write_text(json.dumps(snapshot_message(cluster(options.replay_nodes), 0)) + "\n")
    server = Server(options.root.resolve(), options.nodes, recording)
    prober = Prober(server)
    prober.start()
    try:
        try:
            with server.opener.open(f"{server.url}/api/sim/", timeout=60) as response:
                cap = json.loads(response.read()).get("max_replicas", 5000)  # older code had no cap: try 5000
        except urllib.error.HTTPError:
            cap = 5000  # no simulation (a replay)
        table = rows(server, prober, cap, chosen)
    finally:
        prober.running = False
        server.stop()
        if recording is not None:
            recording.unlink()
    header = ["what", "status", "answer ms", "/healthz median ms", "slowest", "failed", "loop lag ms"]
    header += ["RSS MB", "peak RSS MB"]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    if options.replay_nodes:
        print(f"a replayed cluster of {options.replay_nodes} nodes (benchmarks/render.py's), {options.root}")
    else:
        print(f"{options.nodes} worker nodes, speed 100x, {options.root}")
    for line in [header, *table]:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))


if __name__ == "__main__":
    main()
