"""Scenario files: an error names the file, the line and what is wrong."""

import pytest

from explorer.sources.simulated.scenarios import ScenarioError, load_scenario, parse_scenario

GOOD_CLUSTER = """cluster:
  nodes:
    - {name: worker-1}
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cluster: [\n", r"broken\.yaml, line 2: not valid YAML"),
        ("name: x\n", r"broken\.yaml, line 1: a scenario is a mapping with at least a 'cluster' key"),
        ("cluster:\n  nodes:\n    - {cpu: 2}\n", r"broken\.yaml, line 3: a node needs 'name'"),
        ("cluster:\n  nodes:\n    - {name: w, cpu: lots}\n", r"line 3: 'cpu': 'lots' is not a CPU quantity"),
        (
            GOOD_CLUSTER + "timeline:\n  - {at: 5, action: explode}\n",
            r"line 5: unknown action 'explode'; actions: node-down",
        ),
        (
            GOOD_CLUSTER + "timeline:\n  - {at: 5, action: node-down, node: worker-9}\n",
            r"line 5: the node-down action names node 'worker-9', which the scenario lacks",
        ),
        (
            GOOD_CLUSTER + "claims:\n  - {namespace: d, name: c, storageClass: gold}\n",
            r"line 5: a claim names storage class 'gold', which the scenario does not define",
        ),
        (
            GOOD_CLUSTER + "workloads:\n  - {namespace: d, name: w, image: x, replicas: -1}\n",
            r"line 5: a Deployment: 'replicas' must be a number of at least 0",
        ),
    ],
)
def test_a_broken_scenario_is_refused_with_file_line_and_reason(text, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(text, "broken.yaml")


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read it"):
        load_scenario(tmp_path / "nope.yaml")


def test_a_good_file_loads_with_its_name_and_description(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("description: A test.\n" + GOOD_CLUSTER)
    scenario = load_scenario(path)
    assert (scenario.name, scenario.description) == ("mine", "A test.")
