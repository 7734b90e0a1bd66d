"""Query parameters that name a component (`?component=`, `?focus=`): ids only, never a path."""

from __future__ import annotations

from django.http import HttpRequest

from explorer.model.ids import is_component_id

__all__ = ["component_param"]


def component_param(request: HttpRequest, name: str = "component") -> str | None:
    """The parameter's value when it has the shape of a component id; None when it is missing or anything else."""
    value = request.GET.get(name)
    return value if value and is_component_id(value) else None
