"""How a view writes state into its graph: real values for exports, slot tokens for the cached SVG layout.

A view builder never writes a health class, a status word or a count
directly: it asks its `Paint`. For DOT and PNG exports the paint answers
with the real value. For the SVG layout it answers with a token (`@@<nonce>s3@@`)
and remembers how to compute that value from any later plan of the same
topology; `SvgTemplate` cuts the laid-out SVG at those tokens, so a
state-only change refills the slots and never runs Graphviz again.

Every text drawn comes from a cluster, a recording or a visitor, so none of it
is trusted. The paint names every element in DOT by a digest of its id
(`name`): a name never needs quoting, so a `host:port` registry is never read
as a node and a port, and a backslash or a quote in an id never ends a string.
The ids themselves (`element_id`) go into the SVG only after Graphviz is done,
XML-escaped, so their length and characters are Graphviz's concern no more.
Each layout's tokens carry a random nonce that no content can know, so text
shaped like a token is just text. Content is shortened to one safe line for
drawing (`drawable`), and `dot_text` escapes what goes into a DOT string.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from graphviz import escape as dot_escape

from explorer.diagrams.style import HEALTH_FILL, status_text
from explorer.diagrams.words import Words, words_for
from explorer.model import ClusterState, Component, Health

__all__ = [
    "Paint",
    "SvgTemplate",
    "Tally",
    "ViewPlan",
    "component_lines",
    "css_word",
    "dot_name",
    "dot_text",
    "drawable",
]

# The page and a downloaded SVG share one stylesheet: the file embeds it so it stands alone.
SVG_STYLE_PATH = Path(__file__).resolve().parents[2] / "static" / "explorer" / "css" / "diagram.css"

# Long names would spill out of a fixed-size box: cut them, the detail panel has the rest.
LINE_CHARS = 40
# A box lists at most this many detail lines (containers, images); the last says how many more there are.
DETAIL_LINES = 8
# Ids written into a DOT export are cut to this many characters: far below Graphviz's 16384-byte strings.
DOT_ID_CHARS = 1024

# Drawn as a space: what would break a line.
_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Drawn as U+FFFD: what Graphviz, UTF-8 or XML cannot carry, and the controls that reorder text.
_UNDRAWABLE = re.compile(
    r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
# Not allowed in XML 1.0 at all (so not in an SVG attribute either, even as a character reference).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def drawable(text: Any, limit: int = LINE_CHARS) -> str:
    """Any text as one line fit to draw: line breaks as spaces, unsafe characters as U+FFFD, at most `limit` long."""
    if type(text) is not str:
        text = str(text)
    if not text.isprintable():
        text = _UNDRAWABLE.sub("\ufffd", _BREAKS.sub(" ", text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def dot_text(text: str) -> str:
    """Drawn text escaped for a DOT string: a backslash stays a backslash, `&` stays `&`, `<...>` is not HTML."""
    return dot_escape(text.replace("&", "&amp;"))


def dot_name(element_id: str) -> str:
    """An element's name in DOT: letters and digits only, so it never needs quoting or reads as a port."""
    digest = hashlib.blake2b(element_id.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()
    return f"e{digest}"


def css_word(text: str) -> str:
    """Text fit to be one CSS class name (a kind is content too: `x health-error` must not add a class)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)[:40] or "_"


def xml_attribute(text: str) -> str:
    """Text as an XML attribute value that reads back exactly (tab and line breaks as character references)."""
    text = escape(_NOT_XML.sub("\ufffd", text))
    return text.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")


class Tally:
    """Counts by health per bucket, and which members are unhealthy, kept in step by `move`.

    Summary boxes read their numbers from tallies, so a state-only change moves
    a count from one health to another without rescanning the cluster.
    """

    __slots__ = ("bad", "counts", "key_of")

    def __init__(self) -> None:
        self.counts: dict[Hashable, Counter[Health]] = {}
        self.bad: dict[Hashable, dict[str, None]] = {}  # insertion-ordered sets of component ids
        self.key_of: dict[str, Hashable] = {}  # which bucket each counted component is in

    def add(self, key: Hashable, c: Component) -> None:
        counts = self.counts.get(key)
        if counts is None:
            counts = self.counts[key] = Counter()
            self.bad[key] = {}
        counts[c.health] += 1
        if c.health is not Health.OK:
            self.bad[key][c.id] = None
        self.key_of[c.id] = key

    def move(self, key: Hashable, old: Component, new: Component) -> None:
        counts = self.counts[key]
        counts[old.health] -= 1
        counts[new.health] += 1
        bad = self.bad[key]
        bad.pop(old.id, None)
        if new.health is not Health.OK:
            bad[new.id] = None

    def copy(self) -> Tally:
        other = Tally()
        other.counts = {key: Counter(c) for key, c in self.counts.items()}
        other.bad = {key: dict(b) for key, b in self.bad.items()}
        other.key_of = self.key_of  # membership is topology: a restated plan never changes it
        return other

    def of(self, key: Hashable) -> Counter[Health]:
        return self.counts.get(key) or Counter()

    def unhealthy(self, key: Hashable, state: ClusterState) -> list[Component]:
        found = (state.components.get(cid) for cid in self.bad.get(key, ()))
        return [c for c in found if c is not None]


@dataclass
class ViewPlan:
    """What a view draws for one state: its topology signature, and the facts its slots read.

    `signature` holds only what moves the layout (which elements exist and how
    they connect). `facts` serve the builder; `tallies` hold the counts slots
    read, each knowing which bucket every component counts in, so `restated`
    can follow a state-only change without a rescan.
    """

    view: str
    state: ClusterState
    drawn: list[Component]
    signature: list[Any]
    facts: dict[str, Any] = field(default_factory=dict)
    tallies: dict[str, Tally] = field(default_factory=dict)
    _lines: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def component(self, cid: str) -> Component | None:
        return self.state.components.get(cid)

    def lines(self, cid: str) -> list[str]:
        """`component_lines` of a component, worked out once per plan (its slots ask line by line)."""
        cache = self._lines
        found = cache.get(cid)
        if found is None:
            c = self.component(cid)
            found = cache[cid] = component_lines(c) if c is not None else []
        return found

    def count(self, tally: str, key: Hashable, c: Component) -> None:
        """Count `c` in bucket `key` of tally `tally` (created on first use)."""
        t = self.tallies.get(tally)
        if t is None:
            t = self.tallies[tally] = Tally()
        t.add(key, c)

    def count_all(self, tally: str, key: Hashable, components: Iterable[Component]) -> None:
        """`count` for many components at once: the cold path of a 150000-pod cluster goes through here."""
        t = self.tallies.get(tally)
        if t is None:
            t = self.tallies[tally] = Tally()
        counts = t.counts.get(key)
        if counts is None:
            counts = t.counts[key] = Counter()
            t.bad[key] = {}
        bad = t.bad[key]
        key_of = t.key_of
        ok = Health.OK
        for c in components:
            counts[c.health] += 1
            if c.health is not ok:
                bad[c.id] = None
            key_of[c.id] = key

    def tally(self, name: str) -> Tally:
        return self.tallies.get(name) or Tally()

    def restated(self, state: ClusterState, changes: list[tuple[Component, Component]]) -> ViewPlan:
        """This plan for `state`, which differs from ours only by `changes` that leave the topology as it was."""
        tallies = dict(self.tallies)
        copied: set[str] = set()
        for old, new in changes:
            for name, tally in self.tallies.items():
                key = tally.key_of.get(new.id)
                if key is None:
                    continue
                if name not in copied:
                    tallies[name] = tallies[name].copy()
                    copied.add(name)
                tallies[name].move(key, old, new)
        return ViewPlan(self.view, state, self.drawn, self.signature, self.facts, tallies)


Slot = Callable[[ViewPlan], str]


def component_lines(c: Component) -> list[str]:
    """The extra lines a view may print under a component's status: state, so they are slots too."""
    lines = [drawable(line) for line in _raw_lines(c)]
    if len(lines) > DETAIL_LINES:
        lines[DETAIL_LINES - 1 :] = [f"… and {len(lines) - DETAIL_LINES + 1} more"]
    return lines


def _raw_lines(c: Component) -> list[str]:
    d = c.detail
    if c.kind == "etcd":
        term = d.get("term", d.get("raftTerm"))
        return [f"raft term {term}" if term is not None else "raft term not reported"]
    if c.kind in {"scheduler", "controller-manager", "cloud-controller-manager"}:
        holder = d.get("leaseHolder") or d.get("holderIdentity")
        if holder:
            return [f"lease held by {holder}"]
        return ["holds its lease" if c.status == "Leader" else "lease holder not reported"]
    if c.kind == "pod":
        return _container_lines(c)
    if c.kind == "pv":
        claim = d.get("claim")
        return [f"{d.get('capacity', '?')} · claim {claim}" if claim else f"{d.get('capacity', '?')} · unclaimed"]
    if c.kind == "pvc":
        volume = d.get("volume")
        return [f"{d.get('capacity', '?')} · volume {volume}" if volume else f"{d.get('capacity', '?')} · unbound"]
    if c.kind == "storageclass":
        default = " (default)" if d.get("default") else ""
        return [f"{d.get('provisioner', '?')}{default}", f"binding {d.get('volumeBindingMode', '?')}"]
    if c.kind == "service":
        return [f"{d.get('type', 'ClusterIP')} {d.get('clusterIP') or 'None'}", _ports_line(d.get("ports"))]
    if c.kind == "endpointslice":
        return [f"{d.get('ready', 0)} ready · {d.get('notReady', 0)} not ready"]
    return []


def _ports_line(ports: Any) -> str:
    """`80/TCP, 53/UDP`: a Service's ports as kubectl's PORT(S) column writes them."""
    if not isinstance(ports, list) or not ports:
        return "no ports"
    said = [f"{p.get('port', '?')}/{p.get('protocol', 'TCP')}" for p in ports if isinstance(p, dict)]
    return ", ".join(said) or "no ports"


def _container_lines(c: Component) -> list[str]:
    containers = c.detail.get("containers")
    if isinstance(containers, list) and containers:
        lines = []
        for item in containers:
            if isinstance(item, dict):
                state = item.get("state") or item.get("status") or "unknown"
                lines.append(f"▸ {item.get('name', '?')}: {state}")
        return lines
    # Without per-container status only the images are known: the pod's status line says the rest.
    images = c.detail.get("images", ())
    return [f"▸ image {image}" for image in (images if isinstance(images, list | tuple) else [images])]


class Paint:
    """Hands a builder either real values (`layout=False`) or slot tokens (`layout=True`)."""

    def __init__(self, plan: ViewPlan, layout: bool, words: Words | None = None):
        self.plan = plan
        self.layout = layout
        self.words = words or words_for(None)  # the diagram's own words, in the page's language
        self.slots: list[Slot] = []
        self.ids: list[str] = []  # the element ids the layout's id tokens stand for
        self.names: dict[str, str] = {}  # DOT name -> element id
        # Unguessable by any content, so text shaped like a token is never taken for one. Digits only:
        # they are equally wide in the diagram's font, so a token's width (and the layout) never depends on it.
        self.nonce = f"{secrets.randbelow(10**16):016d}"

    def _put(self, kind: str, slot: Slot) -> str:
        if not self.layout:
            return slot(self.plan)
        self.slots.append(slot)
        return f"@@{self.nonce}{kind}{len(self.slots) - 1}@@"

    def name(self, element_id: str) -> str:
        """The DOT name of an element (see `dot_name`), remembered so the SVG's titles can show the id."""
        name = dot_name(element_id)
        self.names[name] = element_id
        return name

    def element_id(self, element_id: str) -> str:
        """An element's `id` attribute: in the SVG layout a token the template replaces with the XML-escaped id."""
        if not self.layout:
            return dot_text(drawable(element_id, DOT_ID_CHARS))
        self.ids.append(element_id)
        return f"@@{self.nonce}i{len(self.ids) - 1}@@"

    def health(self, cid: str) -> str:
        return self._put("h", lambda p: _health_of(p, cid).value)

    def status(self, cid: str) -> str:
        def text(p: ViewPlan) -> str:
            c = p.component(cid)
            return "? gone" if c is None else drawable(status_text(c.status, c.health))

        return self._put("s", text)

    def line(self, cid: str, index: int) -> str:
        def text(p: ViewPlan) -> str:
            lines = p.lines(cid)
            return self.words.detail(lines[index]) if index < len(lines) else ""

        return self._put("d", text)

    def health_of(self, slot: Slot) -> str:
        """A health class worked out from the plan (a summary's worst health, say)."""
        return self._put("h", slot)

    def text(self, slot: Slot) -> str:
        """A line of text worked out from the plan (counts, names of unhealthy things)."""
        return self._put("t", lambda p: drawable(slot(p), 4 * LINE_CHARS))

    def colours(self, health: Callable[[ViewPlan], Health]) -> dict[str, str]:
        """DOT colours: by health for exports; neutral in the SVG layout, where CSS styles by class."""
        if self.layout:
            return {"fillcolor": "#ffffff", "color": "#333333", "style": ""}
        fill, line, style = HEALTH_FILL[health(self.plan)]
        return {"fillcolor": fill, "color": line, "style": style}

    def component_colours(self, cid: str) -> dict[str, str]:
        return self.colours(lambda p: _health_of(p, cid))


def _health_of(plan: ViewPlan, cid: str) -> Health:
    c = plan.component(cid)
    return Health.UNKNOWN if c is None else c.health


_TEXT_CLASS = {"s": "status", "d": "detail", "t": "summary"}
_TITLE = re.compile(r"<title>([^<]*)</title>")
_EDGE_ARROW = "&#45;&gt;"


def _titles(svg: str, names: dict[str, str]) -> str:
    """Graphviz titles each element with its DOT name: show its id instead, as a tooltip should."""

    def title(match: re.Match[str]) -> str:
        text = match.group(1)
        ends = text.split(_EDGE_ARROW) if _EDGE_ARROW in text else [text]
        shown = []
        for end in ends:
            cluster = end.startswith("cluster_") and end[8:] in names
            element = names.get(end[8:] if cluster else end)
            if element is None:
                return match.group(0)
            shown.append(xml_attribute(element))
        return f"<title>{_EDGE_ARROW.join(shown)}</title>"

    return _TITLE.sub(title, svg)


@dataclass(frozen=True)
class SvgTemplate:
    """A laid-out SVG cut at its slots: fill them from a plan to get the SVG of any state with this topology."""

    chunks: tuple[str, ...]
    slots: tuple[Slot, ...]

    @classmethod
    def from_svg(cls, svg: str, paint: Paint) -> SvgTemplate:
        """Cut Graphviz's SVG of a layout `paint` drew at its tokens: ids go in now, slots stay to be filled."""
        nonce = paint.nonce
        ids = paint.ids
        svg = re.sub(f"@@{nonce}i(\\d+)@@", lambda m: xml_attribute(ids[int(m.group(1))]), svg)
        svg = _titles(svg, paint.names)
        svg = re.sub(
            f"<text ([^>]*)>(@@{nonce}([sdt])\\d+@@)</text>",
            lambda m: f'<text class="{_TEXT_CLASS[m.group(3)]}" {m.group(1)}>{m.group(2)}</text>',
            svg,
        )
        root_end = svg.find(">", svg.find("<svg")) + 1
        svg = f"{svg[:root_end]}\n<style>{_diagram_css()}</style>{svg[root_end:]}"
        parts = re.split(f"@@{nonce}[hsdt](\\d+)@@", svg)
        chunks = tuple(parts[0::2])
        order = tuple(paint.slots[int(index)] for index in parts[1::2])
        return cls(chunks, order)

    def fill(self, plan: ViewPlan) -> str:
        out = [self.chunks[0]]
        for slot, chunk in zip(self.slots, self.chunks[1:], strict=True):
            out.append(escape(slot(plan)))
            out.append(chunk)
        return "".join(out)


@cache
def _diagram_css() -> str:
    return SVG_STYLE_PATH.read_text(encoding="utf-8")
