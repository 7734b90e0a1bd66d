"""The pod panel's "Why this node?": the scheduler's filters per node and its plugins' scores, or why no node fit.

The score plugins and weights are the default profile's (pkg/scheduler/apis/config/v1/default_plugins.go).
"""

import time
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def wait_for_pod(server, wanted, what: str) -> dict:
    deadline = time.monotonic() + 20
    while True:
        found = [c for c in server.state()["components"] if c["kind"] == "pod" and wanted(c)]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no {what} pod appeared"
        time.sleep(0.2)


def test_a_scheduled_pods_panel_shows_each_nodes_verdict_and_the_candidates_scores(server, page):
    server.sim({"action": "speed", "value": 20})
    pod = wait_for_pod(server, lambda c: c["name"].startswith("web-") and c["status"] == "Running", "running web")
    node = pod["parent"].split("/", 1)[1]
    page.goto(f"{server.url}/view/overview/?component={quote(pod['id'], safe='')}")
    why = page.locator("#component-panel section.scheduling")
    expect(why.locator("h3")).to_have_text("Why this node?")
    tied = pod["detail"]["scheduling"]["tied"]
    tie = f" {tied} nodes tied for the top score, and the scheduler picked one of them at random." if tied > 1 else ""
    expect(why.locator(".decision")).to_have_text(f"The scheduler chose {node} of 4 nodes.{tie}")
    verdicts = why.locator("table.filter-verdicts tbody tr")
    expect(verdicts).to_have_count(4)  # one row per node up to twenty nodes
    expect(verdicts.filter(has_text="cp-1")).to_contain_text(
        "untolerated taint {node-role.kubernetes.io/control-plane: }"
    )
    scores = why.locator("table.plugin-scores")
    expect(scores.locator("thead th").nth(1)).to_have_text(node)  # the chosen node leads the candidates
    expect(scores.locator("tbody th")).to_have_text(
        [
            "TaintToleration ×3",
            "NodeAffinity ×2",
            "NodeResourcesFit ×1",
            "PodTopologySpread ×2",
            "InterPodAffinity ×2",
            "NodeResourcesBalancedAllocation ×1",
            "ImageLocality ×1",
            "Total",
        ]
    )


def test_a_pending_pods_panel_says_why_no_node_fits(server, page):
    server.sim({"action": "speed", "value": 20})
    wait_for_pod(server, lambda c: c["name"].startswith("web-"), "web")  # the apiserver answers by then
    server.sim({"action": "scale", "deployment": "default/web", "by": 40})
    pod = wait_for_pod(
        server,
        lambda c: c["name"].startswith("web-") and c["status"] == "Pending" and c["detail"].get("why"),
        "pending",
    )
    page.goto(f"{server.url}/view/overview/?component={quote(pod['id'], safe='')}")
    why = page.locator("#component-panel section.scheduling")
    expect(why.locator("h3")).to_have_text("Why no node?")
    expect(why.locator(".decision")).to_have_text("No node of 4 passed the filters.")
    verdicts = why.locator("table.filter-verdicts tbody tr")
    expect(verdicts.filter(has_text="worker-1")).to_contain_text("Insufficient cpu")
    expect(verdicts.filter(has_text="cp-1")).to_contain_text("untolerated taint")
    expect(why.locator("table.plugin-scores")).to_have_count(0)
    expect(why).to_contain_text("Preemption: 0/4 nodes are available")


def test_the_panel_speaks_chinese_too(server, browser):
    server.sim({"action": "speed", "value": 20})
    pod = wait_for_pod(server, lambda c: c["name"].startswith("web-") and c["status"] == "Running", "running web")
    context = browser.new_context(extra_http_headers={"Accept-Language": "zh-hans"})
    page = context.new_page()
    page.goto(f"{server.url}/view/overview/?component={quote(pod['id'], safe='')}")
    why = page.locator("#component-panel section.scheduling")
    expect(why.locator("h3")).to_have_text("为什么是这个节点？")
    expect(why.locator("tbody tr.total th")).to_have_text("总分")
    context.close()
