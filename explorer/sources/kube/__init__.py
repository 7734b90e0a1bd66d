"""A real cluster as the source: list+watch through the official kubernetes client, read-only."""

from explorer.sources.kube.source import KubeSource

__all__ = ["KubeSource"]
