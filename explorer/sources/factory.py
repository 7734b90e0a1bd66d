"""The registry of sources: the one place that knows every source by name.

A new source is its sub-package plus one line here. Each entry names the
Source class by import path, so a kind's dependencies (the kubernetes client)
load only when that kind is chosen.
"""

from __future__ import annotations

import importlib
from dataclasses import fields
from typing import Any

from explorer.sources.base import Source, SourceError, SourceOptions

__all__ = ["SOURCES", "SOURCE_KINDS", "build_source", "source_class"]

SOURCES: dict[str, str] = {
    "sim": "explorer.sources.simulated.source:SimulatedSource",
    "kube": "explorer.sources.kube.source:KubeSource",
    "replay": "explorer.sources.replay.source:ReplaySource",
}
SOURCE_KINDS = tuple(SOURCES)


def source_class(kind: str) -> type[Source]:
    """The Source class registered as `kind`; SourceError names the known kinds otherwise."""
    if kind not in SOURCES:
        raise SourceError(f"unknown source {kind!r}; sources: {', '.join(SOURCE_KINDS)}")
    module, _, name = SOURCES[kind].partition(":")
    cls: type[Source] = getattr(importlib.import_module(module), name)
    return cls


def build_source(kind: str, options: SourceOptions | None = None, **values: Any) -> Source:
    """The source `kind`, from `options` or from option fields given by name (`file=...`)."""
    if options is None:
        known = {f.name for f in fields(SourceOptions)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SourceError(f"unknown source options: {', '.join(unknown)}")
        options = SourceOptions(**values)
    return source_class(kind).from_options(options)
