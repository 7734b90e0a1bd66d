"""System checks for misconfigurations a person would otherwise debug for an hour."""

from __future__ import annotations

import shutil
from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register

from explorer.sources.simulated.scenarios import SCENARIOS, parse_version


@register()
def check_graphviz(app_configs: Any, **kwargs: Any) -> list[Any]:
    if shutil.which("dot") is None:
        return [
            Error(
                "Graphviz's `dot` is not on PATH: the diagrams cannot be drawn.",
                hint="Install Debian's package 'graphviz' (apt-get install graphviz).",
                id="explorer.E001",
            )
        ]
    return []


@register()
def check_scenario(app_configs: Any, **kwargs: Any) -> list[Any]:
    if settings.EXPLORER_SOURCE == "sim" and settings.EXPLORER_SCENARIO not in SCENARIOS:
        return [
            Error(
                f"EXPLORER_SCENARIO={settings.EXPLORER_SCENARIO!r} is not a built-in scenario.",
                hint=f"Choose one of: {', '.join(SCENARIOS)}.",
                id="explorer.E002",
            )
        ]
    return []


@register()
def check_kubernetes_version(app_configs: Any, **kwargs: Any) -> list[Any]:
    version = settings.EXPLORER_KUBERNETES_VERSION
    if not version:
        return []
    try:
        parse_version(version)
    except ValueError as error:
        return [Error(f"EXPLORER_KUBERNETES_VERSION: {error}.", id="explorer.E003")]
    return []


@register()
def check_channel_layer(app_configs: Any, **kwargs: Any) -> list[Any]:
    if settings.EXPLORER_SOURCE != "sim" and not settings.REDIS_URL:
        return []
    if settings.REDIS_URL and not settings.REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        return [Warning(f"REDIS_URL={settings.REDIS_URL!r} does not look like a redis:// URL.", id="explorer.W001")]
    return []


@register(deploy=True)
def check_controls(app_configs: Any, **kwargs: Any) -> list[Any]:
    if settings.EXPLORER_CONTROLS == "open" and not settings.LOOPBACK_ONLY:
        return [
            Warning(
                "EXPLORER_CONTROLS=open on a site served beyond loopback: anyone who can load the page "
                "can take its nodes down, reset it or switch every viewer to another cluster.",
                hint="Unset EXPLORER_CONTROLS (presenter: only a presenter's browser or staff drives), or set off.",
                id="explorer.W002",
            )
        ]
    return []
