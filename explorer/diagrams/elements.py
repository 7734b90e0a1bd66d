"""The drawing vocabulary every view shares: a component's box, a node's frame, an edge, a summary box."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import graphviz

from explorer.diagrams.paint import Paint, ViewPlan, component_lines, css_word, dot_text, drawable
from explorer.diagrams.style import EDGE_STYLE, FONT, HEALTH_GLYPH, KIND_SHAPE, SIZE
from explorer.diagrams.words import Words
from explorer.model import Component, Edge, EdgeKind, Health
from explorer.model.kinds import KINDS, kind_of

__all__ = [
    "KIND_LABEL",
    "KIND_SHAPE",
    "add_component",
    "add_edge",
    "add_state_edges",
    "add_summary",
    "counts_text",
    "invisible_edge",
    "layer",
    "new_graph",
    "node_frame",
    "node_title",
    "text_width",
    "worst",
]

# A box's kind label, from the registry (English; `title_of` says it in the page's language).
KIND_LABEL = {k.name: k.label for k in KINDS.values()}

HEALTH_ORDER = (Health.ERROR, Health.WARNING, Health.UNKNOWN, Health.OK)

# Room a box keeps for slot text whose length the layout cannot know: a status word
# ("✖ CrashLoopBackOff") and a detail line (clipped to 40 characters).
STATUS_CHARS = "✖ CrashLoopBackOff"
# Shapes whose slanted or decorated sides leave less room for text than a box of the same width.
NARROW_SHAPES = {
    "hexagon": 1.3,
    "octagon": 1.2,
    "doubleoctagon": 1.25,
    "cds": 1.15,
    "house": 1.1,
    "invhouse": 1.1,
    "pentagon": 1.2,
    "septagon": 1.2,
    "trapezium": 1.3,
    "invtrapezium": 1.3,
    "parallelogram": 1.3,
    "ellipse": 1.4,
}


def text_width(text: str, size: float) -> float:
    """About how wide `text` is in inches at `size` points: wide (CJK) characters take a full em."""
    ems = sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.61 for ch in text)
    return ems * size / 72


def new_graph(name: str, title: str) -> graphviz.Digraph:
    graph = graphviz.Digraph(
        name,
        graph_attr={
            "rankdir": "TB",
            "fontname": FONT,
            "compound": "true",
            "newrank": "true",
            "nodesep": "0.25",
            "ranksep": "0.5",
            "id": f"diagram-{name}",
            "label": dot_text(title),
            "labelloc": "t",
            "fontsize": SIZE["title"],
        },
    )
    graph.attr("node", fontname=FONT, fontsize=SIZE["text"], penwidth="1.5", margin="0.08,0.03")
    graph.attr("edge", fontname=FONT, fontsize=SIZE["edge"])
    return graph


def layer(graph: graphviz.Digraph, layer_id: str, label: str, style: str = "rounded") -> None:
    """The attributes of a layer (a Graphviz cluster that groups a part of the cluster)."""
    graph.attr(id=layer_id, label=dot_text(label), style=style, fontname=FONT, fontsize=SIZE["layer"], margin="10")


def node_title(words: Words, node: Component, zone: str, pool: str | None = None) -> str:
    """`worker node worker-1 · zone-a` (and `· pool general` where the view names the pool)."""
    role = str(node.detail.get("role", "worker"))
    known = role if role in {"worker", "control-plane"} else "{role}"
    if pool is None:
        return words(
            f"{known} node {{name}} · {{zone}}",
            role=drawable(role, 20),
            name=drawable(node.name),
            zone=drawable(zone, 24),
        )
    return words(
        f"{known} node {{name}} · {{zone}} · pool {{pool}}",
        role=drawable(role, 20),
        name=drawable(node.name),
        zone=drawable(zone, 24),
        pool=drawable(pool, 24),
    )


def title_of(c: Component, words: Words) -> str:
    kind = kind_of(c.kind)
    if kind.title == "name":
        return drawable(f"{c.namespace}/{c.name}" if c.namespace not in {None, "default"} else c.name, 36)
    if c.kind not in KINDS:
        return drawable(c.kind)
    label = kind.said(words.language)
    return label if kind.title == "label" else f"{label}\n{drawable(c.name)}"


def _box_width(lines: list[str], shape: str, minimum: float) -> float:
    size = float(SIZE["text"])
    widest = max(text_width(line, size) for line in lines)
    return round(max(minimum, widest * NARROW_SHAPES.get(shape, 1.0) + 0.3), 2)


def add_component(
    graph: graphviz.Digraph, c: Component, paint: Paint, width: float = 0.0, with_lines: bool = False
) -> int:
    """Draw `c` as one element (id = component id, class health-*); returns how many detail lines it got."""
    extra = len(component_lines(c)) if with_lines else 0
    title = title_of(c, paint.words)
    lines = [title, paint.status(c.id), *(paint.line(c.id, i) for i in range(extra))]
    label = "\n".join(lines)
    colours = paint.component_colours(c.id)
    looks = dict(KIND_SHAPE.get(c.kind, {"shape": "box", "rounded": "true"}))
    shape = looks.pop("shape")
    rounded = looks.pop("rounded", "")
    # Widths from what the layout knows: the title, room for any status word, and the detail lines' limit.
    measured = [*title.split("\n"), STATUS_CHARS, *(["x" * 40] if extra else [])]
    box_width = _box_width(measured, shape, width)
    line_height = float(SIZE["text"]) * 1.2 / 72
    height = line_height * (label.count("\n") + 1) + (0.32 if shape in {"cylinder", "house", "invhouse"} else 0.16)
    graph.node(
        paint.name(c.id),
        label=dot_text(label),
        id=paint.element_id(c.id),
        shape=shape,
        style=",".join(filter(None, ("rounded" if rounded else "", "filled", colours["style"]))),
        fillcolor=colours["fillcolor"],
        color=colours["color"],
        fixedsize="true",
        width=str(box_width),
        height=str(round(height, 2)),
        **looks,
        **{"class": f"component kind-{css_word(c.kind)} health-{paint.health(c.id)}"},
    )
    return extra


@contextmanager
def node_frame(parent: graphviz.Digraph, node: Component, paint: Paint, title: str) -> Iterator[graphviz.Digraph]:
    """A node as a frame around its agents and pods: the frame itself is the node's element."""
    colours = paint.component_colours(node.id)
    with parent.subgraph(name=f"cluster_{paint.name(node.id)}") as box:
        box.attr(
            id=paint.element_id(node.id),
            label=dot_text(f"{drawable(title, 128)}\n{paint.status(node.id)}"),
            style="rounded,filled",
            fontname=FONT,
            fontsize=SIZE["frame"],
            penwidth="2",
            margin="10",
            fillcolor=colours["fillcolor"],
            color=colours["color"],
            **{"class": f"component kind-node health-{paint.health(node.id)}"},
        )
        yield box


