"""The model's caps on text: what every source passes through (explorer.model.limits)."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.model import ChangeType, ClusterState, Component, ComponentChange, Event, Health
from explorer.model.changes import cap_change, cap_state
from explorer.model.limits import (
    DETAIL_DEPTH,
    DETAIL_ITEMS,
    DETAIL_LIMIT,
    TEXT_LIMIT,
    cap_component,
    cap_detail,
    cap_text,
)
from explorer.model.state import parent_cycle

T = "2026-01-01T09:00:00.000Z"
MEGABYTE = "x" * 1_000_000


def test_text_past_the_limit_is_cut_with_an_ellipsis_and_fit_text_is_kept_as_it_is():
    assert cap_text(MEGABYTE) == "x" * (TEXT_LIMIT - 1) + "…"
    fit = "a line\nand a tab\tand 🦄"
    assert cap_text(fit) is fit
    assert cap_text(cap_text(MEGABYTE)) == cap_text(MEGABYTE)


def test_characters_that_utf8_or_xml_cannot_carry_become_replacement_characters():
    assert cap_text("nul\x00 bell\x07 lone\ud800 ffff\uffff") == "nul\ufffd bell\ufffd lone\ufffd ffff\ufffd"
    assert cap_text("tab\t lf\n cr\r") == "tab\t lf\n cr\r"  # a message may span lines


def test_an_event_is_capped_where_it_is_built():
    event = Event(MEGABYTE, MEGABYTE + "\x00", MEGABYTE, T, MEGABYTE)
    assert {len(event.reason), len(event.message), len(event.involved), len(event.severity)} == {TEXT_LIMIT}
    assert "\x00" not in event.message
    small = Event("Pulled", "Successfully pulled", "pod/default/a", T)
    assert small.message == "Successfully pulled"
    assert json.loads(json.dumps(event.to_message(1)))["message"] == event.message


def test_a_component_keeps_4_kb_of_each_text_and_its_detail_keeps_a_bounded_total():
    detail = {
        "why": MEGABYTE,
        "images": ["img"] * (DETAIL_ITEMS * 4),
        "labels": {f"label-{i}": "v" * 1000 for i in range(200)},
        "deep": [[[[[[[[[[["bottom"]]]]]]]]]]],
    }
    c = Component("pod/default/" + MEGABYTE, "pod", MEGABYTE, MEGABYTE, Health.OK, "default", "node/a", detail)
    capped = cap_component(c)
    assert len(capped.id) == len(capped.name) == len(capped.status) == TEXT_LIMIT
    assert len(capped.detail["why"]) == TEXT_LIMIT
    assert len(capped.detail["images"]) == DETAIL_ITEMS
    assert capped.detail["images"][-1].endswith("more")
    assert len(json.dumps(capped.detail, ensure_ascii=False)) < DETAIL_LIMIT + 20 * DETAIL_ITEMS
    assert cap_component(capped) == capped


def test_components_and_changes_already_within_the_caps_come_back_as_themselves():
    c = Component("node/a", "node", "a", "Ready", Health.OK, detail={"labels": {"zone": "a"}, "pods": 3})
    assert cap_component(c) is c
    change = ComponentChange(ChangeType.UPDATED, c, T)
    assert cap_change(change) is change
    state = ClusterState([c])
    assert cap_state(state) is state


def test_the_hub_path_caps_a_change_and_a_first_state():
    big = Component("pod/default/a", "pod", "a", MEGABYTE, Health.ERROR, "default", detail={"why": MEGABYTE})
    change = cap_change(ComponentChange(ChangeType.ADDED, big, MEGABYTE))
    assert len(change.component.status) == len(change.component.detail["why"]) == len(change.time) == TEXT_LIMIT
    state = ClusterState([big], cluster=MEGABYTE)
    state.health_since["pod/default/a"] = T
    capped = cap_state(state)
    assert len(capped.cluster) == TEXT_LIMIT
    assert len(capped.components["pod/default/a"].status) == TEXT_LIMIT
    assert capped.health_since == {"pod/default/a": T}


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.just("y" * 5000),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=10), children, max_size=6),
    max_leaves=40,
)


@settings(max_examples=60, deadline=None)
@given(detail=st.dictionaries(st.text(max_size=10), _json, max_size=8), depth=st.integers(0, 12))
def test_any_detail_ends_within_the_caps_and_capping_again_changes_nothing(detail, depth):
    for _ in range(depth):
        detail = {"nested": [detail]}
    capped = cap_detail(detail)
    assert cap_detail(capped) is capped

    def walk(value, level):
        if isinstance(value, str):
            assert len(value) <= TEXT_LIMIT
            return len(value)
        if isinstance(value, dict | list):
            assert level < DETAIL_DEPTH
            assert len(value) <= DETAIL_ITEMS
            items = [*value, *value.values()] if isinstance(value, dict) else value
            return sum(walk(item, level + 1) for item in items)
        return 0

    assert walk(capped, 0) <= DETAIL_LIMIT


def test_a_parent_cycle_is_found_from_any_component_on_it_and_only_there():
    parents = {"node/a": "pod/x/b", "pod/x/b": "node/a", "pod/x/c": "node/a", "node/d": None, "pod/x/e": "node/d"}
    assert parent_cycle(parents, "node/a") == ["node/a", "pod/x/b", "node/a"]
    assert parent_cycle(parents, "pod/x/c") is None  # it leads into the loop, but the loop is not its own
    assert parent_cycle(parents, "pod/x/e") is None
    assert parent_cycle({"node/a": "node/a"}, "node/a") == ["node/a", "node/a"]
