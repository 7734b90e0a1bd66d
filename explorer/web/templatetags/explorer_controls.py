"""Template filters for the page's controls."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

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


# Which endpoint each group of a managed control plane's checks comes from, in the order shown.
CHECK_ENDPOINTS = (("readyz", "/readyz"), ("livez", "/livez"))


@register.filter
def health_checks(checks: Any) -> list[dict[str, Any]]:
    """A managed apiserver's `/readyz` and `/livez` checks, each endpoint's failing ones first.

    The kube source keeps them in the component's detail as
    `{"readyz": {name: "ok" | "failed: why"}, "livez": {...}}`; anything else gives no list.
    """
    if not isinstance(checks, dict):
        return []
    groups = []
    for key, endpoint in CHECK_ENDPOINTS:
        results = checks.get(key)
        if not isinstance(results, dict) or not results:
            continue
        rows = [{"name": str(name), "ok": result == "ok", "result": str(result)} for name, result in results.items()]
        rows.sort(key=lambda row: row["ok"])  # stable: failing first, each in the apiserver's own order
        groups.append({"endpoint": endpoint, "checks": rows, "failing": sum(not row["ok"] for row in rows)})
    return groups


_CAMEL_HUMP = re.compile(r"(?<=[a-z])(?=[A-Z])")


@register.filter
def camel_breaks(name: Any) -> str:
    """A plugin's name with a line-break opportunity at each hump ("NodeResources<wbr>Balanced<wbr>Allocation"):
    the panel is a third of a projector's width. The text is escaped; only the <wbr> are markup."""
    return mark_safe("<wbr>".join(escape(part) for part in _CAMEL_HUMP.split(str(name))))