def add_summary(
    graph: graphviz.Digraph,
    element_id: str,
    paint: Paint,
    health: Callable[[ViewPlan], Health],
    title: str,
    lines: list[Callable[[ViewPlan], str]],
    width: float = 3.6,
    kind: str = "summary",
) -> None:
    """A box that stands for many components: fixed lines of counts and names, all slots."""
    title = drawable(title, 60)
    text = "\n".join([title, *(paint.text(line) for line in lines)])
    colours = paint.colours(health)
    size = float(SIZE["text"])
    # Counts and names are slots: room for a full line of counts, or for the title.
    box_width = max(width * size / 10, text_width(title, size) + 0.4)
    graph.node(
        paint.name(element_id),
        label=dot_text(text),
        id=paint.element_id(element_id),
        shape="box3d",
        style=",".join(filter(None, ("filled", colours["style"]))),
        fillcolor=colours["fillcolor"],
        color=colours["color"],
        fixedsize="true",
        width=str(round(box_width, 2)),
        height=str(round(size * 1.2 / 72 * (text.count("\n") + 1) + 0.25, 2)),
        **{"class": f"summary kind-{kind} health-{paint.health_of(lambda p: health(p).value)}"},
    )


def add_edge(
    graph: graphviz.Digraph,
    paint: Paint,
    source: str,
    target: str,
    kind: EdgeKind,
    label: str,
    reverse: bool | None = None,
    tail: str | None = None,
    **extra: str,
) -> None:
    """An edge of `kind` from `source` to `target` (its id says so), drawn from `tail` if given.

    `reverse` lays it out from the target down (the target ranks above the source) while its
    arrow still points at the target, as the traffic goes; by default only watches are, so that
    the apiserver sits above its clients.
    """
    attrs = {
        **extra,
        "label": dot_text(drawable(label, 60)),
        "id": paint.element_id(f"edge:{source}>{target}:{kind.value}"),
        "class": f"edge kind-{kind.value}",
        **EDGE_STYLE[kind],
    }
    start = tail or source
    if kind is EdgeKind.WATCH if reverse is None else reverse:
        # Laid out the other way round: what clips the source's end is now at the head.
        ends = {"ltail": attrs.pop("lhead", None), "lhead": attrs.pop("ltail", None)}
        attrs.update({k: v for k, v in ends.items() if v})
        graph.edge(paint.name(target), paint.name(start), dir="back", arrowtail=attrs.pop("arrowhead"), **attrs)
    else:
        graph.edge(paint.name(start), paint.name(target), **attrs)


def invisible_edge(graph: graphviz.Digraph, paint: Paint, source: str, target: str) -> None:
    """An edge only the layout sees: it places `target` below (or beside) `source`."""
    graph.edge(paint.name(source), paint.name(target), style="invis")


def add_state_edges(
    graph: graphviz.Digraph,
    paint: Paint,
    edges: list[Edge],
    drawn: set[str],
    words: Words,
    reverse: Callable[[Edge], bool | None] | None = None,
) -> None:
    # One source's like edges (an apiserver's calls to every kubelet) carry their label once: on a
    # projector four copies of "HTTPS :10250 logs/exec/port-forward" hide the boxes they join.
    labelled: set[tuple[str, EdgeKind, str]] = set()
    for edge in edges:
        if edge.kind is EdgeKind.RUNS_ON or edge.source not in drawn or edge.target not in drawn:
            continue
        key = (edge.source, edge.kind, edge.label)
        label = "" if key in labelled else words(edge.label)
        labelled.add(key)
        add_edge(graph, paint, edge.source, edge.target, edge.kind, label, reverse and reverse(edge))


def worst(counts: dict[Health, int]) -> Health:
    for h in HEALTH_ORDER:
        if counts.get(h):
            return h
    return Health.OK


def counts_text(words: Words, noun: str, counts: dict[Health, int]) -> str:
    """`34 pods: ✔ 30 ok ▲ 3 warning ✖ 1 error`; glyphs so the counts read without colour."""
    total = sum(counts.values())
    order = (Health.OK, Health.WARNING, Health.ERROR, Health.UNKNOWN)
    shown = [f"{HEALTH_GLYPH[h]} {counts[h]} {words(h.value)}" for h in order if counts.get(h)]
    noun = words.counted(noun, total)
    return words("{total} {noun}: {counts}", total=total, noun=noun, counts=" ".join(shown) or words("none"))
