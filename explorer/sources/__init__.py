"""Sources: where the cluster model comes from (simulated, kube, replay).

Each source implements `explorer.sources.base.Source`; adding one means adding a
sub-package and a line in `explorer.sources.factory.SOURCES`.
"""

from explorer.sources.base import CommandError, Source, SourceError

__all__ = ["CommandError", "Source", "SourceError"]
