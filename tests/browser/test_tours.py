"""Tours as a learner and a class use them: the keyboard, two languages, projector mode, presenter-follow."""

import re

import pytest
from playwright.sync_api import expect

from explorer.tours import LANGUAGES, load_tours

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_whole_tour_can_be_walked_by_keyboard(server, browser, language):
    tour = load_tours()["control-plane"]
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, extra_http_headers={"Accept-Language": language}
    )
    page = context.new_page()
    page.goto(f"{server.url}/tours/{tour.slug}/1/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    for step in tour.steps:
        expect(page.locator("#tour-title")).to_have_text(step.text(language)["title"])
        expect(page).to_have_url(f"{server.url}/tours/{tour.slug}/{step.number}/")
        # The step's components are highlighted and the rest dimmed.
        expect(page.locator("#diagram .tour-focus").first).to_be_attached()
        page.keyboard.press("ArrowRight" if step.number % 2 else "Space")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#tour-title")).to_have_text(tour.steps[-2].text(language)["title"])
    page.keyboard.press("Escape")
    expect(page).to_have_url(f"{server.url}/tours/")
    context.close()


def test_the_language_switcher_changes_the_tour_language(server, page):
    page.goto(f"{server.url}/tours/control-plane/1/")
    page.select_option("#language-select", "zh-hans")
    expect(page.locator("#tour-title")).to_have_text(load_tours()["control-plane"].steps[0].text("zh-hans")["title"])


@pytest.mark.parametrize("slug", list(load_tours()))
def test_projector_mode_fits_1024x768_without_scrolling(server, browser, artifacts, slug):
    for theme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        page = context.new_page()
        page.goto(f"{server.url}/tours/{slug}/1/?projector=1&theme={theme}")
        expect(page.locator("#tour-title")).to_be_visible()
        page.wait_for_timeout(300)
        page.screenshot(path=artifacts / f"projector-{slug}-{theme}.png")
        overflow = page.evaluate(
            "[document.documentElement.scrollWidth - innerWidth, document.documentElement.scrollHeight - innerHeight]"
        )
        assert overflow == [0, 0], f"{slug} ({theme}) scrolls by {overflow}"
        panel = page.locator("#tour").bounding_box()
        assert panel["y"] + panel["height"] <= 768, "the panel is cut off"
        inner = page.locator("#tour").evaluate("el => el.scrollHeight - el.clientHeight")
        assert inner <= 0, f"{slug} ({theme}): the panel scrolls by {inner}px"
        context.close()


def test_followers_move_with_the_presenter_and_cannot_drive(server, browser):
    link = server.manage("presenter_token", "--base-url", server.url).strip()
    presenter = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    presenter.goto(link)
    expect(presenter.locator(".presenting")).to_be_visible()
    room = presenter.url.split("room=")[1]
    followers = [browser.new_context(viewport={"width": 1024, "height": 768}).new_page() for _ in range(2)]
    for follower in followers:
        follower.goto(f"{server.url}/follow/{room}/")
        expect(follower.locator("#tour")).to_have_attribute("data-step", "1")

    presenter.keyboard.press("ArrowRight")
    expect(presenter.locator("#tour")).to_have_attribute("data-step", "2")
    presenter.keyboard.press("ArrowRight")
    for follower in followers:
        expect(follower.locator("#tour")).to_have_attribute("data-step", "3")

    # The audience has no controls; keys do nothing; a forged move is refused.
    follower = followers[0]
    assert follower.locator("#tour-next").count() == 0
    follower.keyboard.press("ArrowRight")
    status = follower.evaluate(
        """async (room) => {
            const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const r = await fetch(`/follow/${room}/state/`, {method: "POST", headers: {"X-CSRFToken": token},
                                  body: JSON.stringify({tour: "control-plane", step: 1})});
            return r.status;
        }""",
        room,
    )
    assert status == 403
    expect(followers[1].locator("#tour")).to_have_attribute("data-step", "3")

    late = browser.new_context().new_page()
    late.goto(f"{server.url}/follow/{room}/")
    expect(late.locator("#tour")).to_have_attribute("data-step", "3")


def test_try_it_runs_the_simulator_and_offers_the_next_step_only_after_the_effect(server, page):
    page.goto(f"{server.url}/tours/node-failure/2/")
    next_link = page.locator("#tour-next")
    expect(next_link).to_have_attribute("aria-disabled", "true")
    page.keyboard.press("ArrowRight")  # not yet: the node has not failed
    expect(page.locator("#tour")).to_have_attribute("data-step", "2")
    status = page.evaluate(
        """async () => {
            const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const r = await fetch("/api/sim/", {method: "POST", body: JSON.stringify({action: "speed", value: 100}),
                headers: {"Content-Type": "application/json", "X-CSRFToken": token}});
            return r.status;
        }"""
    )
    assert status == 200
    page.click("#try-it")
    expect(page.locator("#try-status")).to_contain_text("NodeNotReady", timeout=10_000)
    node = page.locator('[id="node/worker-1"]')
    expect(node).to_have_class(re.compile(r"\bhealth-error\b"))
    expect(node).to_have_class(re.compile(r"\btour-focus\b"))
    expect(next_link).not_to_have_attribute("aria-disabled", "true")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tour")).to_have_attribute("data-step", "3")

    # Back on the step with the node still down: its effect is already there, so the step does not stall.
    page.goto(f"{server.url}/tours/node-failure/2/")
    expect(page.locator("#try-status")).to_contain_text("worker-1 is already NotReady")
    expect(page.locator("#tour-next")).not_to_have_attribute("aria-disabled", "true")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tour")).to_have_attribute("data-step", "3")


@pytest.mark.parametrize("slug", list(load_tours()))
def test_every_step_fits_the_projector_panel_in_both_languages(server, browser, slug):
    for language in LANGUAGES:
        context = browser.new_context(
            viewport={"width": 1024, "height": 768}, extra_http_headers={"Accept-Language": language}
        )
        page = context.new_page()
        for step in load_tours()[slug].steps:
            page.goto(f"{server.url}/tours/{slug}/{step.number}/?projector=1")
            expect(page.locator("#tour-title")).to_be_visible()
            inner = page.locator("#tour").evaluate("el => el.scrollHeight - el.clientHeight")
            assert inner <= 0, f"{slug} step {step.number} ({language}): the panel scrolls by {inner}px"
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_service_tour_is_walked_with_its_node_dying_and_coming_back(server, browser, language):
    tour = load_tours()["service-traffic"]
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, extra_http_headers={"Accept-Language": language}
    )
    page = context.new_page()
    server.sim({"action": "speed", "value": 100})
    page.goto(f"{server.url}/tours/{tour.slug}/1/")
    for step in tour.steps:
        expect(page.locator("#tour-title")).to_have_text(step.text(language)["title"])
        expect(page.locator("#diagram .tour-focus").first).to_be_attached()
        if step.key == "node-down":
            expect(page.locator("#tour-next")).to_have_attribute("aria-disabled", "true")
            page.click("#try-it")
            expect(page.locator("#try-status")).to_contain_text("NodeNotReady", timeout=15_000)
            # Its endpoints leave the rotation: no route of the Service reaches a pod on worker-2 any more.
            expect(page.locator('[id="node/worker-2"]')).to_have_class(re.compile(r"\bhealth-error\b"))
            expect(page.locator('[id="kube-proxy/worker-2"]')).to_have_class(re.compile(r"\btour-focus\b"))
        if step.key == "out-of-rotation":
            stale = page.locator('[id="edge:kube-proxy/worker-2>service/default/web:programs"]')
            expect(stale).to_contain_text(re.compile("stale rules|规则已过期"), timeout=10_000)
        if step.key == "node-up":
            page.click("#try-it")
            expect(page.locator("#try-status")).to_contain_text("NodeReady", timeout=15_000)
            expect(page.locator('[id="node/worker-2"]')).to_have_class(re.compile(r"\bhealth-ok\b"))
            break
        page.keyboard.press("ArrowRight")
        expect(page).to_have_url(f"{server.url}/tours/{tour.slug}/{step.number + 1}/")
    server.sim({"action": "speed", "value": 1})
    context.close()
