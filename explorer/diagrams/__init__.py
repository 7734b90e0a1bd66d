"""Diagrams: ClusterState -> Graphviz graph -> SVG, DOT or PNG, one plan and one builder per view.

Views: `overview`, `control-plane`, `nodes/<node-name>` and `storage`. SVG
layouts are cached by topology: a state-only change re-fills the cached
layout's slots (health classes, status words, counts) without running
Graphviz again.
"""

from explorer.diagrams.render import (
    VIEWS,
    DiagramRenderer,
    UnknownView,
    drawn_in,
    plan_view,
    render_dot,
    render_png,
    view_names,
)

__all__ = ["VIEWS", "DiagramRenderer", "UnknownView", "drawn_in", "plan_view", "render_dot", "render_png", "view_names"]
