"""The page's socket carries what the page shows: one view's model, then the changes to it.

One `LiveMirror` per process follows the hub's numbered messages (the same
fan-out the API sockets read) into a state of its own, counts health by
namespace, layer and health as it goes, and plans each view a page watches
once per seq, however many pages watch it: the plans restate themselves from
the state-only changes (`DiagramRenderer`), so a change costs in proportion to
itself, not to the cluster. Each page socket holds a `ViewSubscription`: what
it watches, the model it last sent, and the timeline entries it has yet to
send, filtered by its filters and bounded in number.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from explorer.diagrams import DiagramRenderer
from explorer.diagrams.render import UnknownView
from explorer.diagrams.viewmodel import ViewModel, diff_models, view_model
from explorer.hub.store import Snapshot
from explorer.live.runtime import Runtime
from explorer.model import ClusterState, Component, Health
from explorer.model.changes import apply_in_place, change_from_message
from explorer.model.problems import LAYERS, layer_of

__all__ = [
    "TIMELINE_LIMIT",
    "Listener",
    "LiveMirror",
    "ViewSubscription",
    "mirror_of",
    "timeline_entry_namespace",
]

log = logging.getLogger(__name__)

# A page gets at most this many timeline entries per write (ten writes a second at most): the newest;
# the others are counted (`dropped`), not sent. More than a person reads, far less than a rollout makes.
TIMELINE_LIMIT = 40
# Planners (one per namespace filter in use) a process keeps.
MAX_PLANNERS = 16
# A model that took T seconds to plan (a full plan: pods came or went) is planned again no sooner than
# this many times T later: a rollout of thousands of pods must leave the event loop to the hub and the pages.
PLAN_DUTY = 4.0
# Models (a view and a namespace each) a process keeps.
MAX_MODELS = 64


class Listener(Protocol):
    def mirror_moved(self) -> None: ...

    def mirror_entries(self, entries: list[dict[str, Any]]) -> None: ...

    def hub_changed(self, live: bool, since: str | None, resync: bool) -> None: ...


def timeline_entry_namespace(entry: dict[str, Any]) -> str:
    parts = str(entry.get("involved", "")).split("/")
    return parts[1] if len(parts) == 3 else ""


class LiveMirror:
    """The cluster as the hub's messages build it, in this process, for the page sockets."""

    def __init__(self, load: Callable[[], Awaitable[Snapshot]]):
        self._load = load
        self.state = ClusterState()
        self.seq = -1  # nothing loaded yet
        self.time: str | None = None
        self.listeners: set[Listener] = set()
        self.ready = asyncio.Event()
        self._buffer: list[tuple[int, str]] = []
        self._loading: asyncio.Task[None] | None = None
        self._counts: Counter[tuple[str | None, str, str]] = Counter()
        self._frozen: tuple[int, ClusterState] | None = None
        self._filtered: dict[str, tuple[int, ClusterState]] = {}
        self._planners: dict[str, DiagramRenderer] = {}
        self._models: dict[tuple[str, str], tuple[int, ViewModel | str]] = {}
        # When each model was last planned and how long that took, for PLAN_DUTY.
        self._planned: dict[tuple[str, str], tuple[float, float]] = {}

    # -- following the hub -------------------------------------------------------------

    def start(self) -> None:
        if self._loading is None and not self.ready.is_set():
            self._reload()

    def _reload(self) -> None:
        self.ready.clear()
        if self._loading is None or self._loading.done():
            self._loading = asyncio.create_task(self._read_snapshot(), name="explorer-view-mirror")

    async def _read_snapshot(self) -> None:
        delay = 0.25
        while True:
            try:
                seq, state = await self._load()
                break
            except Exception as error:  # the store is away: the pages wait, and say so by not going live
                log.warning("view mirror could not read the snapshot (%s); retrying", error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        self.state = state.copy()  # a copy's first write starts its own journal: the store's stays as it was
        self.seq = seq
        # The snapshot carries no time of its own: the newest change of health it remembers is the best
        # "as of" a page can say until the next change arrives (ISO-8601 strings sort as times).
        self.time = max(self.state.health_since.values(), default=None) or self.time
        self._recount()
        self._frozen = None
        self._filtered.clear()
        self._models.clear()
        buffered, self._buffer = self._buffer, []
        self.ready.set()
        self._loading = None
        for listener in list(self.listeners):
            listener.mirror_moved()
        if buffered:
            self.deliver(buffered)

    def _recount(self) -> None:
        counts: Counter[tuple[str | None, str, str]] = Counter()
        for c in self.state.components.values():
            counts[(c.namespace, layer_of(c), c.health.value)] += 1
        self._counts = counts

    def deliver(self, frames: list[tuple[int, str]]) -> None:
        """The fan-out's numbered messages: applied in order; a gap reads the snapshot again."""
        if not self.ready.is_set():
            self._buffer.extend(frames)
            return
        entries: list[dict[str, Any]] = []
        moved = False
        for index, (seq, text) in enumerate(frames):
            if seq <= self.seq:
                continue
            if seq != self.seq + 1:
                self._buffer = list(frames[index:])
                self._reload()
                break
            self.seq = seq
            moved = True
            try:
                message = json.loads(text)
                change = change_from_message(message)
            except ValueError:
                continue  # the hub sent it, so it cannot happen; if it did, the next resync mends it
            self.time = message.get("time") or self.time
            if message.get("type") == "event":
                entries.append(message)
                continue
            component: Component = change.component  # type: ignore[union-attr]
            before = self.state.components.get(component.id)
            if before is not None:
                self._counts[(before.namespace, layer_of(before), before.health.value)] -= 1
            apply_in_place(self.state, change)
            after = self.state.components.get(component.id)
            if after is not None:
                self._counts[(after.namespace, layer_of(after), after.health.value)] += 1
            if before is not None and after is not None and before.health is not after.health:
                entries.append(_health_entry(before, after, message.get("time")))
        if entries:
            for listener in list(self.listeners):
                listener.mirror_entries(entries)
        if moved:
            for listener in list(self.listeners):
                listener.mirror_moved()

    def hub_changed(self, live: bool, since: str | None, resync: bool) -> None:
        if resync:
            self._reload()
        for listener in list(self.listeners):
            listener.hub_changed(live, since, resync)

    # -- what the pages read -------------------------------------------------------------

    def _state_for(self, namespace: str) -> ClusterState:
        if self._frozen is None or self._frozen[0] != self.seq:
            # A copy shares the journal: the planner finds what changed between two copies cheaply.
            self._frozen = (self.seq, self.state.copy())
        frozen = self._frozen[1]
        if not namespace:
            return frozen
        found = self._filtered.get(namespace)
        if found is None or found[0] != self.seq:
            if namespace not in self._filtered and len(self._filtered) >= MAX_PLANNERS:
                self._filtered.pop(next(iter(self._filtered)))  # a visitor names namespaces: keep a few
            found = self._filtered[namespace] = (self.seq, frozen.only_namespace(namespace))
        return found[1]

    def _planner(self, namespace: str) -> DiagramRenderer:
        planner = self._planners.get(namespace)
        if planner is None:
            if len(self._planners) >= MAX_PLANNERS:
                self._planners.pop(next(iter(self._planners)))
            planner = self._planners[namespace] = DiagramRenderer(max_layouts=0)
        return planner

    def totals(self, namespace: str) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
        """Health counts of the (filtered) cluster, and of the whole cluster by layer, as the page shows them."""
        health = dict.fromkeys((h.value for h in Health), 0)
        layers = {layer: dict.fromkeys((h.value for h in Health), 0) for layer in LAYERS}
        for (ns, layer, value), count in self._counts.items():
            if count:
                layers.setdefault(layer, dict.fromkeys((h.value for h in Health), 0))[value] += count
                if not namespace or ns is None or ns == namespace:
                    health[value] += count
        return health, layers

    def due_in(self, view: str, namespace: str) -> float:
        """Seconds until the view's model may be planned again (0: now)."""
        at, cost = self._planned.get((view, namespace), (0.0, 0.0))
        return max(0.0, at + cost * PLAN_DUTY - time.monotonic())

    def model(self, view: str, namespace: str) -> ViewModel:
        """The view's model at the current seq (planned once per seq, whoever asks); UnknownView if none.

        While a costly plan's PLAN_DUTY lasts, the model of an earlier seq is answered: its `seq` tells.
        """
        key = (view, namespace)
        entry = self._models.get(key)
        if entry is not None and isinstance(entry[1], ViewModel) and self.due_in(view, namespace) > 0:
            return entry[1]
        if entry is None or entry[0] != self.seq:
            started = time.monotonic()
            state = self._state_for(namespace)
            planner = self._planner(namespace)
            found: ViewModel | str
            try:
                plan = planner.plan(state, view)
            except UnknownView as error:
                found = str(error)
            else:
                health, layers = self.totals(namespace)
                found = view_model(
                    state,
                    plan,
                    namespace=namespace,
                    seq=self.seq,
                    layout=planner.signature_of(plan),
                    health=health,
                    layers=layers,
                )
            if key not in self._models and len(self._models) >= MAX_MODELS:
                oldest = next(iter(self._models))
                self._models.pop(oldest)
                self._planned.pop(oldest, None)
            entry = self._models[key] = (self.seq, found)
            self._planned[key] = (started, time.monotonic() - started)
        if isinstance(entry[1], str):
            raise UnknownView(entry[1])
        return entry[1]


def _health_entry(before: Component, after: Component, time: Any) -> dict[str, Any]:
    return {
        "type": "event",
        "time": time,
        "reason": "HealthChanged",
        "message": f"{before.health.value} → {after.health.value} ({after.status})",
        "involved": after.id,
        "severity": "Normal" if after.health is Health.OK else "Warning",
    }


@dataclass
class ViewSubscription:
    """What one page watches, what it was last sent, and the timeline entries it has yet to get."""

    view: str = "overview"
    namespace: str = ""
    panel: str = ""
    timeline: dict[str, str] = field(default_factory=dict)  # namespace, kind, reason, severity
    sent: ViewModel | None = None
    sent_time: str | None = None
    entries: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=TIMELINE_LIMIT))
    dropped: int = 0

    @classmethod
    def from_message(cls, message: Any) -> ViewSubscription:
        """A page's `subscribe` message (or query): ValueError says what is wrong with it."""
        if not isinstance(message, dict):
            raise ValueError("a subscription is a JSON object")
        fields: dict[str, str] = {}
        for key in ("view", "namespace", "panel"):
            value = message.get(key, "")
            if not isinstance(value, str) or len(value) > 1024:
                raise ValueError(f"{key} must be a string of at most 1024 characters")
            fields[key] = value
        timeline = message.get("timeline") or {}
        if not isinstance(timeline, dict) or not all(isinstance(v, str) for v in timeline.values()):
            raise ValueError("timeline must be an object of strings")
        wanted = {k: str(timeline.get(k, ""))[:256] for k in ("namespace", "kind", "reason", "severity")}
        return cls(
            view=fields["view"] or "overview", namespace=fields["namespace"], panel=fields["panel"], timeline=wanted
        )

    def wants(self, entry: dict[str, Any]) -> bool:
        """The timeline's filters, as the page applies them, and the page's namespace filter."""
        namespace = timeline_entry_namespace(entry)
        if self.namespace and namespace and namespace != self.namespace:
            return False
        t = self.timeline
        involved = str(entry.get("involved", ""))
        return (
            (not t.get("namespace") or namespace == t["namespace"])
            and (not t.get("kind") or involved.split("/", 1)[0] == t["kind"])
            and (not t.get("severity") or entry.get("severity", "Normal") == t["severity"])
            and (not t.get("reason") or t["reason"].lower() in str(entry.get("reason", "")).lower())
        )

    def add_entries(self, entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            if self.wants(entry):
                if len(self.entries) == self.entries.maxlen:
                    self.dropped += 1
                self.entries.append(entry)

    def next_message(self, mirror: LiveMirror) -> dict[str, Any] | None:
        """The page's next message: its whole model first, then what changed; None when nothing did."""
        try:
            model = mirror.model(self.view, self.namespace)
        except UnknownView as error:
            self.sent = None
            return {"type": "error", "seq": mirror.seq, "message": str(error)}
        if self.panel and self.panel not in model.components:
            extra = mirror.state.components.get(self.panel)
            if extra is not None:
                model = replace(model, components={**model.components, self.panel: extra})
        if self.sent is None:
            message: dict[str, Any] | None = model.to_message()
        else:
            message = diff_models(self.sent, model)
            # Nothing drawn moved, but the cluster did: the page's "as of" time still follows it.
            if message is None and (self.entries or (mirror.time and mirror.time != self.sent_time)):
                message = {"type": "view-change", "from": self.sent.seq, "seq": model.seq}
        if message is None:
            return None
        self.sent = model
        if self.entries:
            message["events"] = list(self.entries)
            self.entries.clear()
        if self.dropped:
            message["dropped"] = self.dropped
            self.dropped = 0
        if mirror.time:
            message["time"] = self.sent_time = mirror.time
        return message

    def resync(self) -> None:
        self.sent = None


_mirrors: weakref.WeakKeyDictionary[Any, LiveMirror] = weakref.WeakKeyDictionary()


def mirror_of(runtime: Runtime) -> LiveMirror:
    """The process's mirror of `runtime`'s cluster, following its fan-out from the first page on."""
    mirror = _mirrors.get(runtime)
    if mirror is None:
        mirror = _mirrors[runtime] = LiveMirror(runtime.snapshot)
        # Subscribe before reading the snapshot, so nothing falls between the two.
        runtime.fanout.subscribe(mirror)
    return mirror
