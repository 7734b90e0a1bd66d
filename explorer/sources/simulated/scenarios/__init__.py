"""Built-in scenarios: YAML files beside this module, one per scenario."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["SCENARIOS", "Scenario", "ScenarioError", "get_scenario", "load_scenario"]

SCENARIO_DIR = Path(__file__).parent


class ScenarioError(ValueError):
    """A scenario file is malformed; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    data: dict[str, Any]


def load_scenario(path: Path) -> Scenario:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path.name}, line {mark.line + 1}" if mark else path.name
        raise ScenarioError(f"{where}: not valid YAML ({getattr(error, 'problem', error)})") from None
    if not isinstance(data, dict) or "cluster" not in data:
        raise ScenarioError(f"{path.name}: a scenario is a mapping with at least a 'cluster' key")
    return Scenario(name=str(data.get("name", path.stem)), description=str(data.get("description", "")), data=data)


def _builtins() -> dict[str, Scenario]:
    return {p.stem: load_scenario(p) for p in sorted(SCENARIO_DIR.glob("*.yaml"))}


SCENARIOS: dict[str, Scenario] = _builtins()


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(SCENARIOS)
        raise ScenarioError(f"unknown scenario {name!r}; built-in scenarios: {known}") from None
