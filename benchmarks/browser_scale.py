"""What one browser tab costs at scale, beside the whole-cluster stream an API client reads.

For the simulation at 100, 1000 and 5000 nodes, and a replayed recording of
5000 nodes with 150000 pods (built directly: the simulation cannot grow that
many pods), each served by a real daphne and opened in Debian's chromium at
1920x1080:

- time to live: from `goto` to the page's live indicator saying live;
- JS heap (CDP `Runtime.getHeapUsage`, after the burst) and DOM elements;
- the largest WebSocket frame the page received;
- bytes per second to the page during a node failure (5 s) and during a burst
  of pod changes, 10 s (the simulation: `scale` the web Deployment to its
  `max_replicas`, each new pod created, bound and started, or each extra one
  deleted; the recording: 10000 pod status flips in one second); `burst msgs`
  is how many messages the API client got in that window;

and the same figures for a plain `/ws/events/` client (time to its whole
snapshot, its largest message, its bytes per second in the same windows).

Targets: live within 10 s; heap under 100 MB at 5000 nodes / 150000 pods;
no frame near daphne's 1 MiB limit.

Run: python benchmarks/browser_scale.py [NODES ...]   (prints a table; "replay" for the 150000-pod row)
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "explorer.settings")

from playwright.sync_api import Page, sync_playwright
from websockets.sync.client import connect

from benchmarks.render import cluster
from explorer.model import ChangeType, ComponentChange, Health
from explorer.model.changes import snapshot_message
from tests.conftest import CHROMIUM, ServerProcess

T0 = "2026-01-01T09:00:00.000Z"


def _at(seconds: float) -> str:
    return f"2026-01-01T09:00:{seconds:06.3f}Z"


@dataclass
class Meter:
    """Bytes and frames received, by time."""

    frames: list[tuple[float, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, size: int) -> None:
        with self.lock:
            self.frames.append((time.monotonic(), size))

    def largest(self) -> int:
        with self.lock:
            return max((size for _, size in self.frames), default=0)

    def count(self, start: float, end: float) -> int:
        with self.lock:
            return sum(1 for at, _ in self.frames if start <= at < end)

    def rate(self, start: float, end: float) -> float:
        with self.lock:
            return sum(size for at, size in self.frames if start <= at < end) / (end - start)


class ApiClient:
    """A plain `/ws/events/` client, reading everything in a thread."""

    def __init__(self, url: str) -> None:
        self.meter = Meter()
        self.snapshot_done: float | None = None
        self.started = time.monotonic()
        self.socket = connect(url.replace("http", "ws", 1) + "/ws/events/", max_size=None, ping_interval=None)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for text in self.socket:
                self.meter.add(len(text))
                if self.snapshot_done is None and '"type":"snapshot"' in text[:40]:
                    head = json.loads(text)
                    if head.get("chunk") == head.get("chunks"):
                        self.snapshot_done = time.monotonic() - self.started
        except Exception:  # closed at the end of the run
            return

    def close(self) -> None:
        self.socket.close()


def replay_recording(directory: Path) -> Path:
    """5000 nodes with 150000 pods; a node fails 2 s in, and 10000 pod changes follow at 6 s."""
    state = cluster(5000)
    lines = [json.dumps({**snapshot_message(state, 0), "time": T0})]
    seq = 0
    for cid in ("node/worker-00007", "kubelet/worker-00007"):
        seq += 1
        c = state.components[cid]
        lines.append(
            json.dumps(
                ComponentChange(ChangeType.UPDATED, c.with_(status="NotReady", health=Health.ERROR), _at(2)).to_message(
                    seq
                )
            )
        )
    pods = [c for c in state.components.values() if c.kind == "pod"][:10000]
    for i, pod in enumerate(pods):
        seq += 1
        flipped = pod.with_(status="CrashLoopBackOff", health=Health.ERROR)
        lines.append(json.dumps(ComponentChange(ChangeType.UPDATED, flipped, _at(6 + i / 10000)).to_message(seq)))
    path = directory / "scale.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def open_page(browser, url: str) -> tuple[Page, Meter, float]:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    meter = Meter()
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: meter.add(len(payload))))
    started = time.monotonic()
    page.goto(url, timeout=120_000)
    page.wait_for_selector('#live-status[data-state="live"]', timeout=120_000)
    return page, meter, time.monotonic() - started


def sim_clock(server: ServerProcess) -> float:
    with urllib.request.urlopen(f"{server.url}/api/sim/", timeout=60) as response:
        return float(json.loads(response.read())["clock"])


def settle(server: ServerProcess, limit: float = 180) -> None:
    """Until the simulation's workloads have rolled out (at most 50 problems)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{server.url}/dashboard/status/", timeout=60) as response:
            count = re.search(r"<small>([^<]*)</small>", response.read().decode())
        # Before the workloads start (the first simulated minute) there are no problems yet either.
        if count and "+" not in count.group(1) and sim_clock(server) >= 60:
            return
        time.sleep(1)


