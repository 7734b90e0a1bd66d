"""Rendering: the registry of views, Graphviz for layout, slot templates for state, a cache keyed by topology."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import graphviz

from explorer.diagrams.control_plane import build_control_plane, plan_control_plane
from explorer.diagrams.node import UnknownNode, build_node, plan_node
from explorer.diagrams.overview import build_overview, plan_overview
from explorer.diagrams.paint import Paint, SvgTemplate, ViewPlan
from explorer.diagrams.storage import build_storage, plan_storage
from explorer.model import ClusterState, Component

__all__ = [
    "VIEWS",
    "DiagramRenderer",
    "SvgTemplate",
    "UnknownView",
    "ViewSpec",
    "drawn_in",
    "plan_view",
    "render_dot",
    "render_png",
    "view_names",
]


@dataclass(frozen=True)
class ViewSpec:
    """One view: `plan` reads the state (and the view's argument, such as a node name), `build` draws the plan."""

    plan: Callable[[ClusterState, str | None], ViewPlan]
    build: Callable[[ViewPlan, Paint], graphviz.Digraph]
    argument: str | None = None  # the name of the path segment after the view's name, if it takes one


VIEWS: dict[str, ViewSpec] = {
    "overview": ViewSpec(plan_overview, build_overview),
    "control-plane": ViewSpec(plan_control_plane, build_control_plane),
    "nodes": ViewSpec(plan_node, build_node, argument="node-name"),
    "storage": ViewSpec(plan_storage, build_storage),
}


class UnknownView(LookupError):
    """No such diagram view (or no such node); the message lists the ones there are."""


def view_names() -> list[str]:
    return [f"{name}/<{spec.argument}>" if spec.argument else name for name, spec in VIEWS.items()]


def resolve(view: str) -> tuple[ViewSpec, str | None]:
    head, _, argument = view.partition("/")
    spec = VIEWS.get(head)
    if spec is not None and bool(spec.argument) == bool(argument) and "/" not in argument:
        return spec, argument or None
    raise UnknownView(f"unknown diagram view {view!r}; views: {', '.join(view_names())}")


def plan_view(state: ClusterState, view: str) -> ViewPlan:
    spec, argument = resolve(view)
    try:
        return spec.plan(state, argument)
    except UnknownNode as error:
        raise UnknownView(str(error)) from None


def drawn_in(state: ClusterState, view: str) -> list[Component]:
    """The components `view` draws as elements of their own (id = component id, class health-*)."""
    return plan_view(state, view).drawn


def _graph(state: ClusterState, view: str) -> graphviz.Digraph:
    plan = plan_view(state, view)
    return resolve(view)[0].build(plan, Paint(plan, layout=False))


def render_dot(state: ClusterState, view: str) -> str:
    """DOT source with the state baked in (colours and status words), for export."""
    return _graph(state, view).source


def render_png(state: ClusterState, view: str) -> bytes:
    return _graph(state, view).pipe(format="png", quiet=True)


class DiagramRenderer:
    """Caches SVG layouts by (view, topology); safe to call from worker threads."""

    def __init__(self, max_layouts: int = 32):
        self._layouts: OrderedDict[str, SvgTemplate] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_layouts
        self.layouts_computed = 0

    @staticmethod
    def signature_of(plan: ViewPlan) -> str:
        digest = hashlib.blake2b(plan.view.encode(), digest_size=16)
        digest.update(repr(plan.signature).encode())
        return digest.hexdigest()

    def topology_signature(self, state: ClusterState, view: str) -> str:
        return self.signature_of(plan_view(state, view))

    def svg(self, state: ClusterState, view: str) -> str:
        plan = plan_view(state, view)
        key = self.signature_of(plan)
        with self._lock:
            template = self._layouts.get(key)
            if template is not None:
                self._layouts.move_to_end(key)
        if template is None:
            template = self._layout(plan, resolve(view)[0])
            with self._lock:
                self._layouts[key] = template
                while len(self._layouts) > self._max:
                    self._layouts.popitem(last=False)
        return template.fill(plan)

    def _layout(self, plan: ViewPlan, spec: ViewSpec) -> SvgTemplate:
        paint = Paint(plan, layout=True)
        svg = spec.build(plan, paint).pipe(format="svg", encoding="utf-8", quiet=True)
        self.layouts_computed += 1
        return SvgTemplate.from_svg(svg, paint.slots)
