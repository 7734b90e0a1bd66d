"""The four views: the contract (every component drawn somewhere), what each view shows, big clusters."""

import json
import subprocess
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.diagrams import DiagramRenderer, UnknownView, drawn_in, render_dot, view_names
from explorer.diagrams.overview import NODE_DETAIL_LIMIT, UNHEALTHY_LINES
from explorer.model import ClusterState, Component, Health
from explorer.model.kinds import KINDS, kind_of

SVG = "{http://www.w3.org/2000/svg}"


def elements_by_id(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg.encode())
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def all_views(state: ClusterState) -> list[str]:
    nodes = [f"nodes/{c.name}" for c in state.of_kind("node")]
    return ["overview", "control-plane", "storage", "network", *nodes]


def test_every_component_of_the_simulated_cluster_is_drawn_with_its_id_and_health_in_some_view(engine):
    engine.run_until(60)
    engine.command({"action": "node-down", "node": "worker-2"})
    engine.run_until(140)  # past the grace period: worker-2 NotReady, its agents stopped
    state = engine.state()
    renderer = DiagramRenderer()
    seen: dict[str, set[str]] = {}
    for view in all_views(state):
        for cid, element in elements_by_id(renderer.svg(state, view)).items():
            seen.setdefault(cid, set()).update((element.get("class") or "").split())
    drawable = [c for c in state.components.values() if kind_of(c.kind).drawn]
    assert {c.kind for c in state.components.values()} - {c.kind for c in drawable} <= set(KINDS)
    for component in drawable:
        assert component.id in seen, f"{component.id} is drawn in no view"
        assert f"health-{component.health.value}" in seen[component.id], component.id
    assert "health-error" in seen["node/worker-2"]


def test_the_view_names_cover_the_five_views():
    assert view_names() == ["overview", "control-plane", "nodes/<node-name>", "storage", "network"]


@pytest.mark.parametrize("view", ["nope", "nodes", "nodes/", "nodes/a/b", "overview/x", "storage/x", "network/x"])
def test_a_malformed_view_name_is_refused_with_the_list_of_views(engine, view):
    with pytest.raises(UnknownView, match=r"views: overview, control-plane, nodes/<node-name>, storage, network"):
        DiagramRenderer().svg(engine.state(), view)


def test_an_unknown_node_is_refused_with_the_nodes_there_are(engine):
    with pytest.raises(UnknownView, match=r"unknown node 'worker-9'; nodes: cp-1, worker-1, worker-2, worker-3"):
        DiagramRenderer().svg(engine.state(), "nodes/worker-9")


def test_the_control_plane_view_marks_the_etcd_leader_with_its_term_and_the_lease_holders():
    members = [
        Component("node/cp-1", "node", "cp-1", "Ready", Health.OK, detail={"role": "control-plane"}),
        Component("apiserver/cp-1", "apiserver", "cp-1", "Running", Health.OK, parent="node/cp-1"),
        Component("etcd/cp-1", "etcd", "cp-1", "Leader", Health.OK, parent="node/cp-1", detail={"term": 7}),
        Component("etcd/cp-2", "etcd", "cp-2", "Follower", Health.OK, detail={"term": 7}),
        Component(
            "scheduler/cp-1", "scheduler", "cp-1", "Leader", Health.OK, "", "node/cp-1", {"leaseHolder": "cp-1_ab12"}
        ),
        Component("kubelet/w1", "kubelet", "w1", "Stopped", Health.ERROR, parent="node/w1"),
    ]
    svg = DiagramRenderer().svg(ClusterState(members, cluster="c", source="t"), "control-plane")
    elements = elements_by_id(svg)
    assert "✔ Leader" in texts(elements["etcd/cp-1"])
    assert "raft term 7" in texts(elements["etcd/cp-1"])
    assert "✔ Follower" in texts(elements["etcd/cp-2"])
    assert "lease held by cp-1_ab12" in texts(elements["scheduler/cp-1"])
    assert "edge:apiserver/cp-1>etcd/cp-1:grpc" in elements
    assert "edge:scheduler/cp-1>apiserver/cp-1:watch" in elements
    kubelets = elements["agents/kubelet"]
    assert "health-error" in kubelets.get("class").split()
    assert "✖ kubelet w1 Stopped" in texts(kubelets)


