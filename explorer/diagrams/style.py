"""How the diagrams look: type sizes, a shape per kind, and health and edge kinds as colour plus a second channel
that survives a washed-out projector."""

from explorer.model import EdgeKind, Health
from explorer.model.kinds import KINDS

__all__ = [
    "EDGE_STYLE",
    "FONT",
    "HEALTH_FILL",
    "HEALTH_GLYPH",
    "KIND_SHAPE",
    "SIZE",
    "UNDRAWN_EDGES",
    "status_text",
]

# CJK text falls back to the system's CJK font (Debian's fonts-noto-cjk), in Graphviz and in the browser.
FONT = "DejaVu Sans"

# Type sizes in points (one SVG unit each): large enough that a framed tour step reads from the back
# of a room at 1024x768, and the whole overview of a small cluster at 12 px or more on a 1080p wall.
SIZE = {"title": "20", "layer": "17", "frame": "15", "text": "13", "edge": "12"}

# A glyph before every status word: health reads without colour.
HEALTH_GLYPH = {Health.OK: "✔", Health.WARNING: "▲", Health.ERROR: "✖", Health.UNKNOWN: "?"}

# Fill and outline per health, for DOT/PNG exports (the SVG uses CSS classes instead).
HEALTH_FILL = {
    Health.OK: ("#e3f4e3", "#1b6e1b", "solid"),
    Health.WARNING: ("#fff1c2", "#8a6100", "dashed"),
    Health.ERROR: ("#fde0dc", "#b3261e", "bold"),
    Health.UNKNOWN: ("#e6e6e6", "#555555", "dotted"),
}

# A shape per kind, so a kind reads at a glance without its label (the legend shows them all): the registry's.
# Graphviz attributes; "rounded" boxes are the plain case. Summary boxes (many components) are 3-D boxes.
KIND_SHAPE: dict[str, dict[str, str]] = {k.name: dict(k.shape) for k in KINDS.values()}

# Edge kinds differ by line pattern and arrowhead too, not only by colour.
EDGE_STYLE: dict[EdgeKind, dict[str, str]] = {
    EdgeKind.GRPC: {"style": "bold", "color": "#6a3d9a", "arrowhead": "diamond"},
    EdgeKind.HTTPS: {"style": "solid", "color": "#1f4e9a", "arrowhead": "normal"},
    EdgeKind.WATCH: {"style": "solid", "color": "#1f4e9a", "arrowhead": "vee"},
    EdgeKind.CRI: {"style": "dashed", "color": "#444444", "arrowhead": "box"},
    EdgeKind.PULL: {"style": "dotted", "color": "#8c4a00", "arrowhead": "inv"},
    EdgeKind.MOUNT: {"style": "dashed", "color": "#00695c", "arrowhead": "odot"},
    EdgeKind.BIND: {"style": "bold", "color": "#00695c", "arrowhead": "tee"},
    EdgeKind.PROVISION: {"style": "dotted", "color": "#00695c", "arrowhead": "empty"},
    EdgeKind.RUNS_ON: {"style": "invis", "color": "#999999", "arrowhead": "none"},
    EdgeKind.OWNS: {"style": "dashed", "color": "#5d4037", "arrowhead": "odiamond"},
    EdgeKind.ROUTES: {"style": "bold", "color": "#ad1457", "arrowhead": "normal"},
    EdgeKind.PROGRAMS: {"style": "dotted", "color": "#ad1457", "arrowhead": "vee"},
    # Both ways: each member sends to and receives from every other.
    EdgeKind.PEER: {
        "style": "dashed",
        "color": "#6a3d9a",
        "arrowhead": "dot",
        "arrowtail": "dot",
        "dir": "both",
        "constraint": "false",  # members side by side, not one below the next
    },
}
# Edge kinds no view draws: left out of the legend.
UNDRAWN_EDGES = frozenset({EdgeKind.RUNS_ON})


def status_text(status: str, health: Health) -> str:
    return f"{HEALTH_GLYPH[health]} {status}"
