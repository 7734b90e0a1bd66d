"""How a view writes state into its graph: real values for exports, slot tokens for the cached SVG layout.

A view builder never writes a health class, a status word or a count
directly: it asks its `Paint`. For DOT and PNG exports the paint answers
with the real value. For the SVG layout it answers with a token (`@@s3@@`)
and remembers how to compute that value from any later plan of the same
topology; `SvgTemplate` cuts the laid-out SVG at those tokens, so a
state-only change refills the slots and never runs Graphviz again.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from explorer.diagrams.style import HEALTH_FILL, status_text
from explorer.diagrams.words import Words, words_for
from explorer.model import ClusterState, Component, Health

__all__ = ["Paint", "SvgTemplate", "Tally", "ViewPlan", "component_lines"]

# The page and a downloaded SVG share one stylesheet: the file embeds it so it stands alone.
SVG_STYLE_PATH = Path(__file__).resolve().parents[2] / "static" / "explorer" / "css" / "diagram.css"

# Long names would spill out of a fixed-size box: cut them, the detail panel has the rest.
LINE_CHARS = 40


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


def clip(text: str, limit: int = LINE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def component_lines(c: Component) -> list[str]:
    """The extra lines a view may print under a component's status: state, so they are slots too."""
    d = c.detail
    if c.kind == "etcd":
        term = d.get("term", d.get("raftTerm"))
        return [f"raft term {term}" if term is not None else "raft term not reported"]
    if c.kind in {"scheduler", "controller-manager", "cloud-controller-manager"}:
        holder = d.get("leaseHolder") or d.get("holderIdentity")
        if holder:
            return [clip(f"lease held by {holder}")]
        return ["holds its lease" if c.status == "Leader" else "lease holder not reported"]
    if c.kind == "pod":
        return [clip(line) for line in _container_lines(c)]
    if c.kind == "pv":
        claim = d.get("claim")
        return [clip(f"{d.get('capacity', '?')} · claim {claim}" if claim else f"{d.get('capacity', '?')} · unclaimed")]
    if c.kind == "pvc":
        volume = d.get("volume")
        return [
            clip(f"{d.get('capacity', '?')} · volume {volume}" if volume else f"{d.get('capacity', '?')} · unbound")
        ]
    if c.kind == "storageclass":
        default = " (default)" if d.get("default") else ""
        return [clip(f"{d.get('provisioner', '?')}{default}"), clip(f"binding {d.get('volumeBindingMode', '?')}")]
    return []


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
    return [f"▸ image {image}" for image in c.detail.get("images", ())]


class Paint:
    """Hands a builder either real values (`layout=False`) or slot tokens (`layout=True`)."""

    def __init__(self, plan: ViewPlan, layout: bool, words: Words | None = None):
        self.plan = plan
        self.layout = layout
        self.words = words or words_for(None)  # the diagram's own words, in the page's language
        self.slots: list[Slot] = []

    def _put(self, kind: str, slot: Slot) -> str:
        if not self.layout:
            return slot(self.plan)
        self.slots.append(slot)
        return f"@@{kind}{len(self.slots) - 1}@@"

    def health(self, cid: str) -> str:
        return self._put("h", lambda p: _health_of(p, cid).value)

    def status(self, cid: str) -> str:
        def text(p: ViewPlan) -> str:
            c = p.component(cid)
            return "? gone" if c is None else status_text(c.status, c.health)

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
        return self._put("t", slot)

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


_TOKEN = re.compile(r"@@[hsdt](\d+)@@")
_TEXT_CLASS = {"s": "status", "d": "detail", "t": "summary"}
_WHOLE_LINE = re.compile(r"<text ([^>]*)>(@@([sdt])\d+@@)</text>")


@dataclass(frozen=True)
class SvgTemplate:
    """A laid-out SVG cut at its slots: fill them from a plan to get the SVG of any state with this topology."""

    chunks: tuple[str, ...]
    slots: tuple[Slot, ...]

    @classmethod
    def from_svg(cls, svg: str, slots: list[Slot]) -> SvgTemplate:
        svg = _WHOLE_LINE.sub(
            lambda m: f'<text class="{_TEXT_CLASS[m.group(3)]}" {m.group(1)}>{m.group(2)}</text>', svg
        )
        root_end = svg.find(">", svg.find("<svg")) + 1
        svg = f"{svg[:root_end]}\n<style>{_diagram_css()}</style>{svg[root_end:]}"
        parts = _TOKEN.split(svg)
        chunks = tuple(parts[0::2])
        order = tuple(slots[int(index)] for index in parts[1::2])
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
