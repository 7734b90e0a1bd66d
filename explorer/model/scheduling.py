"""The scheduler's decision about one pod, as a pod's `detail.scheduling` carries it to the panel.

Both sources write the same table. The simulator records what its scheduler
did: the verdict of the filters on every node (the first filter that rejected
it, or "fits") and each score plugin's score on the best candidates. A real
cluster does not publish its scheduler's scores, so for a Pending pod the kube
source parses the FailedScheduling message ("0/5 nodes are available: 1
node(s) had untolerated taint {...}, 4 Insufficient cpu. preemption: ...";
from v1.34 "... cpu. no new claims to deallocate, preemption: ...", from v1.35
"untolerated taint(s)") into the same filter rows, without node names and
without scores.

    {"result": "Scheduled" | "FailedScheduling", "node": str | None, "nodes": int,
     "filters": [{"verdict": str, "count": int, "nodes": [str, ...]}, ...],
     "scores": [{"node": str, "total": int, "plugins": {plugin: int}}, ...],
     "weights": {plugin: int}, "preemption": str, "source": "scheduler" | "event",
     "tied": int}  # how many candidates shared the top score (the scheduler picks one at random)

Up to `PER_NODE_LIMIT` nodes the filter rows are one per node; past it they are
grouped by verdict and name at most `GROUP_SAMPLE` nodes each.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "FITS",
    "GROUP_SAMPLE",
    "NOT_CHECKED",
    "PER_NODE_LIMIT",
    "SCORE_WEIGHTS",
    "TOP_CANDIDATES",
    "filter_rows",
    "grouped_rows",
    "panel_table",
    "parse_failed_scheduling",
]

# The score plugins of the default profile and their weights, in the profile's order
# (pkg/scheduler/apis/config/v1/default_plugins.go, getDefaultPlugins).
SCORE_WEIGHTS: dict[str, int] = {
    "TaintToleration": 3,
    "NodeAffinity": 2,
    "NodeResourcesFit": 1,
    "PodTopologySpread": 2,
    "InterPodAffinity": 2,
    "NodeResourcesBalancedAllocation": 1,
    "ImageLocality": 1,
}
FITS = "fits"
# A node the search never reached: it had found `percentageOfNodesToScore` feasible nodes already.
NOT_CHECKED = "not checked (enough feasible nodes found)"
PER_NODE_LIMIT = 20
GROUP_SAMPLE = 5
TOP_CANDIDATES = 5

# FitError.Error (pkg/scheduler/framework/types.go): "0/5 nodes are available:", then either the PreFilter
# plugins' message or the sorted histogram of the filters' reasons, ending in "."; then the PostFilter
# plugins' reasons joined with ", " ("no new claims to deallocate" from v1.34, "preemption: ...").
_MESSAGE = re.compile(r"^0/(?P<total>\d+) nodes are available(?::\s*(?P<body>.*))?$", re.S)
_ITEM = re.compile(r"^(?P<count>\d+)\s+(?P<reason>.+)$", re.S)
# Where the filters' sentence ends: a "." followed by white space or the end of the message.
_SENTENCE_END = re.compile(r"\.(?=\s|$)")
# PostFilter text: notes without a "." ("no new claims to deallocate"), then DefaultPreemption's "preemption: ...".
_POSTFILTER = re.compile(r"^(?:(?!\d)[^.,]*,\s+)*(?:preemption:.*|(?!\d)[^.]*)$", re.S)


def _split_body(body: str) -> tuple[str, str] | None:
    """The filters' sentence and the PostFilter text after it; None when there is no sentence.

    A taint's key or value may hold a ". ", so the sentence ends at the first "." after which the
    rest reads as PostFilter text (or nothing).
    """
    for end in _SENTENCE_END.finditer(body):
        rest = body[end.end() :].strip()
        if _POSTFILTER.match(rest):
            return body[: end.start()].strip(), rest
    return None


def filter_rows(verdicts: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Rows of (node, verdict): one per node up to `PER_NODE_LIMIT`, else one per verdict, biggest first."""
    if len(verdicts) <= PER_NODE_LIMIT:
        return [{"verdict": verdict, "count": 1, "nodes": [node]} for node, verdict in verdicts]
    groups: dict[str, list[str]] = {}
    for node, verdict in verdicts:
        groups.setdefault(verdict, []).append(node)
    return grouped_rows([(v, len(names), names) for v, names in groups.items()])


