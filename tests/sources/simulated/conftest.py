"""Helpers for the simulation's tests: build an engine from a few lines of scenario YAML."""

from __future__ import annotations

import textwrap

from explorer.model import ComponentChange, Event
from explorer.sources.simulated import Engine
from explorer.sources.simulated.scenarios import parse_scenario

CLUSTER = """
cluster:
  name: test
  controlPlane:
    - {name: cp-1, cpu: 2000m, memory: 4Gi}
  nodes:
    - {name: worker-1, cpu: 4000m, memory: 8Gi}
    - {name: worker-2, cpu: 4000m, memory: 8Gi}
    - {name: worker-3, cpu: 4000m, memory: 8Gi}
"""


def make_engine(body: str, seed: int = 1, cluster: str = CLUSTER) -> Engine:
    text = textwrap.dedent(cluster) + textwrap.dedent(body)
    return Engine(parse_scenario(text, "test.yaml"), seed)


def events(changes, reason=None, involved=None):
    return [
        c
        for c in changes
        if isinstance(c, Event) and (reason is None or c.reason == reason) and (involved in (None, c.involved))
    ]


def statuses(changes, cid):
    return [c.component.status for c in changes if isinstance(c, ComponentChange) and c.component.id == cid]


def pods(engine, prefix=""):
    return [c for c in engine.state().of_kind("pod") if c.name.startswith(prefix)]
