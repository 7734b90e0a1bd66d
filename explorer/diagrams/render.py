"""Rendering: the registry of views, Graphviz for layout, slot templates for state, a cache keyed by topology."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from itertools import compress
from operator import is_not
from typing import Any

import graphviz

from explorer.diagrams.control_plane import build_control_plane, plan_control_plane
from explorer.diagrams.network import build_network, network_scope, plan_network
from explorer.diagrams.node import UnknownNode, build_node, plan_node
from explorer.diagrams.overview import build_overview, group_of, plan_overview
from explorer.diagrams.paint import Paint, SvgTemplate, ViewPlan, component_lines
from explorer.diagrams.storage import build_storage, plan_storage
from explorer.diagrams.words import DEFAULT_LANGUAGE, Words, words_for
from explorer.model import ClusterState, Component
from explorer.model.ids import CONTROL_PLANE_KINDS, component_id
from explorer.model.state import topology_key

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


def _everything(argument: str | None) -> dict[str, Any]:
    return {}


def _control_plane_scope(argument: str | None) -> dict[str, Any]:
    # Its members and their nodes, and the kubelets and kube-proxies it counts by health.
    return {"kinds": [*CONTROL_PLANE_KINDS, "node", "kubelet", "kube-proxy"]}


def _storage_scope(argument: str | None) -> dict[str, Any]:
    return {"kinds": ["storageclass", "pv", "pvc", "pod"], "pods": "with-claims"}


def _node_scope(argument: str | None) -> dict[str, Any]:
    return {"node": component_id("node", argument or "")}


@dataclass(frozen=True)
class ViewSpec:
    """One view: `plan` reads the state (and the view's argument, such as a node name), `build` draws the plan.

    `scope` says which components the view reads at all, so a page can tell that a
    change to something the view neither draws nor counts needs no new diagram.
    """

    plan: Callable[[ClusterState, str | None], ViewPlan]
    build: Callable[[ViewPlan, Paint], graphviz.Digraph]
    scope: Callable[[str | None], dict[str, Any]] = _everything
    argument: str | None = None  # the name of the path segment after the view's name, if it takes one


VIEWS: dict[str, ViewSpec] = {
    "overview": ViewSpec(plan_overview, build_overview),
    "control-plane": ViewSpec(plan_control_plane, build_control_plane, _control_plane_scope),
    "nodes": ViewSpec(plan_node, build_node, _node_scope, argument="node-name"),
    "storage": ViewSpec(plan_storage, build_storage, _storage_scope),
    "network": ViewSpec(plan_network, build_network, network_scope),
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


def _graph(state: ClusterState, view: str, language: str | None) -> graphviz.Digraph:
    plan = plan_view(state, view)
    return resolve(view)[0].build(plan, Paint(plan, layout=False, words=words_for(language)))


def render_dot(state: ClusterState, view: str, language: str | None = DEFAULT_LANGUAGE) -> str:
    """DOT source with the state baked in (colours and status words), for export, in `language`."""
    return _graph(state, view, language).source


def render_png(state: ClusterState, view: str, language: str | None = DEFAULT_LANGUAGE) -> bytes:
    return _graph(state, view, language).pipe(format="png", quiet=True)


@dataclass(frozen=True)
class _Seen:
    """The last state a view was planned for (and its revision then), to find what changed since."""

    state: ClusterState
    revision: int
    plan: ViewPlan


def _changed_pairs(old: ClusterState, old_revision: int, new: ClusterState) -> list[tuple[Component, Component]] | None:
    """The (old, new) components that differ, or None when only comparing everything can tell.

    Copies of one evolving state share its change journal: then only the ids it
    recorded between the two revisions need looking at. Otherwise (states from
    elsewhere, or a journal that no longer reaches back) every component is
    compared by identity, which a frozen model makes sound.
    """
    if old.revision != old_revision:
        return None  # the state drawn last changed since: its components are no longer what was drawn
    if old.journal is not new.journal:
        if len(old.components) != len(new.components):
            return None
        before, after = tuple(old.components.values()), tuple(new.components.values())
        return [(before[i], after[i]) for i in compress(range(len(after)), map(is_not, before, after))]
    touched = new.journal.touched(old_revision, new.revision)
    if touched is None:
        return None
    pairs = []
    for cid in touched:
        a, b = old.components.get(cid), new.components.get(cid)
        if a is None or b is None:
            return None  # a component came or went: not state-only
        if a is not b:
            pairs.append((a, b))
    return pairs


def _state_only_changes(
    old: ClusterState, old_revision: int, new: ClusterState
) -> list[tuple[Component, Component]] | None:
    """The (old, new) pairs that changed, if none of them moves the layout; None if one does."""
    changed = _changed_pairs(old, old_revision, new)
    if changed is None or len(changed) > len(new.components) // 4 + 16:
        return None  # unknown, or most of the cluster moved: a full plan costs no more
    for a, b in changed:
        # A different id where an object changed means components came or went: not state-only.
        if a.id != b.id or topology_key(a) != topology_key(b) or len(component_lines(a)) != len(component_lines(b)):
            return None
        if a.kind == "node" and (group_of(a) != group_of(b) or a.detail.get("role") != b.detail.get("role")):
            return None
    return changed


class DiagramRenderer:
    """Caches SVG layouts by (view, topology); safe to call from worker threads.

    It also remembers the last plan of each view: when the next state differs
    only by state-only changes (found by comparing component identities, which
    a frozen model makes sound), the plan is restated from the difference
    instead of rescanning the whole cluster.
    """

    def __init__(self, max_layouts: int = 32, max_plans: int = 16):
        self._layouts: OrderedDict[str, SvgTemplate] = OrderedDict()
        self._seen: OrderedDict[str, _Seen] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_layouts
        self._max_plans = max_plans
        self.layouts_computed = 0
        self.plans_computed = 0

    @staticmethod
    def signature_of(plan: ViewPlan) -> str:
        digest = hashlib.blake2b(plan.view.encode(), digest_size=16)
        digest.update(repr(plan.signature).encode())
        return digest.hexdigest()

    def topology_signature(self, state: ClusterState, view: str) -> str:
        return self.signature_of(plan_view(state, view))

    def plan(self, state: ClusterState, view: str) -> ViewPlan:
        return self._plan(state, view)[0]

    def _plan(self, state: ClusterState, view: str) -> tuple[ViewPlan, bool]:
        """The view's plan for `state`, and whether it was planned afresh (rather than restated)."""
        revision = state.revision
        with self._lock:
            seen = self._seen.get(view)
        plan = None
        fresh = False
        if seen is not None:
            changes = _state_only_changes(seen.state, seen.revision, state)
            if changes is not None:
                plan = seen.plan.restated(state, changes)
        if plan is None:
            plan = plan_view(state, view)
            fresh = True
            self.plans_computed += 1
        with self._lock:
            self._seen[view] = _Seen(state, revision, plan)
            self._seen.move_to_end(view)
            while len(self._seen) > self._max_plans:
                self._seen.popitem(last=False)
        return plan, fresh

    def svg(self, state: ClusterState, view: str, language: str | None = DEFAULT_LANGUAGE) -> str:
        """The view's SVG in `language` (its titles, layers and summaries; Kubernetes' words stay)."""
        plan, fresh = self._plan(state, view)
        words = words_for(language)
        key = f"{self.signature_of(plan)}:{words.language}"  # one layout per language: the words move it
        with self._lock:
            template = self._layouts.get(key)
            if template is not None:
                self._layouts.move_to_end(key)
        if template is None:
            # Lay out from a plan whose facts are all this state's own, not restated ones.
            spec, argument = resolve(view)
            template = self._layout(plan if fresh else plan_view(state, view), spec, spec.scope(argument), words)
            with self._lock:
                self._layouts[key] = template
                while len(self._layouts) > self._max:
                    self._layouts.popitem(last=False)
        return template.fill(plan)

    def _layout(self, plan: ViewPlan, spec: ViewSpec, scope: dict[str, Any], words: Words) -> SvgTemplate:
        paint = Paint(plan, layout=True, words=words)
        svg = spec.build(plan, paint).pipe(format="svg", encoding="utf-8", quiet=True)
        scope_attribute = escape(json.dumps(scope, separators=(",", ":")))
        svg = svg.replace("<svg ", f'<svg data-scope="{scope_attribute}" xml:lang="{words.language}" ', 1)
        self.layouts_computed += 1
        return SvgTemplate.from_svg(svg, paint)
