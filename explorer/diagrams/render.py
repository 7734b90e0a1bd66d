"""Rendering: Graphviz for layout, a slot template for state, a cache keyed by topology."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path

import graphviz

from explorer.diagrams.overview import Fill, Slots, build_overview, drawn_in_overview
from explorer.diagrams.style import HEALTH_FILL, status_text
from explorer.model import ClusterState, Component
from explorer.model.state import topology_key

__all__ = ["DiagramRenderer", "SvgTemplate", "UnknownView", "render_dot", "render_png", "view_builder"]

Builder = Callable[[ClusterState, Slots, Fill], graphviz.Digraph]
VIEWS: dict[str, Builder] = {"overview": build_overview}
DRAWN: dict[str, Callable[[ClusterState], list[Component]]] = {"overview": drawn_in_overview}

# The page and a downloaded SVG share one stylesheet: the file embeds it so it stands alone.
SVG_STYLE_PATH = Path(__file__).resolve().parents[2] / "static" / "explorer" / "css" / "diagram.css"


class UnknownView(LookupError):
    """No such diagram view; the message lists the ones there are."""


def view_builder(view: str) -> Builder:
    try:
        return VIEWS[view]
    except KeyError:
        raise UnknownView(f"unknown diagram view {view!r}; views: {', '.join(VIEWS)}") from None


def _real_slots(c: Component) -> tuple[str, str]:
    return c.health.value, status_text(c.status, c.health)


def _health_fill(c: Component) -> dict[str, str]:
    fill, line, style = HEALTH_FILL[c.health]
    return {"fillcolor": fill, "color": line, "style": style}


def _neutral_fill(c: Component) -> dict[str, str]:
    return {"fillcolor": "#ffffff", "color": "#333333"}


def render_dot(state: ClusterState, view: str) -> str:
    """DOT source with the state baked in (colours and status words), for export."""
    return view_builder(view)(state, _real_slots, _health_fill).source


def render_png(state: ClusterState, view: str) -> bytes:
    return view_builder(view)(state, _real_slots, _health_fill).pipe(format="png", quiet=True)


_SLOT = re.compile(r"@@([hs])(\d+)@@")
_STATUS_TEXT = re.compile(r"<text ([^>]*)>(@@s\d+@@)</text>")


@dataclass(frozen=True)
class SvgTemplate:
    """A laid-out SVG cut at its state slots: fill them to get the SVG of any state with this topology."""

    chunks: tuple[str, ...]
    slots: tuple[tuple[str, str], ...]  # (component id, "h" for health class or "s" for status text)

    @classmethod
    def from_svg(cls, svg: str, ids: list[str]) -> SvgTemplate:
        svg = _STATUS_TEXT.sub(r'<text class="status" \1>\2</text>', svg)
        root_end = svg.find(">", svg.find("<svg")) + 1
        svg = f"{svg[:root_end]}\n<style>{_diagram_css()}</style>{svg[root_end:]}"
        parts = _SLOT.split(svg)
        chunks = tuple(parts[0::3])
        slots = tuple((ids[int(index)], which) for which, index in zip(parts[1::3], parts[2::3], strict=True))
        return cls(chunks, slots)

    def fill(self, state: ClusterState) -> str:
        out = [self.chunks[0]]
        components = state.components
        for (cid, which), chunk in zip(self.slots, self.chunks[1:], strict=True):
            c = components.get(cid)
            if c is None:
                out.append("unknown" if which == "h" else "?")
            elif which == "h":
                out.append(c.health.value)
            else:
                out.append(escape(status_text(c.status, c.health), quote=False))
            out.append(chunk)
        return "".join(out)


@cache
def _diagram_css() -> str:
    return SVG_STYLE_PATH.read_text(encoding="utf-8")


class DiagramRenderer:
    """Caches SVG layouts by (view, topology); safe to call from worker threads."""

    def __init__(self, max_layouts: int = 32):
        self._layouts: OrderedDict[str, SvgTemplate] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_layouts
        self.layouts_computed = 0

    def topology_signature(self, state: ClusterState, view: str) -> str:
        digest = hashlib.blake2b(view.encode(), digest_size=16)
        for c in sorted(DRAWN[view](state), key=lambda c: c.id):
            digest.update(repr(topology_key(c)).encode())
        return digest.hexdigest()

    def svg(self, state: ClusterState, view: str) -> str:
        builder = view_builder(view)
        key = self.topology_signature(state, view)
        with self._lock:
            template = self._layouts.get(key)
            if template is not None:
                self._layouts.move_to_end(key)
        if template is None:
            template = self._layout(state, builder)
            with self._lock:
                self._layouts[key] = template
                while len(self._layouts) > self._max:
                    self._layouts.popitem(last=False)
        return template.fill(state)

    def _layout(self, state: ClusterState, builder: Builder) -> SvgTemplate:
        ids: list[str] = []
        index: dict[str, int] = {}

        def token_slots(c: Component) -> tuple[str, str]:
            if c.id not in index:
                index[c.id] = len(ids)
                ids.append(c.id)
            i = index[c.id]
            return f"@@h{i}@@", f"@@s{i}@@"

        svg = builder(state, token_slots, _neutral_fill).pipe(format="svg", encoding="utf-8", quiet=True)
        self.layouts_computed += 1
        return SvgTemplate.from_svg(svg, ids)
