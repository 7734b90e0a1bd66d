"""The operator's dashboard in a real browser: problems first, focus, timeline filters, search, a bounded DOM."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def sim(page, payload: dict) -> int:
    return page.evaluate(
        """async (payload) => {
            const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const r = await fetch("/api/sim/", {method: "POST", body: JSON.stringify(payload),
                headers: {"Content-Type": "application/json", "X-CSRFToken": token}});
            return r.status;
        }""",
        payload,
    )


def open_dashboard(page, url, speed=100):
    page.goto(url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    assert sim(page, {"action": "speed", "value": speed}) == 200


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1024, 768)])
def test_during_the_node_failure_scenario_the_failed_node_tops_the_problems_and_leaves_when_back(
    server, browser, artifacts, width, height
):
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    open_dashboard(page, server.url)
    assert sim(page, {"action": "scenario", "name": "node-failure"}) == 200
    first = page.locator("#problems .problems li").first
    # worker-2 loses power at 60 s; the grace period ends about 45 s later: half a second at 100x.
    expect(first).to_have_attribute("data-id", "node/worker-2", timeout=15_000)
    expect(first).to_contain_text("NotReady")
    expect(first.locator(".since")).to_contain_text("since")
    expect(first).to_be_in_viewport()
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts / f"dashboard-node-failure-{width}x{height}.png")

    first.locator("a[data-focus]").click()
    expect(page.locator('[id="node/worker-2"]')).to_have_class(re.compile(r"\bfocused\b"))
    assert "focus=node%2Fworker-2" in page.url or "focus=node/worker-2" in page.url

    # The scenario brings the machine back at twelve minutes.
    expect(page.locator('#problems li[data-id="node/worker-2"]')).to_have_count(0, timeout=30_000)
    page.context.close()


def test_the_timeline_filters_and_pauses_without_losing_events(server, page):
    open_dashboard(page, server.url)
    expect(page.locator("#timeline li").nth(5)).to_be_attached(timeout=10_000)
    page.select_option("#timeline-controls [name=kind]", "node")
    assert sim(page, {"action": "node-down", "node": "worker-1"}) == 200
    expect(page.locator('#timeline li:not([hidden])[data-reason="NodeNotReady"]')).to_have_count(1, timeout=10_000)
    for kind in page.locator("#timeline li:not([hidden])").evaluate_all("els => els.map(e => e.dataset.kind)"):
        assert kind == "node"
    page.select_option("#timeline-controls [name=kind]", "")
    page.fill("#timeline-controls [name=reason]", "Scheduled")
    reasons = page.locator("#timeline li:not([hidden])").evaluate_all("els => els.map(e => e.dataset.reason)")
    assert reasons, "no Scheduled event in the timeline"
    assert set(reasons) == {"Scheduled"}
    page.fill("#timeline-controls [name=reason]", "")

    page.click("#timeline-pause")
    shown = page.locator("#timeline li").count()
    assert sim(page, {"action": "node-up", "node": "worker-1"}) == 200
    expect(page.locator("#timeline-held")).to_contain_text("new", timeout=10_000)
    assert page.locator("#timeline li").count() == shown
    page.click("#timeline-pause")
    expect(page.locator('#timeline li[data-reason="NodeReady"]')).to_have_count(1)


def test_search_jumps_to_a_component(server, page):
    open_dashboard(page, server.url)
    page.fill("#search", "worker-3")
    page.press("#search", "Enter")
    expect(page.locator('[id="node/worker-3"]')).to_have_class(re.compile(r"\bfocused\b"))
    # The scenario starts db-0 a few seconds in; until then "db-0" finds its claim, data-db-0.
    expect(page.locator('[id="pod/default/db-0"]')).to_be_attached(timeout=15_000)
    page.fill("#search", "db-0")
    page.press("#search", "Enter")
    expect(page.locator("#search-status")).to_have_text("pod/default/db-0")
    expect(page.locator('[id="pod/default/db-0"]')).to_have_class(re.compile(r"\bfocused\b"))
    page.fill("#search", "no-such-thing")
    page.press("#search", "Enter")
    expect(page.locator("#search-status")).to_contain_text("no-such-thing")


def test_thousands_of_changes_leave_the_page_the_same_size(server, page):
    open_dashboard(page, server.url)
    expect(page.locator("#timeline li").nth(20)).to_be_attached(timeout=10_000)

    def churn(resets: int) -> int:
        for _ in range(resets):
            sim(page, {"action": "reset"})
            page.wait_for_timeout(120)
        page.wait_for_timeout(1500)
        return page.evaluate("document.getElementsByTagName('*').length")

    seq = "fetch('/api/state.json').then(r => r.json()).then(s => s.seq)"
    start = page.evaluate(seq)
    after_first = churn(20)  # enough to fill the timeline to its limit
    after_second = churn(20)
    assert page.evaluate(seq) - start > 2000, "the run was too short to show anything"
    assert page.locator("#timeline li").count() <= 200
    assert after_second <= after_first * 1.05, f"the DOM kept growing: {after_first} then {after_second} elements"
