"""What a page that shows one view needs to know: the view's model, and the difference between two models.

A page never holds the whole cluster. For its view (and namespace filter) it
holds the components the diagram draws one by one, the counts of every
summary element (node groups, pods of a node, volumes of a class, the control
plane's agents) and the health totals; and then only what changes in those.
The model is made from the same plan the diagram is drawn from, so the page's
numbers are the diagram's numbers. Plain Python: no Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from explorer.diagrams.overview import group_of
from explorer.diagrams.paint import ViewPlan
from explorer.model import ClusterState, Component, Health
from explorer.model.problems import health_by_layer

__all__ = ["ViewModel", "diff_models", "elements_for", "find_components", "summary_element", "view_model"]

# Which field of a summary element a tally fills; tallies not named here are sums of others.
_TALLY_FIELD = {
    "group-nodes": "nodes",
    "group-pods": "pods",
    "group-agents": "agents",
    "pods-of": "pods",
    "pv": "pvs",
    "pvc": "pvcs",
    "agents": "agents",
}


def summary_element(tally: str, key: Hashable) -> str | None:
    """The id of the summary element that draws bucket `key` of `tally` (None: a tally no element draws)."""
    if tally.startswith("group-") and isinstance(key, tuple):
        return f"node-group/{key[0]}/{key[1]}"
    if tally == "pods-of":
        return "pods-unscheduled" if key == "" else f"pods-of/{str(key).partition('/')[2]}"
    if tally in ("pv", "pvc"):
        return f"volumes-of/{key}"
    if tally == "agents":
        return f"agents/{key}"
    return None


def _counts(counter: Mapping[Health, int]) -> dict[str, int]:
    return {h.value: counter.get(h, 0) for h in Health}


@dataclass(frozen=True)
class ViewModel:
    """One view's model for one state (see the module's docstring)."""

    view: str
    namespace: str
    seq: int
    layout: str  # the plan's topology signature: when it changes the page fetches the diagram again
    components: dict[str, Component] = field(default_factory=dict)
    summaries: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    health: dict[str, int] = field(default_factory=dict)  # every component of the (filtered) state, by health
    layers: dict[str, dict[str, int]] = field(default_factory=dict)  # the whole cluster's, by layer and health

    def to_message(self) -> dict[str, Any]:
        """The model as the page's socket sends it first (and after a resync or a new subscription)."""
        return {
            "type": "view",
            "seq": self.seq,
            "view": self.view,
            "namespace": self.namespace,
            "layout": self.layout,
            "components": [c.to_dict() for c in self.components.values()],
            "summaries": self.summaries,
            "health": self.health,
            "layers": self.layers,
        }


def view_model(
    state: ClusterState,
    plan: ViewPlan,
    *,
    namespace: str = "",
    seq: int = 0,
    layout: str = "",
    extra: tuple[str, ...] = (),
    health: Mapping[str, int] | None = None,
    layers: Mapping[str, Mapping[str, int]] | None = None,
) -> ViewModel:
    """The model of `plan` (a plan of `state`, filtered to `namespace` if one is named).

    `extra` names components the page wants whole although the view may not draw
    them (the one whose panel is open). `health` and `layers` may be passed in when
    the caller keeps them counted; otherwise they are counted here.
    """
    components: dict[str, Component] = {}
    for drawn in plan.drawn:
        # A restated plan keeps the drawn list of the plan it was restated from: read today's form.
        current = state.components.get(drawn.id)
        if current is not None:
            components[current.id] = current
    for cid in extra:
        found = state.components.get(cid)
        if found is not None:
            components[cid] = found
    summaries: dict[str, dict[str, dict[str, int]]] = {}
    for name, tally in plan.tallies.items():
        slot = _TALLY_FIELD.get(name)
        if slot is None:
            continue
        for key, counter in tally.counts.items():
            element = summary_element(name, key)
            if element is not None:
                summaries.setdefault(element, {})[slot] = _counts(counter)
    if health is None:
        counted = dict.fromkeys((h.value for h in Health), 0)
        for c in state.components.values():
            counted[c.health.value] += 1
        health = counted
    if layers is None:
        layers = health_by_layer(state)
    return ViewModel(
        view=plan.view,
        namespace=namespace,
        seq=seq,
        layout=layout,
        components=components,
        summaries=summaries,
        health=dict(health),
        layers={name: dict(counts) for name, counts in layers.items()},
    )


