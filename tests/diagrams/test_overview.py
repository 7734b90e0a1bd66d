import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from explorer.diagrams import DiagramRenderer, UnknownView, render_dot, render_png
from explorer.diagrams.elements import counts_text
from explorer.diagrams.overview import POD_DETAIL_LIMIT, drawn_in_overview
from explorer.diagrams.words import Words
from explorer.model import ClusterState, Component, Health
from explorer.model.kinds import kind_of

SVG = "{http://www.w3.org/2000/svg}"


def elements_by_id(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg.encode())
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}


def test_every_component_the_overview_draws_has_its_id_and_health_class(engine):
    engine.run_until(60)
    engine.command({"action": "node-down", "node": "worker-2"})
    engine.run_until(140)
    state = engine.state()
    elements = elements_by_id(DiagramRenderer().svg(state, "overview"))
    drawn = drawn_in_overview(state)
    # A small cluster is drawn one element per component of the kinds the views draw, but for the
    # Services and their slices, which the network view draws.
    overview_kinds = [
        c for c in state.components.values() if kind_of(c.kind).drawn and kind_of(c.kind).home != "network"
    ]
    assert len(drawn) == len(overview_kinds)
    for component in drawn:
        element = elements.get(component.id)
        assert element is not None, f"{component.id} is not drawn"
        assert f"health-{component.health.value}" in element.get("class").split()
    assert "health-error" in elements["node/worker-2"].get("class").split()


def test_the_status_word_is_drawn_beside_the_colour(engine):
    engine.run_until(60)
    svg = DiagramRenderer().svg(engine.state(), "overview")
    node = elements_by_id(svg)["node/worker-1"]
    status = [t.text for t in node.iter(f"{SVG}text") if t.get("class") == "status"]
    assert status == ["✔ Ready"]


def test_a_state_only_change_reuses_the_layout(engine):
    engine.run_until(60)
    renderer = DiagramRenderer()
    renderer.svg(engine.state(), "overview")
    engine.command({"action": "node-down", "node": "worker-1"})
    svg = renderer.svg(engine.state(), "overview")
    assert renderer.layouts_computed == 1
    assert "health-error" in elements_by_id(svg)["kubelet/worker-1"].get("class")


def test_a_topology_change_lays_out_again(engine):
    renderer = DiagramRenderer()
    renderer.svg(engine.state(), "overview")
    engine.run_until(60)  # pods appear
    renderer.svg(engine.state(), "overview")
    assert renderer.layouts_computed == 2


def test_many_pods_on_a_node_are_summarised_as_counts():
    pods = [
        Component(f"pod/default/p{i}", "pod", f"p{i}", "Running", Health.OK, "default", "node/w1")
        for i in range(POD_DETAIL_LIMIT + 1)
    ]
    state = ClusterState([Component("node/w1", "node", "w1", "Ready", Health.OK), *pods], cluster="c", source="t")
    elements = elements_by_id(DiagramRenderer().svg(state, "overview"))
    assert "pod/default/p0" not in elements
    assert "pods-of/w1" in elements
    assert [c.kind for c in drawn_in_overview(state)] == ["node"]


def test_dot_export_parses_back_and_png_export_is_a_png(engine):
    engine.run_until(30)
    dot = render_dot(engine.state(), "overview")
    checked = subprocess.run(["dot", "-Tcanon"], input=dot, capture_output=True, text=True, check=True)
    assert "node/worker-1" in checked.stdout
    assert re.search(r"fillcolor=\"?#e3f4e3", dot)  # exports carry their colours without CSS
    assert render_png(engine.state(), "overview").startswith(b"\x89PNG\r\n\x1a\n")


def test_an_unknown_view_is_refused_with_the_list_of_views(engine):
    with pytest.raises(UnknownView, match="views: overview"):
        DiagramRenderer().svg(engine.state(), "nope")


def test_a_count_of_one_reads_in_the_singular_in_english_and_as_counted_in_chinese():
    english, chinese = Words("en"), Words("zh-hans")
    assert counts_text(english, "nodes", {Health.OK: 1}) == "1 node: ✔ 1 ok"
    assert counts_text(english, "kube-proxies", {Health.ERROR: 1}) == "1 kube-proxy: ✖ 1 error"
    assert counts_text(english, "nodes", {Health.OK: 2}) == "2 nodes: ✔ 2 ok"
    assert counts_text(english, "endpoint pods", {}).startswith("0 endpoint pods")
    assert counts_text(chinese, "nodes", {Health.OK: 1}) == "节点 共 1 个:✔ 1 正常"
