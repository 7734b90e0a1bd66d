"""The network view as a person uses it: a Service's panel, and its endpoints leaving the rotation when a node dies."""

import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def endpoints_on(server, node: str) -> list[str]:
    """The ids of the web Service's endpoint pods on `node`, once the rollout has placed them."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        components = server.state()["components"]
        for c in components:
            if c["kind"] == "endpointslice" and c["detail"].get("service") == "web":
                found = [f"pod/default/{e['pod']}" for e in c["detail"]["endpoints"] if e["node"] == node]
                if found and all(e["ready"] for e in c["detail"]["endpoints"]):
                    return found
        time.sleep(0.3)
    raise AssertionError(f"no ready endpoint of web on {node}")


def test_a_services_panel_opens_from_the_network_view_and_its_endpoints_leave_when_a_node_dies(server, page):
    server.sim({"action": "speed", "value": 25})
    on_worker_2 = endpoints_on(server, "worker-2")
    page.goto(f"{server.url}/view/network/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator("#breadcrumbs li")).to_have_text(["Overview", "Network"])

    # Drill down: the web Service's panel names its kind, its address and its Ready endpoints.
    page.locator('[id="service/default/web"] > text').first.click()
    panel = page.locator("#component-panel")
    expect(panel).to_have_attribute("data-component", "service/default/web")
    expect(panel).to_contain_text("Service")
    expect(panel).to_contain_text("10.96.0.11")
    expect(page).to_have_url(re.compile(r"/view/network/\?component=service"))

    pod = page.locator(f'[id="{on_worker_2[0]}"]')
    expect(pod).to_have_class(re.compile(r"\bhealth-ok\b"))
    route = page.locator(f'[id="edge:service/default/web>{on_worker_2[0]}:routes"]')
    expect(route).to_have_count(1)

    # worker-2 dies: past the grace period its pods turn not ready and the Service stops routing to them.
    server.sim({"action": "node-down", "node": "worker-2"})
    expect(page.locator('[id="node/worker-2"]')).to_have_class(re.compile(r"\bhealth-error\b"), timeout=20_000)
    expect(pod).not_to_have_class(re.compile(r"\bhealth-ok\b"), timeout=10_000)
    expect(route).to_have_count(0, timeout=10_000)
    expect(page.locator('[id="kube-proxy/worker-2"]')).to_have_class(re.compile(r"\bhealth-error\b"))
    expect(page.locator('[id="edge:kube-proxy/worker-2>service/default/web:programs"]')).to_contain_text("stale rules")
    # The other nodes' endpoints still take traffic.
    expect(page.locator('#diagram g.edge.kind-routes[id^="edge:service/default/web>"]').first).to_be_attached()
    server.sim({"action": "speed", "value": 1})


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_network_view_fits_a_projector_and_a_wall_screen(server, browser, artifacts, language):
    endpoints_on(server, "worker-1")
    for width, height in ((1024, 768), (1920, 1080)):
        context = browser.new_context(
            viewport={"width": width, "height": height}, extra_http_headers={"Accept-Language": language}
        )
        page = context.new_page()
        page.goto(f"{server.url}/view/network/")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        for element in ("service/kube-system/kube-dns", "service/default/web", "kube-proxy/worker-1"):
            expect(page.locator(f'[id="{element}"]')).to_be_in_viewport()
        page.wait_for_timeout(300)
        page.screenshot(path=artifacts / f"network-{language}-{width}x{height}.png")
        context.close()
