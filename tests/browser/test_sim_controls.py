"""The simulation's controls in the page: scenario picker and the fault controls."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_stopping_the_scheduler_from_the_page_marks_it_down_and_starting_it_brings_it_back(server, page):
    page.goto(server.url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    scheduler = page.locator('[id="scheduler/cp-1"]')
    expect(scheduler).to_have_class("node component kind-scheduler health-ok")
    page.select_option("#sim-component", "scheduler/cp-1")
    page.click("#component-stop")
    expect(scheduler).to_have_class("node component kind-scheduler health-error")
    expect(page.locator("#sim-component")).to_have_value("scheduler/cp-1")
    page.click("#component-start")
    # A new scheduler waits out the old leader's 15 s Lease; watch it at 100x.
    page.select_option("#sim-speed", "100.0")
    expect(scheduler).to_have_class("node component kind-scheduler health-ok", timeout=5000)


def test_the_scenario_picker_starts_another_scenario(server, page):
    page.goto(server.url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.select_option("#sim-scenario", "crash-loop")
    page.click("#scenario-load")
    expect(page.locator("#sim-controls")).to_have_attribute("data-scenario", "crash-loop")
    expect(page.locator("#sim-controls .scenario-description")).to_contain_text("CrashLoopBackOff")
    expect(page.locator("#sim-deployment option")).to_have_count(2)


def test_a_speed_picked_the_moment_the_controls_are_redrawn_is_not_lost(server, page):
    page.goto(server.url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    # The controls are redrawn (as when another screen changed the simulation), and the
    # person picks a speed in the very next moment.
    page.evaluate(
        """async () => {
            await htmx.ajax("GET", "/api/sim/", {target: "#sim-controls", swap: "outerHTML"});
            const speed = document.getElementById("sim-speed");
            speed.value = "100.0";
            speed.dispatchEvent(new Event("change", {bubbles: true}));
        }"""
    )
    expect(page.locator("#sim-controls")).to_have_attribute("data-speed", "100.0")
    assert server.sim({"action": "resume"})["speed"] == 100.0


def test_a_teacher_starts_a_scenario_at_an_older_release_and_goes_back(server, page):
    """The release picker: node-failure at v1.31 has kubelets of v1.31 and the 40 s grace period."""
    page.goto(server.url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator("#sim-version")).to_have_value("")  # the scenario's own, by default
    expect(page.locator("#sim-version-shown")).to_have_text("v1.34")
    page.select_option("#sim-scenario", "node-failure")
    page.select_option("#sim-version", "v1.31")
    page.click("#scenario-load")
    expect(page.locator("#sim-version-shown")).to_have_text("v1.31")
    expect(page.locator("#sim-version")).to_have_value("v1.31")
    kubelets = {c["detail"]["version"] for c in server.state()["components"] if c["kind"] == "kubelet"}
    assert kubelets == {"v1.31.0"}
    page.select_option("#sim-scenario", "steady-state")
    page.select_option("#sim-version", "")
    page.click("#scenario-load")
    expect(page.locator("#sim-version-shown")).to_have_text("v1.34")
    kubelets = {c["detail"]["version"] for c in server.state()["components"] if c["kind"] == "kubelet"}
    assert kubelets == {"v1.34.0"}
