"""Diagrams: ClusterState -> Graphviz graph -> SVG, DOT or PNG, one builder per view.

SVG layouts are cached by topology: a state-only change re-fills the cached
layout's slots (health class, status text) without running Graphviz again.
"""

from explorer.diagrams.render import DiagramRenderer, UnknownView, render_dot, render_png

__all__ = ["DiagramRenderer", "UnknownView", "render_dot", "render_png"]
