"""FailedScheduling messages into the panel's decision table, and the filter rows' grouping.

The message shape follows pkg/scheduler/framework/types.go (FitError.Error: "0/%v nodes are available: "
then the sorted histogram of reasons, ending in ".") and the preemption text that
pkg/scheduler/framework/preemption/preemption.go appends after "preemption: ".
"""

import json

from explorer.model.scheduling import FITS, filter_rows, panel_table, parse_failed_scheduling
from tests.sources.kube.apiserver import FIXTURES


def test_a_message_with_a_taint_and_a_resource_becomes_one_row_per_reason_biggest_first():
    table = parse_failed_scheduling(
        "0/5 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "4 Insufficient cpu. preemption: 0/5 nodes are available: 1 Preemption is not helpful for scheduling, "
        "4 No preemption victims found for incoming pod."
    )
    assert table is not None
    assert table["nodes"] == 5
    assert [(row["verdict"], row["count"]) for row in table["filters"]] == [
        ("Insufficient cpu", 4),
        ("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }", 1),
    ]
    assert table["preemption"].startswith("0/5 nodes are available: 1 Preemption is not helpful")


def test_a_reason_with_commas_stays_one_row():
    table = parse_failed_scheduling(
        "0/3 nodes are available: 3 node(s) had untolerated taint {dedicated: a,b}, 0 node(s) were unschedulable."
    )
    assert table is not None
    assert [row["verdict"] for row in table["filters"]] == [
        "node(s) had untolerated taint {dedicated: a,b}",
        "node(s) were unschedulable",
    ]
    assert table["preemption"] == ""


def test_the_fixtures_real_messages_parse():
    text = (FIXTURES / "pods/pod-pending-unschedulable-insufficient-resources.json").read_text()
    conditions = json.loads(text)["status"]["conditions"]
    message = next(c["message"] for c in conditions if c["type"] == "PodScheduled")
    table = parse_failed_scheduling(message)
    assert table is not None
    assert table["filters"] == [{"verdict": "Insufficient nvidia.com/gpu", "count": 1, "nodes": []}]


def test_newer_releases_words_parse_into_the_same_rows():
    """From v1.34 the DynamicResources plugin's PostFilter ("no new claims to deallocate") comes before
    preemption's, joined with ", " (pkg/scheduler/framework/runtime/framework.go, RunPostFilterPlugins); from
    v1.35 the taint is not named (pkg/scheduler/framework/plugins/tainttoleration, kubernetes PR #134740)."""
    v134 = parse_failed_scheduling(
        "0/2 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "1 node(s) had untolerated taint {spray: mortein}. no new claims to deallocate, preemption: "
        "0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )
    assert v134 is not None
    assert [(row["verdict"], row["count"]) for row in v134["filters"]] == [
        ("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }", 1),
        ("node(s) had untolerated taint {spray: mortein}", 1),
    ]
    assert v134["preemption"] == "0/2 nodes are available: 2 Preemption is not helpful for scheduling"
    v135 = parse_failed_scheduling(
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. no new claims to "
        "deallocate, preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod."
    )
    assert v135 is not None
    assert [(row["verdict"], row["count"]) for row in v135["filters"]] == [
        ("Insufficient cpu", 2),
        ("node(s) had untolerated taint(s)", 1),
    ]
    assert v135["preemption"].endswith("2 No preemption victims found for incoming pod")


def test_a_taint_with_a_full_stop_and_a_prefilter_rejection_parse():
    dotted = parse_failed_scheduling(
        "0/3 nodes are available: 1 node(s) had untolerated taint {team: a. b}, 2 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    assert dotted is not None
    assert [row["verdict"] for row in dotted["filters"]] == [
        "Insufficient cpu",
        "node(s) had untolerated taint {team: a. b}",
    ]
    # FitError.Error: a PreFilter plugin's message stands instead of the histogram, for every node.
    prefilter = parse_failed_scheduling(
        "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. no new claims to deallocate, "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    assert prefilter is not None
    assert prefilter["filters"] == [
        {"verdict": "pod has unbound immediate PersistentVolumeClaims", "count": 3, "nodes": []}
    ]


def test_text_not_in_the_schedulers_shape_is_not_a_table():
    assert parse_failed_scheduling("pod has unbound immediate PersistentVolumeClaims") is None
    assert parse_failed_scheduling("0/3 nodes are available: some free text.") is None


def test_up_to_twenty_nodes_one_row_each_past_that_grouped_fits_first():
    few = filter_rows([("a", FITS), ("b", "Insufficient cpu")])
    assert few == [
        {"verdict": FITS, "count": 1, "nodes": ["a"]},
        {"verdict": "Insufficient cpu", "count": 1, "nodes": ["b"]},
    ]
    many = filter_rows([(f"n{i}", "Insufficient cpu" if i % 3 else FITS) for i in range(30)])
    assert [(row["verdict"], row["count"]) for row in many] == [(FITS, 10), ("Insufficient cpu", 20)]
    assert many[0]["nodes"] == ["n0", "n3", "n6", "n9", "n12"]


def test_the_panel_lays_plugins_out_across_candidates_and_ignores_a_malformed_decision():
    table = panel_table(
        {
            "result": "Scheduled",
            "node": "b",
            "nodes": 2,
            "filters": [{"verdict": FITS, "count": 2, "nodes": ["a", "b"]}, "junk"],
            "scores": [
                {"node": "b", "total": 500, "plugins": {"TaintToleration": 100, "NodeResourcesFit": 200}},
                {"node": "a", "total": 300, "plugins": {"TaintToleration": 100}},
            ],
            "weights": {"TaintToleration": 3, "NodeResourcesFit": 1},
        }
    )
    assert table is not None
    assert table["candidates"] == ["b", "a"]
    assert table["plugins"] == [
        {"plugin": "TaintToleration", "weight": 3, "scores": [100, 100]},
        {"plugin": "NodeResourcesFit", "weight": 1, "scores": [200, "—"]},
    ]
    assert [row["verdict"] for row in table["filters"]] == [FITS]
    assert panel_table("0/3 nodes") is None
    assert panel_table({"filters": "not rows"}) is None
