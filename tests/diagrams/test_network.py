"""The network view: Services, their EndpointSlices and endpoint pods on their nodes, summarised past a limit."""

import json
import xml.etree.ElementTree as ET

from explorer.diagrams import DiagramRenderer, drawn_in, render_dot
from explorer.diagrams.network import NETWORK_NODE_LIMIT
from explorer.model import ClusterState, Component, Health
from tests.diagrams.test_views import elements_by_id, texts


def endpoint_pods(state: ClusterState) -> set[str]:
    found = set()
    for s in state.of_kind("endpointslice"):
        for e in s.detail["endpoints"]:
            found.add(f"pod/{s.namespace}/{e['pod']}")
    return found


def test_a_small_cluster_shows_each_service_its_slices_and_ready_endpoints_on_their_nodes(engine):
    engine.run_until(60)
    state = engine.state()
    svg = DiagramRenderer().svg(state, "network")
    elements = elements_by_id(svg)
    assert {"service/kube-system/kube-dns", "service/default/web"} <= elements.keys()
    assert {s.id for s in state.of_kind("endpointslice")} <= elements.keys()
    for node in state.of_kind("node"):
        assert node.id in elements
        assert f"kube-proxy/{node.name}" in elements
    # The pods behind the Services, and no other pod.
    pods = {c.id for c in state.of_kind("pod")}
    endpoints = endpoint_pods(state)
    assert endpoints
    assert endpoints < pods
    assert {cid for cid in elements if cid.startswith("pod/")} == endpoints
    for pod in endpoints:
        assert any(cid.startswith("edge:service/") and cid.endswith(f">{pod}:routes") for cid in elements), pod
    # Each Service's address and ports; each kube-proxy programs the Services.
    dns = texts(elements["service/kube-system/kube-dns"])
    assert "ClusterIP 10.96.0.10" in dns
    assert "53/UDP, 53/TCP, 9153/TCP" in dns
    assert "ClusterIP 10.96.0.10" not in texts(elements["service/default/web"])  # every Service has its own
    assert "edge:kube-proxy/worker-1>service/default/web:programs" in elements
    assert json.loads(ET.fromstring(svg).get("data-scope"))["kinds"] == [
        "service",
        "endpointslice",
        "pod",
        "node",
        "kube-proxy",
    ]


def test_a_dead_nodes_endpoints_leave_the_rotation_and_its_kube_proxy_keeps_stale_rules(engine):
    engine.run_until(60)
    state = engine.state()
    on_worker_2 = {p for p in endpoint_pods(state) if state.components[p].parent == "node/worker-2"}
    assert on_worker_2
    engine.command({"action": "node-down", "node": "worker-2"})
    engine.run_until(60 + engine.lifecycle.grace + 15)  # past the grace period: NotReady, its endpoints not ready
    after = engine.state()
    elements = elements_by_id(DiagramRenderer().svg(after, "network"))
    routed = {cid.split(">")[1].rsplit(":", 1)[0] for cid in elements if cid.endswith(":routes")}
    assert routed
    assert not routed & on_worker_2
    for pod in on_worker_2:  # still listed, now not ready
        assert pod in elements
        assert "health-ok" not in elements[pod].get("class").split()
    web_slice = next(s for s in after.of_kind("endpointslice") if s.detail["service"] == "web")
    assert "health-warning" in elements[web_slice.id].get("class").split()
    assert any("not ready" in line and not line.startswith("0 ") for line in texts(elements[web_slice.id]))
    assert "stale rules" in texts(elements["edge:kube-proxy/worker-2>service/default/web:programs"])
    assert "programs every Service" in texts(elements["edge:kube-proxy/worker-1>service/default/web:programs"])


