"""What a person sees: the page follows the cluster without a reload."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_taking_a_node_down_in_the_page_turns_its_element_not_ready_without_a_reload(server, page):
    page.goto(server.url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.evaluate("window.__loaded_once = true")
    node = page.locator('[id="node/worker-1"]')
    expect(node).to_have_class("cluster component kind-node health-ok")

    # Kubernetes waits out a 50 s grace period before it calls a silent node
    # NotReady, so the class watches at 100x: the page's own speed control.
    page.select_option("#sim-speed", "100.0")
    expect(page.locator("#sim-controls")).to_have_attribute("data-speed", "100.0")
    page.select_option("#sim-node", "worker-1")
    page.click("#node-down")
    expect(page.locator('[id="kubelet/worker-1"]')).to_have_class("node component kind-kubelet health-error")
    expect(node).to_have_class("cluster component kind-node health-error", timeout=2000)
    expect(node.locator("text.status")).to_have_text("✖ NotReady")
    assert page.evaluate("window.__loaded_once") is True, "the page reloaded"

    page.click("#node-up")
    expect(node).to_have_class("cluster component kind-node health-ok", timeout=2000)
    assert page.evaluate("window.__loaded_once") is True


def test_the_timeline_shows_kubernetes_events_as_they_happen(server, page):
    page.goto(server.url)
    expect(page.locator("#timeline li").first).to_be_visible(timeout=10000)
    expect(page.locator("#timeline")).to_contain_text("Scheduled")


def test_the_controls_follow_a_change_made_from_another_screen(server, page):
    page.goto(server.url)
    expect(page.locator("#sim-controls")).to_have_attribute("data-scenario", "steady-state")
    page.select_option("#sim-node", "worker-3")
    server.sim({"action": "scenario", "name": "scale-up"})
    expect(page.locator("#sim-controls")).to_have_attribute("data-scenario", "scale-up", timeout=10_000)
    expect(page.locator("#sim-node")).to_have_value("worker-3")


def test_a_refused_command_says_why_in_the_page_and_keeps_the_controls(server, page):
    page.goto(server.url)
    page.select_option("#sim-deployment", "kube-system/coredns")  # there from the first second
    page.fill("#sim-replicas", "")
    page.click("#deployment-scale")
    expect(page.locator("#sim-error")).not_to_be_empty()
    expect(page.locator("#sim-error")).to_contain_text("replicas")
    expect(page.locator("#deployment-scale")).to_be_visible()


def test_a_burst_of_triggers_runs_a_refresh_once_now_and_once_after_it(server, page):
    page.goto(f"{server.url}/healthz")
    runs = page.evaluate(
        """async () => {
            const { coalesced } = await import("/static/explorer/js/coalesce.js");
            const log = [];
            let release;
            const task = async () => {
                log.push(`start ${triggers}`);
                await new Promise((resolve) => { release = resolve; });
            };
            let triggers = 0;
            const refresh = coalesced(task, 50);
            const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
            refresh(); triggers++;
            await pause(10);                       // the first run has started
            for (let i = 0; i < 20; i++) { refresh(); triggers++; }
            await pause(100);
            const whileRunning = log.length;       // still one: it has not finished
            release();
            await pause(100);                      // one more, for what came meanwhile
            release();
            await pause(100);
            return { whileRunning, log };
        }"""
    )
    assert runs["whileRunning"] == 1
    # Twenty-one triggers, two runs: one at once, one that starts after the last trigger.
    assert runs["log"] == ["start 1", "start 21"]
