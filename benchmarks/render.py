"""Server-side render cost of the overview: cold layout against raw `dot -Tsvg`, and a state-only change.

Run: python benchmarks/render.py   (prints a table)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "explorer.settings")

from explorer.diagrams import DiagramRenderer, render_dot
from explorer.sources.simulated import Engine, get_scenario


def timed(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    engine = Engine(get_scenario("steady-state"), seed=1)
    engine.run_until(60)
    state = engine.state()
    dot = render_dot(state, "overview")
    raw = timed(lambda: subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True))
    cold = timed(lambda: DiagramRenderer().svg(state, "overview"))
    warm_renderer = DiagramRenderer()
    svg = warm_renderer.svg(state, "overview")
    engine.command({"action": "node-down", "node": "worker-1"})
    changed = engine.state()
    restyle = timed(lambda: warm_renderer.svg(changed, "overview"), repeat=50)
    row = "{:<10} {:>10} {:>9} {:>10} {:>6} {:>11} {:>7}"
    print(row.format("view", "components", "raw dot", "ours cold", "ratio", "state-only", "svg KB"))
    print(
        f"{'overview':<10} {len(state):>10} {raw * 1000:>7.1f}ms {cold * 1000:>8.1f}ms {cold / raw:>6.2f}"
        f" {restyle * 1000:>9.2f}ms {len(svg) / 1024:>7.1f}"
    )


if __name__ == "__main__":
    main()
