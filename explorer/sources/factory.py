"""Builds the configured source; the one place that knows every source by name."""

from __future__ import annotations

from explorer.sources.base import Source, SourceError

__all__ = ["SOURCE_KINDS", "build_source"]

SOURCE_KINDS = ("sim", "kube", "replay")


def build_source(
    kind: str,
    *,
    scenario: str = "steady-state",
    seed: int = 1,
    speed: float = 1.0,
    nodes: int = 0,
    kubeconfig: str = "",
    context: str = "",
    file: str = "",
    autoplay: bool = False,
    loop: bool = False,
    exit_at_end: bool = False,
) -> Source:
    """The source `kind` with its options; SourceError says plainly what is wrong."""
    if kind == "sim":
        from explorer.sources.simulated import SimulatedSource
        from explorer.sources.simulated.scenarios import ScenarioError

        try:
            return SimulatedSource(scenario=scenario, seed=seed, speed=speed, nodes=nodes)
        except ScenarioError as error:
            raise SourceError(str(error)) from None
    if kind == "kube":
        from explorer.sources.kube import KubeSource

        # KubeSource.start() reads the kubeconfig (or the in-cluster service account) and says what is wrong.
        return KubeSource(kubeconfig=kubeconfig, context=context)
    if kind == "replay":
        from explorer.sources.replay import ReplaySource

        return ReplaySource(file=file, speed=speed, autoplay=autoplay, loop=loop, exit_at_end=exit_at_end)
    raise SourceError(f"unknown source {kind!r}; sources: {', '.join(SOURCE_KINDS)}")
