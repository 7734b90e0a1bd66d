"""Diagrams a room can read: every tour step frames its subject legibly on a 1024x768 projector, in both
languages, with no key pressed; the overview reads on a 1080p wall; the kiosk layout has no controls."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from explorer.tours import LANGUAGES, load_tours

pytestmark = pytest.mark.browser

# The highlighted components' own words (each <text> of a focused element), as the page lays them out.
FOCUSED_WORDS = """() => {
  const pane = document.getElementById("diagram").getBoundingClientRect();
  const words = [];
  for (const element of document.querySelectorAll("#diagram svg g.tour-focus:not(.edge)")) {
    for (const text of element.querySelectorAll(":scope > text")) {
      if (!text.textContent.trim()) continue;
      const r = text.getBoundingClientRect();
      words.push({id: element.id, text: text.textContent, height: r.height,
                  left: r.left, top: r.top, right: r.right, bottom: r.bottom});
    }
  }
  return {words, pane: {left: pane.left, top: pane.top, right: pane.right, bottom: pane.bottom},
          width: innerWidth, height: innerHeight};
}"""

# Every word of the diagram, for the wall screen.
ALL_WORDS = """() => [...document.querySelectorAll("#diagram svg text")]
  .filter((t) => t.textContent.trim())
  .map((t) => ({text: t.textContent, height: t.getBoundingClientRect().height}))"""

VIEWBOX = (
    "() => [document.querySelector('#diagram svg').getAttribute('viewBox'), "
    "document.querySelector('#diagram svg').dataset.fullBox]"
)


def settle(page) -> None:
    """The live stream has sent its snapshot (which redraws the diagram) and the framing has run."""
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.wait_for_timeout(250)


def outside(word: dict, box: dict) -> bool:
    return (
        word["left"] < box["left"] - 0.5
        or word["top"] < box["top"] - 0.5
        or word["right"] > box["right"] + 0.5
        or word["bottom"] > box["bottom"] + 0.5
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_tour_step_frames_its_subject_legibly_on_a_1024x768_projector(server, browser, artifacts, language):
    context = browser.new_context(
        viewport={"width": 1024, "height": 768},
        extra_http_headers={"Accept-Language": language},
        reduced_motion="reduce",  # the framing is instant then; animated, it ends in the same place
    )
    page = context.new_page()
    sizes: dict[str, float] = {}
    problems = []
    for slug, tour in load_tours().items():
        for step in tour.steps:
            page.goto(f"{server.url}/tours/{slug}/{step.number}/?projector=1")
            settle(page)
            found = page.evaluate(FOCUSED_WORDS)
            name = f"{slug} step {step.number} ({language})"
            assert found["words"], f"{name}: no highlighted words on screen"
            viewport = {"left": 0, "top": 0, "right": found["width"], "bottom": found["height"]}
            for word in found["words"]:
                if word["height"] < 14 - 0.01:  # layout is in fractions of a pixel: 13.99999 is 14
                    problems.append(f"{name}: {word['id']} {word['text']!r} is {word['height']:.1f}px tall")
                if outside(word, found["pane"]) or outside(word, viewport):
                    problems.append(f"{name}: {word['id']} {word['text']!r} is not fully on screen")
            smallest = min(word["height"] for word in found["words"])
            sizes[slug] = min(sizes.get(slug, smallest), smallest)
            page.screenshot(path=artifacts / f"tour-{language}-{slug}-{step.number}.png")
    (artifacts / f"tour-text-sizes-{language}.json").write_text(json.dumps(sizes, indent=1))
    (artifacts / f"tour-problems-{language}.txt").write_text("\n".join(problems))
    assert problems == []

    # Z shows the whole view, and Z again frames the step once more.
    page.goto(f"{server.url}/tours/worker-node/2/?projector=1")
    settle(page)
    framed, full = page.evaluate(VIEWBOX)
    assert framed != full
    page.keyboard.press("z")
    expect(page.locator("#tour-zoom")).to_have_attribute("aria-pressed", "true")
    shown, full = page.evaluate(VIEWBOX)
    assert [float(v) for v in shown.split()] == pytest.approx([float(v) for v in full.split()], abs=0.01)
    page.screenshot(path=artifacts / f"tour-{language}-whole-view.png")
    page.keyboard.press("z")
    assert page.evaluate(VIEWBOX)[0] == framed
    context.close()


def settled(server) -> None:
    """The default cluster as a wall shows it most of the time: every pod placed on a node."""
    server.sim({"action": "speed", "value": 25})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pods = [c for c in server.state()["components"] if c["kind"] == "pod"]
        if pods and all(c["parent"] for c in pods):
            break
        time.sleep(0.3)
    server.sim({"action": "speed", "value": 1})


@pytest.mark.parametrize("kiosk", [False, True], ids=["dashboard", "kiosk"])
def test_the_overview_reads_on_a_1080p_wall_screen(server, browser, artifacts, kiosk):
    settled(server)
    for language in LANGUAGES:
        context = browser.new_context(
            viewport={"width": 1920, "height": 1080}, extra_http_headers={"Accept-Language": language}
        )
        page = context.new_page()
        page.goto(f"{server.url}/{'?kiosk=1' if kiosk else ''}")
        settle(page)
        # The steady scenario replaces a pod now and then; while the new one waits for a node the
        # overview is a box wider. Judge the picture the wall shows most of the time.
        for _ in range(5):
            words = page.evaluate(ALL_WORDS)
            smallest = min(words, key=lambda w: w["height"])
            if smallest["height"] >= 12 - 0.01:
                break
            page.wait_for_timeout(2000)
        assert len(words) > 50
        assert smallest["height"] >= 12 - 0.01, f"{language}: {smallest['text']!r} is {smallest['height']:.1f}px tall"
        name = "kiosk" if kiosk else "dashboard"
        (artifacts / f"wall-{name}-{language}.json").write_text(json.dumps({"smallest": smallest}, ensure_ascii=False))
        page.screenshot(path=artifacts / f"wall-{name}-{language}.png")
        if kiosk:
            # Nothing to press, pick or type: a screen nobody touches.
            controls = page.locator("button, select, input, textarea, form, #sim-controls, .zoom, #timeline")
            assert controls.count() == 0
            expect(page.locator("#problems")).to_be_visible()
            # Both boxes in one go: the problems list is swapped whole whenever it refreshes.
            diagram, problems = page.evaluate(
                """() => ["#diagram", "#problems"].map((s) => {
                    const r = document.querySelector(s).getBoundingClientRect();
                    return {x: r.x, width: r.width, height: r.height};
                })"""
            )
            assert diagram["x"] < problems["x"], "the diagram comes first, the problems beside it"
            assert diagram["width"] * diagram["height"] > 0.6 * 1920 * 1080 * 0.8
        context.close()


def test_a_presenters_audience_sees_each_step_framed_the_same_way(server, browser):
    link = server.manage("presenter_token", "--base-url", server.url).strip()
    presenter = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    presenter.goto(link)
    room = presenter.url.split("room=")[1]
    follower = browser.new_context(viewport={"width": 1024, "height": 768}, reduced_motion="reduce").new_page()
    follower.goto(f"{server.url}/follow/{room}/?projector=1")
    settle(follower)
    first, full = follower.evaluate(VIEWBOX)
    assert first != full, "the follower's screen frames the step"
    presenter.keyboard.press("ArrowRight")
    expect(follower.locator("#tour")).to_have_attribute("data-step", "2")
    follower.wait_for_timeout(300)
    second, _ = follower.evaluate(VIEWBOX)
    assert second not in {first, full}, "the frame moved with the presenter"
    words = follower.evaluate(FOCUSED_WORDS)["words"]
    assert words
    assert min(w["height"] for w in words) >= 14 - 0.01