def diff_models(old: ViewModel, new: ViewModel) -> dict[str, Any] | None:
    """What a page that holds `old` needs to hold `new`, as one message; None when nothing differs.

    Components come whole when added or changed and by id when gone; a summary
    whole when any of its counts moved; the totals when they moved. `layout`
    says the diagram must be fetched again (elements came, went or moved).
    """
    changed = [c.to_dict() for cid, c in new.components.items() if old.components.get(cid) is not c]
    # Frozen components: identity tells a changed one, equality spares a resend of an equal copy.
    changed = [d for d in changed if _differs(old.components.get(d["id"]), d)]
    removed = [cid for cid in old.components if cid not in new.components]
    summaries = {k: v for k, v in new.summaries.items() if old.summaries.get(k) != v}
    gone = [k for k in old.summaries if k not in new.summaries]
    message: dict[str, Any] = {"type": "view-change", "from": old.seq, "seq": new.seq}
    if changed:
        message["components"] = changed
    if removed:
        message["removed"] = removed
    if summaries:
        message["summaries"] = summaries
    if gone:
        message["summaries-removed"] = gone
    if new.health != old.health:
        message["health"] = new.health
    if new.layers != old.layers:
        message["layers"] = new.layers
    if new.layout != old.layout:
        message["layout"] = new.layout
    return message if len(message) > 3 else None


def _differs(old: Component | None, new: dict[str, Any]) -> bool:
    return old is None or old.to_dict() != new


# A node's name is also its kubelet's, kube-proxy's and runtime's: the node is what people mean.
_SEARCH_KIND_ORDER = ("node", "pod", "pvc", "pv", "storageclass", "registry")


def find_components(state: ClusterState, text: str, limit: int = 30) -> tuple[str | None, list[str]]:
    """The best match for what a person typed (an exact id, a name, a name's start, part of an id), and up
    to `limit` ids that contain it, sorted: the page's search box asks this rather than holding the cluster."""
    needle = text.strip().lower()
    if not needle:
        return None, []
    best: tuple[int, int, str] | None = (0, 0, text.strip()) if text.strip() in state.components else None
    found: list[str] = []
    for cid, c in state.components.items():
        name = c.name.lower()
        lowered = cid.lower()
        rank = 0 if name == needle else 1 if name.startswith(needle) else 2 if needle in lowered else 9
        if rank == 9:
            continue
        if len(found) < limit and (needle in name or needle in lowered):
            found.append(cid)
        order = _SEARCH_KIND_ORDER.index(c.kind) if c.kind in _SEARCH_KIND_ORDER else len(_SEARCH_KIND_ORDER)
        key = (rank, order, cid)
        if best is None or key < best:
            best = key
    return (best[2] if best else None), sorted(found)


def elements_for(state: ClusterState, cid: str) -> list[str]:
    """The elements that may stand for a component in a diagram, nearest first: itself, the summaries that
    count it (its node's pods, its node's group, its class's volumes), then its parents and theirs."""
    out = [cid]
    seen = {cid}
    current = state.components.get(cid)
    while current is not None:
        if current.kind in ("pv", "pvc"):
            out.append(f"volumes-of/{current.detail.get('storageClass') or 'no class'}")
        parent = state.components.get(current.parent or "")
        if current.kind == "pod":
            out.append(f"pods-of/{parent.name}" if parent is not None else "pods-unscheduled")
        if current.kind == "node":
            zone, pool = group_of(current)
            out.append(f"node-group/{zone}/{pool}")
        if parent is None or parent.id in seen:
            break
        seen.add(parent.id)
        out.append(parent.id)
        current = parent
    return out