def test_a_node_view_shows_its_agents_pods_volumes_registry_and_apiserver_and_nothing_of_other_nodes(engine):
    engine.run_until(60)
    state = engine.state()
    db = next(c for c in state.of_kind("pod") if c.name == "db-0")
    node = db.parent.split("/", 1)[1]
    elements = elements_by_id(DiagramRenderer().svg(state, f"nodes/{node}"))
    assert {f"node/{node}", f"kubelet/{node}", f"kube-proxy/{node}", f"runtime/{node}"} <= elements.keys()
    assert {"pvc/default/data-db-0", "pv/pv-0001", "registry/docker.io", "apiserver/cp-1"} <= elements.keys()
    assert "▸ image postgres:16" in texts(elements[db.id])
    assert f"edge:{db.id}>pvc/default/data-db-0:mount" in elements
    assert f"edge:runtime/{node}>registry/docker.io:pull" in elements
    assert f"edge:kubelet/{node}>apiserver/cp-1:watch" in elements
    others = [c.id for c in state.of_kind("pod") if c.parent != db.parent]
    assert others
    assert not set(others) & elements.keys()


def test_each_svg_says_which_components_its_view_reads_so_a_page_redraws_only_for_those(engine):
    engine.run_until(60)
    state = engine.state()
    renderer = DiagramRenderer()

    def scope(view: str) -> dict:
        return json.loads(ET.fromstring(renderer.svg(state, view)).get("data-scope"))

    assert scope("overview") == {}  # it counts everything
    assert scope("nodes/worker-1") == {"node": "node/worker-1"}
    assert scope("storage") == {"kinds": ["storageclass", "pv", "pvc", "pod"], "pods": "with-claims"}
    control_plane = scope("control-plane")["kinds"]
    assert {"etcd", "apiserver", "kubelet", "kube-proxy"} <= set(control_plane)
    assert "pod" not in control_plane


def test_a_control_plane_nodes_view_shows_the_members_it_hosts(engine):
    elements = elements_by_id(DiagramRenderer().svg(engine.state(), "nodes/cp-1"))
    assert {
        "apiserver/cp-1",
        "etcd/cp-1",
        "scheduler/cp-1",
        "controller-manager/cp-1",
        "kubelet/cp-1",
    } <= elements.keys()
    assert "edge:apiserver/cp-1>etcd/cp-1:grpc" in elements


def test_the_storage_view_shows_binding_and_provisioning(engine):
    state = engine.state()  # at the start the claim waits for its first consumer
    elements = elements_by_id(DiagramRenderer().svg(state, "storage"))
    assert "▲ Pending" in texts(elements["pvc/default/data-db-0"])
    assert "1Gi · unbound" in texts(elements["pvc/default/data-db-0"])
    assert "binding WaitForFirstConsumer" in texts(elements["storageclass/standard"])
    engine.run_until(60)
    elements = elements_by_id(DiagramRenderer().svg(engine.state(), "storage"))
    assert "✔ Bound" in texts(elements["pvc/default/data-db-0"])
    assert "edge:pvc/default/data-db-0>pv/pv-0001:bind" in elements
    assert "edge:pv/pv-0001>storageclass/standard:provision" in elements
    assert "edge:pod/default/db-0>pvc/default/data-db-0:mount" in elements


@pytest.mark.parametrize("view", ["overview", "control-plane", "nodes/worker-1", "storage", "network"])
def test_every_view_exports_dot_that_graphviz_reads_back(engine, view):
    engine.run_until(60)
    dot = render_dot(engine.state(), view)
    checked = subprocess.run(["dot", "-Tcanon"], input=dot, capture_output=True, text=True, check=True)
    assert "node/worker-1" in checked.stdout or view in {"control-plane", "storage"}
    assert "@@" not in dot  # exports carry real values, never layout slots


