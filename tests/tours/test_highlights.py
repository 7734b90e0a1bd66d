"""Every tour step's highlight names something its view actually draws in the simulated cluster."""

import xml.etree.ElementTree as ET

import pytest

from explorer.diagrams import DiagramRenderer
from explorer.tours import load_tours

SVG = "{http://www.w3.org/2000/svg}"
STEPS = [(slug, step) for slug, tour in load_tours().items() for step in tour.steps]


@pytest.fixture(scope="module")
def drawn():
    from explorer.sources.simulated import Engine, get_scenario

    engine = Engine(get_scenario("steady-state"), seed=1)
    engine.run_until(120)
    renderer = DiagramRenderer()
    cache: dict[str, list[tuple[str, set[str]]]] = {}

    state = engine.state()

    def on_node(element_id: str) -> set[str]:
        # What the page finds inside a node's frame (`kind:pod@worker-1`): the components it runs.
        c = state.components.get(element_id)
        return {f"on-{c.parent.split('/', 1)[1]}"} if c is not None and c.parent else set()

    def elements(view: str) -> list[tuple[str, set[str]]]:
        if view not in cache:
            root = ET.fromstring(renderer.svg(state, view).encode())
            cache[view] = [
                (g.get("id", ""), set(g.get("class", "").split()) | on_node(g.get("id", "")))
                for g in root.iter(f"{SVG}g")
            ]
        return cache[view]

    return elements


def matches(selector: str, element_id: str, classes: set[str]) -> bool:
    if selector.startswith("kind:"):
        kind, _, node = selector[5:].partition("@")
        return "component" in classes and f"kind-{kind}" in classes and (not node or f"on-{node}" in classes)
    if selector.startswith("edge:"):
        return "edge" in classes and f"kind-{selector[5:]}" in classes
    return element_id == selector


@pytest.mark.parametrize(("slug", "step"), STEPS, ids=[f"{slug}-{step.key}" for slug, step in STEPS])
def test_each_highlight_finds_something_to_light_up(drawn, slug, step):
    elements = drawn(step.view)
    lit = [s for s in step.highlight if any(matches(s, i, c) for i, c in elements)]
    assert lit or not step.highlight, f"{slug}/{step.key}: nothing of {step.highlight} is drawn in {step.view}"
    # A kind may be absent from this cluster on purpose (no cloud-controller-manager on its
    # own machines); a component named by its id must be there.
    for selector in step.highlight:
        if not selector.startswith(("kind:", "edge:")):
            assert selector in lit, f"{slug}/{step.key}: {selector} is not in {step.view}"
    for reason, selectors in step.animate.items():
        for selector in selectors:
            assert any(matches(selector, i, c) for i, c in elements), f"{slug}/{step.key}: animate {reason} {selector}"
