"""The source the settings name: the one place the site's settings and a caller's overrides meet."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.conf import settings

from explorer.sources.base import Source, SourceOptions
from explorer.sources.factory import build_source

__all__ = ["configured_source"]


def configured_source(source: str | None = None, **overrides: Any) -> Source:
    """The source EXPLORER_SOURCE (or `source`) names, with EXPLORER_* and KUBECONFIG as options.

    Overrides that are None are ignored, so a command line can pass every flag as given.
    """
    options = SourceOptions(
        scenario=settings.EXPLORER_SCENARIO,
        seed=settings.EXPLORER_SEED,
        speed=settings.EXPLORER_SPEED,
        nodes=settings.EXPLORER_NODES,
        kubernetes_version=settings.EXPLORER_KUBERNETES_VERSION,
        kubeconfig=settings.KUBECONFIG,
        context=settings.EXPLORER_CONTEXT,
        file=settings.EXPLORER_REPLAY_FILE,
        autoplay=settings.EXPLORER_REPLAY_AUTOPLAY,
        loop=settings.EXPLORER_REPLAY_LOOP,
    )
    options = replace(options, **{key: value for key, value in overrides.items() if value is not None})
    return build_source(source or settings.EXPLORER_SOURCE, options)