def big_cluster(workers: int, pods_per_node: int = 13) -> ClusterState:
    components = [
        Component("node/cp-1", "node", "cp-1", "Ready", Health.OK, detail={"role": "control-plane"}),
        Component("apiserver/cp-1", "apiserver", "cp-1", "Running", Health.OK, parent="node/cp-1"),
        Component("registry/docker.io", "registry", "docker.io", "Reachable", Health.OK),
    ]
    for n in range(workers):
        name = f"w{n:03d}"
        labels = {"topology.kubernetes.io/zone": f"zone-{'abc'[n % 3]}", "node.kubernetes.io/pool": "general"}
        components.append(
            Component(f"node/{name}", "node", name, "Ready", Health.OK, detail={"role": "worker", "labels": labels})
        )
        components.append(Component(f"kubelet/{name}", "kubelet", name, "Running", Health.OK, parent=f"node/{name}"))
        for p in range(pods_per_node):
            pod = f"app-{n}-{p}"
            components.append(
                Component(
                    f"pod/default/{pod}",
                    "pod",
                    pod,
                    "Running",
                    Health.OK,
                    "default",
                    f"node/{name}",
                    {"images": ["nginx"]},
                )
            )
    return ClusterState(components, cluster="big", source="test")


def test_a_big_cluster_overview_groups_nodes_by_zone_and_pool_and_draws_no_pod():
    state = big_cluster(NODE_DETAIL_LIMIT + 3)
    drawn = {c.id for c in drawn_in(state, "overview")}
    assert not any(cid.startswith(("pod/", "kubelet/w")) for cid in drawn)
    elements = elements_by_id(DiagramRenderer().svg(state, "overview"))
    group = elements["node-group/zone-a/general"]
    assert "health-ok" in group.get("class").split()
    assert "21 nodes: ✔ 21 ok" in texts(group)
    assert "273 pods: ✔ 273 ok" in texts(group)
    assert "nothing unhealthy" in texts(group)
    assert "edge:node-group/zone-a/general>registry/docker.io:pull" in elements


def test_a_state_only_change_in_a_big_cluster_reuses_the_layout_and_updates_counts_and_names():
    state = big_cluster(NODE_DETAIL_LIMIT + 3)
    renderer = DiagramRenderer()
    renderer.svg(state, "overview")
    changed = state.copy()
    for p in range(UNHEALTHY_LINES + 2):  # more unhealthy pods than the box names
        pod = changed.components[f"pod/default/app-0-{p}"]
        changed.put(pod.with_(status="CrashLoopBackOff", health=Health.ERROR))
    changed.put(changed.components["node/w003"].with_(status="NotReady", health=Health.ERROR))
    assert renderer.topology_signature(changed, "overview") == renderer.topology_signature(state, "overview")
    group = elements_by_id(renderer.svg(changed, "overview"))["node-group/zone-a/general"]
    assert renderer.layouts_computed == 1
    lines = texts(group)
    assert "health-error" in group.get("class").split()
    assert "21 nodes: ✔ 20 ok ✖ 1 error" in lines
    assert "273 pods: ✔ 266 ok ✖ 7 error" in lines
    assert "✖ node w003 NotReady" in lines
    assert "✖ pod app-0-0 CrashLoopBackOff" in lines
    assert f"… and {8 - (UNHEALTHY_LINES - 1)} more unhealthy" in lines


def test_pod_counts_of_a_busy_node_follow_a_state_only_change():
    state = big_cluster(2, pods_per_node=20)
    renderer = DiagramRenderer()
    renderer.svg(state, "overview")
    changed = state.copy()
    changed.put(changed.components["pod/default/app-1-5"].with_(status="Pending", health=Health.WARNING))
    summary = elements_by_id(renderer.svg(changed, "overview"))["pods-of/w001"]
    assert renderer.layouts_computed == 1
    assert "20 pods: ✔ 19 ok ▲ 1 warning" in texts(summary)
    assert "health-warning" in summary.get("class").split()