def measure(browser, label: str, env: dict[str, str], simulated: bool) -> dict[str, object]:
    server = ServerProcess(env=env)
    try:
        if simulated:
            server.sim({"action": "speed", "value": 100})
            settle(server)
        page, page_meter, live = open_page(browser, server.url)
        api = ApiClient(server.url)
        while api.snapshot_done is None and time.monotonic() - api.started < 120:
            page.wait_for_timeout(100)  # the sync API hands the page's frames over only while it waits
        cdp = page.context.new_cdp_session(page)
        if simulated:
            failure = time.monotonic()
            server.sim({"action": "node-down", "node": "worker-7"})
            page.wait_for_timeout(5000)
            burst = time.monotonic()
            with urllib.request.urlopen(f"{server.url}/api/sim/", timeout=60) as response:
                most = json.loads(response.read())["max_replicas"]
            server.sim({"action": "scale", "deployment": "default/web", "replicas": most})
            page.wait_for_timeout(10_000)
        else:
            server.sim({"action": "resume"})
            failure = time.monotonic() + 2
            page.wait_for_timeout(6000)
            burst = time.monotonic()
            page.wait_for_timeout(10_000)
        end = time.monotonic()
        heap = cdp.send("Runtime.getHeapUsage")["usedSize"]
        dom = page.evaluate("document.getElementsByTagName('*').length")
        page.screenshot(
            path=str(Path(tempfile.gettempdir()) / f"browser-scale-{re.sub(r'[^a-z0-9]+', '-', label)}.png")
        )
        api.close()
        return {
            "size": label,
            "live s": round(live, 2),
            "heap MB": round(heap / 1e6, 1),
            "DOM": dom,
            "page max frame KB": round(page_meter.largest() / 1024, 1),
            "page B/s failure": round(page_meter.rate(failure, failure + 5)),
            "page B/s burst": round(page_meter.rate(burst, end)),
            "API snapshot s": round(api.snapshot_done or float("nan"), 2),
            "API max msg KB": round(api.meter.largest() / 1024, 1),
            "API B/s failure": round(api.meter.rate(failure, failure + 5)),
            "API B/s burst": round(api.meter.rate(burst, end)),
            "burst msgs": api.meter.count(burst, end),
        }
    finally:
        server.stop()


def main(sizes: list[str]) -> None:
    rows = []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for size in sizes:
            if size == "replay":
                recording = replay_recording(Path(tmp))
                env = {"EXPLORER_SOURCE": "replay", "EXPLORER_REPLAY_FILE": str(recording)}
                rows.append(measure(browser, "5000 nodes / 150000 pods (replay)", env, simulated=False))
            else:
                env = {"EXPLORER_NODES": size, "EXPLORER_SPEED": "1"}
                rows.append(measure(browser, f"{size} nodes (sim)", env, simulated=True))
        browser.close()
    headers = list(rows[0])
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in headers]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(str(row[h]).ljust(w) for h, w in zip(headers, widths, strict=True)))


if __name__ == "__main__":
    main(sys.argv[1:] or ["100", "1000", "5000", "replay"])
