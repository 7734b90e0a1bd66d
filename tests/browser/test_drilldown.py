"""Drill-down as a person does it: overview -> a node -> a pod's panel, a reload that keeps it, and exports."""

import re
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_clicking_overview_then_a_node_then_a_pod_opens_its_panel_and_a_reload_keeps_it(server, page):
    page.goto(f"{server.url}/view/overview/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.locator('[id="node/worker-1"] > text').first.click()
    expect(page).to_have_url(f"{server.url}/view/nodes/worker-1/")
    expect(page.locator("#breadcrumbs")).to_contain_text("Node worker-1")

    pod = page.locator("#diagram g.kind-pod").first
    expect(pod).to_be_visible(timeout=15000)  # the rollout schedules pods within seconds
    pod_id = pod.get_attribute("id")
    pod.click()
    panel = page.locator("#component-panel")
    expect(panel).to_have_attribute("data-component", pod_id)
    expect(panel.locator(".status")).to_have_text(re.compile(r"^[✔▲✖?] \w+"))
    expect(page).to_have_url(re.compile(r"/view/nodes/worker-1/\?component=pod"))

    page.reload()
    expect(page.locator("#component-panel")).to_have_attribute("data-component", pod_id)
    expect(page.locator(f'[id="{pod_id}"]')).to_have_class(re.compile(r"\bselected\b"))
    expect(page.locator("#breadcrumbs li")).to_have_text(["Overview", "Node worker-1", pod_id])

    page.go_back()
    expect(page).to_have_url(f"{server.url}/view/nodes/worker-1/")


def test_the_export_buttons_download_a_valid_svg_png_and_dot(server, page, tmp_path: Path):
    page.goto(f"{server.url}/view/control-plane/")
    files = {}
    for fmt in ("svg", "png", "dot"):
        with page.expect_download() as download:
            page.click(f"#export-{fmt}")
        assert download.value.suggested_filename == f"control-plane.{fmt}"
        files[fmt] = tmp_path / f"control-plane.{fmt}"
        download.value.save_as(files[fmt])
    root = ET.parse(files["svg"]).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert any(g.get("id") == "etcd/cp-1" for g in root.iter("{http://www.w3.org/2000/svg}g"))
    assert files["png"].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    canon = subprocess.run(["dot", "-Tcanon", str(files["dot"])], capture_output=True, text=True, check=True)
    assert "etcd/cp-1" in canon.stdout


def test_zoom_buttons_change_the_view_box_and_fit_restores_it(server, page):
    page.goto(f"{server.url}/view/overview/")
    svg = page.locator("#diagram svg")
    full = svg.get_attribute("viewBox")
    page.click('[data-zoom="in"]')
    zoomed = svg.get_attribute("viewBox")
    assert float(zoomed.split()[2]) < float(full.split()[2])
    page.click('[data-zoom="fit"]')
    assert page.locator("#diagram svg").get_attribute("viewBox") == full


def test_an_open_panel_follows_its_component_live(server, page):
    page.goto(f"{server.url}/view/nodes/worker-3/?component=kubelet/worker-3")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    panel = page.locator("#component-panel")
    expect(panel.locator(".status")).to_have_text("✔ Running")
    page.request.post(
        f"{server.url}/api/sim/",
        data={"action": "node-down", "node": "worker-3"},
        headers={"X-CSRFToken": next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")},
    )
    expect(panel.locator(".status")).to_have_text("✖ Stopped")
    expect(panel.locator(".why")).to_contain_text("the machine is down")


def test_a_view_page_lists_the_clusters_events_as_they_happen(server, page):
    page.goto(f"{server.url}/view/overview/")
    expect(page.locator("#timeline li").first).to_be_attached(timeout=10_000)
    expect(page.locator("#timeline")).to_contain_text("Scheduled")


def test_a_node_view_redraws_for_its_own_pods_and_not_for_other_nodes(server, page):
    # Let the Deployment finish rolling out (its pods on worker-1 would redraw the view), then hold still.
    server.sim({"action": "speed", "value": 100})
    deadline = time.monotonic() + 20
    while True:
        pods = [c for c in server.state()["components"] if c["kind"] == "pod"]
        if len(pods) >= 8 and all(c["status"] == "Running" for c in pods):
            break
        assert time.monotonic() < deadline, "the steady-state pods did not all start"
        time.sleep(0.2)
    server.sim({"action": "pause"})
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if "/diagram/nodes/worker-1.svg" in r.url else None)
    page.goto(f"{server.url}/view/nodes/worker-1/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.wait_for_timeout(1000)  # the snapshot's own redraw
    fetched.clear()

    # Another node fails: its agents change, nothing this view draws or reads.
    server.sim({"action": "node-down", "node": "worker-2"})
    server.sim({"action": "node-down", "node": "worker-1"})
    expect(page.locator('[id="kubelet/worker-1"]')).to_have_class(re.compile(r"\bhealth-error\b"))
    page.wait_for_timeout(1000)  # three times the redraw delay
    assert fetched == [], "changes to another node's agents made this node's view redraw"

    # Its own pods do: more replicas, spread over the workers, add a pod here too.
    server.sim({"action": "node-up", "node": "worker-1"})
    server.sim({"action": "node-up", "node": "worker-2"})
    pods_before = page.locator('#diagram [id^="pod/"]').count()
    server.sim({"action": "resume"})
    server.sim({"action": "scale", "deployment": "default/web", "by": 6})
    expect(page.locator('#diagram [id^="pod/"]')).not_to_have_count(pods_before, timeout=15_000)
    assert fetched, "a pod added to the node did not redraw its view"


def test_the_control_plane_view_shows_the_new_raft_term_after_an_election(server, page):
    server.sim({"action": "scenario", "name": "etcd-quorum-loss"})
    page.goto(f"{server.url}/view/control-plane/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator('#diagram [id="etcd/cp-3"] text.detail')).to_have_text("raft term 2")

    # A minute in, cp-1's member stops and the other two elect a leader in a higher term.
    def term() -> int:
        etcd = next(c for c in server.state()["components"] if c["id"] == "etcd/cp-3")
        return etcd["detail"]["term"]

    server.sim({"action": "speed", "value": 100})
    deadline = time.monotonic() + 20
    while term() == 2:
        assert time.monotonic() < deadline, "no election happened"
        time.sleep(0.1)
    server.sim({"action": "pause"})
    expect(page.locator('#diagram [id="etcd/cp-3"] text.detail')).to_have_text(f"raft term {term()}")
