"""Template filters for the page's controls."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def with_speed(speeds: list[float], current: Any) -> list[float]:
    """The picker's speeds plus the one in use, so the picker shows the speed there is (EXPLORER_SPEED=20)."""
    offered = [float(s) for s in speeds]
    try:
        speed = float(current)
    except (TypeError, ValueError):
        return offered
    return sorted({*offered, speed})


@register.filter
def speed_label(value: Any) -> str:
    """A speed as people write it: 0.25×, 1×, 20×, 33.3×."""
    try:
        return f"{float(value):g}×"
    except (TypeError, ValueError):
        return str(value)