def grouped_rows(groups: list[tuple[str, int, list[str]]]) -> list[dict[str, Any]]:
    """Rows of (verdict, how many nodes, a few of them): those that fit first, then the biggest groups."""
    ordered = sorted(groups, key=lambda group: (group[0] != FITS, -group[1], group[0]))
    return [{"verdict": v, "count": count, "nodes": names[:GROUP_SAMPLE]} for v, count, names in ordered]


def _split_histogram(histogram: str) -> list[str]:
    """The histogram's items, split on the ", " that starts the next "<count> <reason>" (a reason may hold commas)."""
    return re.split(r",\s+(?=\d+\s)", histogram) if histogram else []


def parse_failed_scheduling(message: str) -> dict[str, Any] | None:
    """A FailedScheduling message as a decision table; None when it is not in kube-scheduler's shape.

    The message's histogram becomes filter rows (verdict and count, no node
    names: the message has none); the text after "preemption:" is kept whole.
    """
    found = _MESSAGE.match(message.strip())
    if found is None:
        return None
    total = int(found["total"])
    parts = _split_body(found["body"] or ".")
    if parts is None:
        return None
    sentence, postfilter = parts
    rows: list[dict[str, Any]] = []
    items = _split_histogram(sentence)
    if items and not _ITEM.match(items[0].strip()):
        # A PreFilter plugin rejected the pod (say "pod has unbound immediate PersistentVolumeClaims"):
        # its message stands for every node, and the histogram is left out.
        if not postfilter:
            return None  # without the PostFilter text, free text cannot be told from a PreFilter message
        rows.append({"verdict": sentence, "count": total, "nodes": []})
        items = []
    for item in items:
        parsed = _ITEM.match(item.strip())
        if parsed is None:
            return None
        rows.append({"verdict": parsed["reason"].strip(), "count": int(parsed["count"]), "nodes": []})
    rows.sort(key=lambda row: -row["count"])
    _, marker, preemption = postfilter.partition("preemption:")
    return {
        "result": "FailedScheduling",
        "node": None,
        "nodes": total,
        "filters": rows,
        "scores": [],
        "weights": dict(SCORE_WEIGHTS),
        "preemption": preemption.strip().rstrip(".") if marker else "",
        "source": "event",
    }


def panel_table(decision: Any) -> dict[str, Any] | None:
    """The decision laid out for the panel: filter rows, and one row per score plugin across the candidates.

    `decision` comes from a component's detail (a recording may hold anything): None unless it has the shape.
    """
    if not isinstance(decision, dict) or not isinstance(decision.get("filters"), list):
        return None
    filters: list[dict[str, Any]] = []
    for row in decision["filters"]:
        if not isinstance(row, dict) or not isinstance(row.get("count", 0), int):
            continue
        count, names = int(row.get("count") or 0), [str(n) for n in row.get("nodes") or []]
        more = max(0, count - len(names)) if names else 0
        filters.append({"verdict": str(row.get("verdict", "")), "count": count, "nodes": names, "more": more})
    candidates = [c for c in decision.get("scores") or [] if isinstance(c, dict) and isinstance(c.get("plugins"), dict)]
    given = decision.get("weights")
    weights: dict[str, Any] = given if isinstance(given, dict) else SCORE_WEIGHTS
    plugins = [
        {"plugin": str(name), "weight": weight, "scores": [c["plugins"].get(name, "—") for c in candidates]}
        for name, weight in weights.items()
    ]
    return {
        "result": str(decision.get("result", "")),
        "node": decision.get("node") or "",
        "nodes": decision.get("nodes") or 0,
        "filters": filters,
        "candidates": [str(c.get("node", "")) for c in candidates],
        "totals": [c.get("total", "—") for c in candidates],
        "plugins": plugins if candidates else [],
        "preemption": str(decision.get("preemption") or ""),
        "tied": decision["tied"] if isinstance(decision.get("tied"), int) else 0,
        "from_event": decision.get("source") == "event",
    }