@pytest.mark.parametrize("view", ["overview", "control-plane", "storage", "network", "nodes/w001"])
def test_a_plan_restated_from_state_only_changes_draws_what_a_fresh_plan_draws(view):
    state = big_cluster(NODE_DETAIL_LIMIT + 3)
    renderer = DiagramRenderer()
    renderer.svg(state, view)
    current = state
    for step, cid in enumerate(["pod/default/app-1-2", "node/w001", "kubelet/w002", "pod/default/app-1-2"]):
        current = current.copy()
        health = Health.OK if step == 3 else Health.ERROR
        current.put(current.components[cid].with_(status=f"Status{step}", health=health))
        assert renderer.svg(current, view) == DiagramRenderer().svg(current, view)
    assert renderer.plans_computed == 1
    assert renderer.layouts_computed == 1


def test_a_topology_change_after_state_only_ones_is_planned_and_laid_out_afresh():
    state = big_cluster(NODE_DETAIL_LIMIT + 3)
    renderer = DiagramRenderer()
    renderer.svg(state, "overview")
    moved = state.copy()
    moved.put(Component("registry/quay.io", "registry", "quay.io", "Reachable", Health.OK))
    elements = elements_by_id(renderer.svg(moved, "overview"))
    assert "registry/quay.io" in elements
    assert renderer.layouts_computed == 2


def test_a_component_replaced_by_another_of_the_same_count_is_a_topology_change():
    state = big_cluster(2, pods_per_node=3)
    renderer = DiagramRenderer()
    renderer.svg(state, "overview")
    replaced = state.copy()
    old = replaced.remove("pod/default/app-0-1")
    replaced.put(old.with_(id="pod/default/app-0-9", name="app-0-9"))
    elements = elements_by_id(renderer.svg(replaced, "overview"))
    assert "pod/default/app-0-9" in elements
    assert "pod/default/app-0-1" not in elements


_HEALTHS = [Health.OK, Health.WARNING, Health.ERROR]
_server_steps = st.lists(
    st.one_of(
        # The hub's own state changes: a component's status and health, or a pod comes or goes.
        st.tuples(st.just("restatus"), st.integers(0, 10**6), st.sampled_from(_HEALTHS)),
        st.tuples(st.just("add-pod"), st.integers(0, 3)),
        st.tuples(st.just("remove-pod"), st.integers(0, 10**6)),
        # A request draws a copy, or (rarely) the hub's state itself, or a copy changed after it was drawn.
        st.tuples(st.just("draw-copy")),
        st.tuples(st.just("draw-hub")),
        st.tuples(st.just("change-drawn-copy"), st.sampled_from(_HEALTHS)),
    ),
    min_size=1,
    max_size=8,
)


@pytest.mark.parametrize("view", ["overview", "nodes/w001"])
@settings(max_examples=15, deadline=None)
@given(steps=_server_steps)
def test_whatever_states_a_renderer_is_handed_it_draws_what_a_fresh_one_draws(view, steps):
    hub = big_cluster(3, pods_per_node=3)
    renderer = DiagramRenderer()
    renderer.svg(hub.copy(), view)
    last_drawn = None
    added = 0
    for step in steps:
        kind = step[0]
        if kind == "restatus":
            target = sorted(hub.components.values(), key=lambda c: c.id)[step[1] % len(hub.components)]
            hub.put(target.with_(status=f"S{step[1] % 7}", health=step[2]))
            continue
        if kind == "add-pod":
            added += 1
            node = f"node/w{step[1] % 3:03d}"
            hub.put(Component(f"pod/default/new-{added}", "pod", f"new-{added}", "Running", Health.OK, "default", node))
            continue
        if kind == "remove-pod":
            pods = sorted(c.id for c in hub.components.values() if c.kind == "pod")
            hub.remove(pods[step[1] % len(pods)])
            continue
        if kind == "draw-copy":
            drawn = hub.copy()
        elif kind == "draw-hub":
            drawn = hub
        else:
            if last_drawn is None:
                continue
            drawn = last_drawn
            node = drawn.components["node/w001"]
            drawn.put(node.with_(status="Changed", health=step[1]))
        assert renderer.svg(drawn, view) == DiagramRenderer().svg(drawn, view)
        last_drawn = drawn
