"""The page's search and its way to a component that a summary box counts."""

from explorer.diagrams.viewmodel import elements_for, find_components
from explorer.model import ClusterState, Component, Health


def cluster() -> ClusterState:
    labels = {"topology.kubernetes.io/zone": "zone-a", "node.kubernetes.io/pool": "general"}
    return ClusterState(
        [
            Component(
                "node/worker-1", "node", "worker-1", "Ready", Health.OK, detail={"role": "worker", "labels": labels}
            ),
            Component("kubelet/worker-1", "kubelet", "worker-1", "Running", Health.OK, parent="node/worker-1"),
            Component("node/worker-10", "node", "worker-10", "Ready", Health.OK, detail={"role": "worker"}),
            Component("pod/default/web-1", "pod", "web-1", "Running", Health.OK, "default", "node/worker-1"),
            Component("pod/default/waiting", "pod", "waiting", "Pending", Health.WARNING, "default"),
            Component(
                "pvc/default/data", "pvc", "data", "Bound", Health.OK, "default", detail={"storageClass": "fast"}
            ),
        ]
    )


def test_a_search_finds_the_node_a_name_means_and_suggests_what_else_matches():
    best, suggestions = find_components(cluster(), " Worker-1 ")
    assert best == "node/worker-1"
    assert suggestions == ["kubelet/worker-1", "node/worker-1", "node/worker-10"]
    assert find_components(cluster(), "web")[0] == "pod/default/web-1"
    assert find_components(cluster(), "nothing like it") == (None, [])
    assert find_components(cluster(), "   ") == (None, [])


def test_a_component_is_found_through_the_summaries_that_count_it_and_its_parents():
    state = cluster()
    assert elements_for(state, "pod/default/web-1") == [
        "pod/default/web-1",
        "pods-of/worker-1",
        "node/worker-1",
        "node-group/zone-a/general",
    ]
    assert elements_for(state, "pod/default/waiting") == ["pod/default/waiting", "pods-unscheduled"]
    assert elements_for(state, "pvc/default/data") == ["pvc/default/data", "volumes-of/fast"]