def big_network(nodes: int) -> ClusterState:
    """`nodes` workers in two zones, each with a kube-proxy and one `app` pod behind one Service."""
    components = [
        Component(
            "service/default/app",
            "service",
            "app",
            "Active",
            Health.OK,
            "default",
            detail={"type": "ClusterIP", "clusterIP": "10.96.0.20", "ports": [{"port": 80, "protocol": "TCP"}]},
        )
    ]
    endpoints = []
    for n in range(nodes):
        name = f"w{n:03d}"
        labels = {"topology.kubernetes.io/zone": f"zone-{'ab'[n % 2]}"}
        components.append(
            Component(f"node/{name}", "node", name, "Ready", Health.OK, detail={"role": "worker", "labels": labels})
        )
        components.append(
            Component(f"kube-proxy/{name}", "kube-proxy", name, "Running", Health.OK, parent=f"node/{name}")
        )
        pod = f"app-{n}"
        components.append(Component(f"pod/default/{pod}", "pod", pod, "Running", Health.OK, "default", f"node/{name}"))
        endpoints.append({"pod": pod, "node": name, "ready": True})
    for first in range(0, nodes, 100):
        chunk = endpoints[first : first + 100]
        detail = {"service": "app", "owner": "Service/app", "endpoints": chunk, "ready": len(chunk), "notReady": 0}
        name = f"app-{first // 100}"
        components.append(
            Component(
                f"endpointslice/default/{name}", "endpointslice", name, "Ready", Health.OK, "default", detail=detail
            )
        )
    return ClusterState(components, cluster="big", source="test")


def test_past_the_limit_the_view_counts_endpoints_and_groups_nodes_and_follows_a_state_only_change():
    state = big_network(NETWORK_NODE_LIMIT + 188)
    renderer = DiagramRenderer()
    elements = elements_by_id(renderer.svg(state, "network"))
    assert not any(cid.startswith(("pod/", "node/", "endpointslice/", "kube-proxy/")) for cid in elements)
    assert [c.id for c in drawn_in(state, "network")] == ["service/default/app"]
    endpoints = texts(elements["endpoints-of/service/default/app"])
    assert "2 EndpointSlices: ✔ 2 ok" in endpoints
    assert "200 endpoint pods: ✔ 200 ok" in endpoints
    group = texts(elements["node-group/zone-a/worker"])
    assert {"100 nodes: ✔ 100 ok", "100 kube-proxies: ✔ 100 ok", "100 endpoint pods: ✔ 100 ok"} <= set(group)
    assert "edge:endpoints-of/service/default/app>node-group/zone-b/worker:routes" in elements

    changed = state.copy()
    changed.put(changed.components["pod/default/app-4"].with_(status="CrashLoopBackOff", health=Health.ERROR))
    changed.put(changed.components["kube-proxy/w002"].with_(status="Stopped", health=Health.ERROR))
    elements = elements_by_id(renderer.svg(changed, "network"))
    assert renderer.layouts_computed == 1  # counts and names are slots: no new layout
    endpoints = texts(elements["endpoints-of/service/default/app"])
    assert "200 endpoint pods: ✔ 199 ok ✖ 1 error" in endpoints
    assert "✖ pod app-4 CrashLoopBackOff" in endpoints
    assert "health-warning" in elements["endpoints-of/service/default/app"].get("class").split()
    group = texts(elements["node-group/zone-a/worker"])
    assert "100 kube-proxies: ✔ 99 ok ✖ 1 error" in group
    assert "✖ kube-proxy w002 Stopped" in group
    assert renderer.svg(changed, "network") == DiagramRenderer().svg(changed, "network")


def test_the_view_speaks_chinese_and_its_export_carries_real_values(engine):
    engine.run_until(60)
    state = engine.state()
    words = [t.text or "" for t in ET.fromstring(DiagramRenderer().svg(state, "network", "zh-hans")).iter()]
    assert "集群 sim-classroom(sim):网络" in words
    assert "EndpointSlice(端点切片)" in words
    assert any(w.endswith("个未就绪") for w in words)
    dot = render_dot(state, "network", "zh-hans")
    assert "@@" not in dot
    assert "转发到" in dot
