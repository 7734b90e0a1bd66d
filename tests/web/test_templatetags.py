"""The controls' filters: the speed picker offers the speed in use and labels speeds as people write them."""

import pytest

from explorer.web.templatetags.explorer_controls import speed_label, with_speed

SPEEDS = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0]


@pytest.mark.parametrize("current", [20, 20.0, "20", 33.333, 0.01, 10000.0])
def test_the_speed_in_use_is_among_the_options_in_order(current):
    options = with_speed(SPEEDS, current)
    assert float(current) in options
    assert options == sorted(options)
    assert set(SPEEDS) <= set(options)


def test_a_speed_already_offered_is_not_offered_twice():
    assert with_speed(SPEEDS, 10.0) == SPEEDS
    assert with_speed(SPEEDS, None) == SPEEDS


@pytest.mark.parametrize(
    ("speed", "label"), [(0.25, "0.25×"), (0.5, "0.5×"), (1.0, "1×"), (20.0, "20×"), (33.333, "33.333×"), (100, "100×")]
)
def test_a_speed_is_labelled_as_it_is(speed, label):
    assert speed_label(speed) == label


def test_health_checks_put_each_endpoints_failing_checks_first():
    from explorer.web.templatetags.explorer_controls import health_checks

    groups = health_checks(
        {"livez": {"ping": "ok"}, "readyz": {"ping": "ok", "etcd": "failed: no leader", "log": "ok", "x": "failed"}}
    )
    assert [g["endpoint"] for g in groups] == ["/readyz", "/livez"]
    assert [(r["name"], r["ok"]) for r in groups[0]["checks"]] == [
        ("etcd", False),
        ("x", False),
        ("ping", True),
        ("log", True),
    ]
    assert (groups[0]["failing"], groups[1]["failing"]) == (2, 0)
    assert health_checks(None) == []
    assert health_checks({"readyz": {}}) == []


def test_a_plugin_name_may_break_at_its_humps_and_stays_escaped():
    from explorer.web.templatetags.explorer_controls import camel_breaks

    assert camel_breaks("NodeResourcesBalancedAllocation") == "Node<wbr>Resources<wbr>Balanced<wbr>Allocation"
    assert camel_breaks("<b>EvilPlugin</b>") == "&lt;b&gt;Evil<wbr>Plugin&lt;/b&gt;"
