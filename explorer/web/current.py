"""What every view starts from: a consistent copy of the current state, and the shared renderer.

Shared by the view modules, so none imports another's helpers.
"""

from __future__ import annotations

from typing import NamedTuple

from explorer.diagrams import DiagramRenderer
from explorer.live.runtime import Runtime, get_runtime
from explorer.model import ClusterState, Health

__all__ = ["CurrentState", "current_state", "health_summary", "inline_svg", "renderer"]

# One per process: its layout cache serves every page and every export.
renderer = DiagramRenderer()


class CurrentState(NamedTuple):
    """The state as of `seq`, safe to read in a worker thread, and the runtime it came from."""

    seq: int
    state: ClusterState
    runtime: Runtime


async def current_state(namespace: str | None = None) -> CurrentState:
    """A copy of the newest state (only `namespace`'s workloads when one is named)."""
    runtime = await get_runtime()
    seq, state = await runtime.snapshot()
    # A shallow copy is a consistent snapshot (components are frozen) that a worker thread may read.
    return CurrentState(seq, state.only_namespace(namespace) if namespace else state.copy(), runtime)


def inline_svg(svg: str) -> str:
    """Drop the XML prolog and DOCTYPE so the SVG can sit inside the page."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def health_summary(state: ClusterState) -> dict[str, int]:
    """How many components are in each health."""
    counts = {health.value: 0 for health in Health}
    for c in state.components.values():
        counts[c.health.value] += 1
    return counts
