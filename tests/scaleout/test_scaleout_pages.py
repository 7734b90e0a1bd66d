"""What a person sees of a scaled-out explorer: controls on one worker move the page on another; a dead hub shows."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_page_on_one_worker_follows_controls_clicked_on_another_and_shows_a_dead_hub(workers, hub, browser):
    first, second = workers
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    try:
        watcher, teacher = context.new_page(), context.new_page()
        watcher.goto(first.url)
        teacher.goto(second.url)
        for page in (watcher, teacher):
            expect(page.locator("#live-status")).to_have_attribute("data-state", "live")

        teacher.select_option("#sim-node", "worker-1")
        teacher.click("#node-down")
        expect(watcher.locator('[id="kubelet/worker-1"]')).to_have_class("node component kind-kubelet health-error")

        hub.kill()
        status = watcher.locator("#live-status")
        expect(status).to_have_attribute("data-state", "stale", timeout=15000)
        expect(status).to_contain_text("stale since")

        hub.start()
        expect(status).to_have_attribute("data-state", "live", timeout=15000)
        # The restarted hub tells a new story from its scenario's start: the page resynced to it.
        expect(watcher.locator('[id="kubelet/worker-1"]')).to_have_class("node component kind-kubelet health-ok")
    finally:
        context.close()


def test_a_panel_and_its_events_show_on_a_scaled_out_worker_and_survive_a_reload(workers, browser):
    first, _ = workers
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{first.url}/view/nodes/worker-1/")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        pod = page.locator("#diagram g.kind-pod").first
        expect(pod).to_be_visible(timeout=15000)  # the rollout schedules pods within seconds
        pod_id = pod.get_attribute("id")
        pod.click()
        panel = page.locator("#component-panel")
        expect(panel).to_have_attribute("data-component", pod_id)
        # A scheduled pod has had its Scheduled event, kept by the hub in Redis for every worker.
        expect(panel.locator(".component-events li").first).to_be_visible(timeout=10000)
        expect(page).to_have_url(re.compile(r"\?component=pod"))

        page.reload()
        expect(page.locator("#component-panel")).to_have_attribute("data-component", pod_id)
        expect(page.locator("#component-panel .component-events li").first).to_be_visible()
    finally:
        context.close()
