"""What steering a replay costs: reading a recording, and seeking back and forth in it.

Records the node-failure scenario headless (as `manage.py simulate` does) at a
few cluster sizes, then, for each, times: reading and checking the recording;
a seek from the start to its end (forward: from where it stands); a seek from
the end back to 30 s (back: the state rebuilt from the snapshot); a seek to the
middle; and how many changes each seek sends (the difference from the state the
clients have). A seek runs on the hub's event loop, so its time is how long
every other message waits.

    .venv/bin/python benchmarks/replay.py [NODES ...]     # default: 3 100 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.model.changes import snapshot_message
from explorer.sources.replay import ReplaySource, load_recording
from explorer.sources.simulated import Engine, get_scenario

DURATION = 900.0


def record(nodes: int, path: Path) -> None:
    engine = Engine(get_scenario("node-failure", nodes), seed=7)
    with path.open("w") as out:
        out.write(json.dumps({**snapshot_message(engine.state(), 0), "time": engine.timestamp()}) + "\n")
        for seq, change in enumerate(engine.run_until(DURATION), start=1):
            out.write(json.dumps(change.to_message(seq), separators=(",", ":")) + "\n")


async def measure(nodes: int, folder: Path) -> dict[str, object]:
    path = folder / f"node-failure-{nodes}.jsonl"
    record(nodes, path)
    started = time.perf_counter()
    recording = load_recording(path)
    read = time.perf_counter() - started
    source = ReplaySource(str(path), speed=1.0)
    await source.start()
    row: dict[str, object] = {
        "nodes": nodes,
        "components": len(recording.state.components),
        "changes": len(recording.changes),
        "MB": round(path.stat().st_size / 1e6, 1),
        "read s": round(read, 3),
    }
    for name, target in (("to end", recording.duration), ("back to 30 s", 30.0), ("to middle", DURATION / 2)):
        while not source._out.empty():
            source._out.get_nowait()
        started = time.perf_counter()
        await source.command({"action": "seek", "to": target})
        row[f"{name} ms"] = round((time.perf_counter() - started) * 1000, 1)
        row[f"{name} sent"] = sum(len(b or []) for b in _drain(source))
    await source.close()
    return row


def _drain(source: ReplaySource) -> list[list[object] | None]:
    batches = []
    while not source._out.empty():
        batches.append(source._out.get_nowait())
    return batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("nodes", type=int, nargs="*", default=[3, 100, 1000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rows = [asyncio.run(measure(n, Path(folder))) for n in args.nodes]
    keys = list(rows[0])
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(str(row[k]) for k in keys))


if __name__ == "__main__":
    main()
