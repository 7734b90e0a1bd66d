"""Scenario files: loading with line numbers, validating, scaling to N nodes, and the built-ins.

A scenario is a YAML mapping (the format is documented in docs/scenarios.md).
Every error names the file, the line and what is wrong, because a teacher
editing a scenario before class should not have to read a traceback.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, cast

import yaml

__all__ = [
    "ACTIONS",
    "DEFAULT_KUBERNETES_VERSION",
    "KUBERNETES_VERSIONS",
    "SCENARIOS",
    "Scenario",
    "ScenarioError",
    "get_scenario",
    "load_scenario",
    "parse_cpu",
    "parse_memory",
    "parse_version",
    "scale_scenario",
    "with_version",
]

SCENARIO_DIR = Path(__file__).parent

# Timeline actions and the keys each needs (besides `at` and `action`).
ACTIONS: dict[str, tuple[str, ...]] = {
    "node-down": ("node",),
    "node-up": ("node",),
    "cordon": ("node",),
    "uncordon": ("node",),
    "stop": ("component",),
    "start": ("component",),
    "scale": ("replicas",),  # and `deployment` or `statefulset`
    "set-image": ("image",),  # and `deployment` or `daemonset`
    "force-delete": ("pod",),
    "out-of-service": ("node",),
    "in-service": ("node",),
}
# The workload an action names, by action: one of these keys, written namespace/name.
ACTION_TARGETS = {"scale": ("deployment", "statefulset"), "set-image": ("deployment", "daemonset")}
WORKLOAD_KINDS = ("Deployment", "DaemonSet", "StatefulSet", "Pod")
# The Kubernetes release a scenario follows when it declares none: its defaults and its messages' wording.
DEFAULT_KUBERNETES_VERSION = "v1.34"
# The releases whose behaviour the simulator knows: older ones are refused rather than shown wrongly.
OLDEST_MINOR, NEWEST_MINOR = 25, 36
# The releases a scenario may declare, newest first (the page's picker offers them).
KUBERNETES_VERSIONS = tuple(f"v1.{minor}" for minor in range(NEWEST_MINOR, OLDEST_MINOR - 1, -1))
_VERSION = re.compile(r"^v?1\.(\d{1,3})(?:\.(\d{1,3}))?$")


class ScenarioError(ValueError):
    """A scenario file is malformed; the message names the file, the line and what is wrong."""


class _Map(dict[str, Any]):
    line = 0


class _List(list[Any]):
    line = 0


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings and sequences remember the line they start on."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    result = _Map(cast("dict[str, Any]", loader.construct_mapping(node, deep=True)))
    result.line = node.start_mark.line + 1
    return result


def _construct_list(loader: _LineLoader, node: yaml.SequenceNode) -> _List:
    result = _List(loader.construct_sequence(node, deep=True))
    result.line = node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_list)


_CPU = re.compile(r"^(\d+(\.\d+)?)(m?)$")
_MEMORY = re.compile(r"^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti)?$")
_MEMORY_UNITS = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024 * 1024}


def parse_cpu(value: Any) -> int:
    """'250m' -> 250, '2' -> 2000 (millicores). ValueError on anything else."""
    match = _CPU.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a CPU quantity such as 250m or 2")
    number = float(match.group(1))
    return int(number) if match.group(3) else int(number * 1000)


def parse_memory(value: Any) -> int:
    """'128Mi' -> 128, '8Gi' -> 8192 (mebibytes); a bare number is bytes."""
    match = _MEMORY.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a memory quantity such as 128Mi or 8Gi")
    number, unit = float(match.group(1)), match.group(3)
    if unit is None:
        return int(number) // (1024 * 1024)
    return int(number * _MEMORY_UNITS[unit])


def parse_version(value: Any) -> tuple[int, int, int]:
    """'v1.34' -> (1, 34, 0), 'v1.31.2' -> (1, 31, 2); ValueError with a clear message otherwise."""
    match = _VERSION.match(value) if isinstance(value, str) else None
    minor = int(match.group(1)) if match else -1
    if match is None or not OLDEST_MINOR <= minor <= NEWEST_MINOR:
        raise ValueError(
            f"kubernetesVersion is a release from v1.{OLDEST_MINOR} to v1.{NEWEST_MINOR} such as "
            f"{DEFAULT_KUBERNETES_VERSION} or v1.31.2, not {value!r}"
        )
    return (1, minor, int(match.group(2) or 0))


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    data: dict[str, Any]
    file: str = "<scenario>"

    @property
    def version(self) -> tuple[int, int, int]:
        """The Kubernetes release the scenario follows (`kubernetesVersion`, or the default)."""
        return parse_version(self.data.get("kubernetesVersion", DEFAULT_KUBERNETES_VERSION))


class _Checker:
    """Walks a loaded scenario and raises ScenarioError at the first thing wrong."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, where: Any, message: str) -> NoReturn:
        line = getattr(where, "line", 0)
        raise ScenarioError(f"{self.file}, line {line}: {message}" if line else f"{self.file}: {message}")

    def mapping(self, value: Any, parent: Any, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(value if hasattr(value, "line") else parent, f"{what} must be a mapping")
        return value

    def sequence(self, value: Any, parent: Any, what: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(parent, f"{what} must be a list")
        return value

    def text(self, item: dict[str, Any], key: str, what: str) -> str:
        value = item.get(key)
        if not isinstance(value, str) or not value:
            self.fail(item, f"{what} needs '{key}' (a non-empty string)")
        return value

    def number(self, item: dict[str, Any], key: str, what: str, default: float | None = None) -> float:
        value = item.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            self.fail(item, f"{what}: '{key}' must be a number of at least 0, not {value!r}")
        return float(value)

    def quantity(self, item: dict[str, Any], key: str, parse: Any, default: str) -> None:
        try:
            parse(item.get(key, default))
        except ValueError as error:
            self.fail(item, f"'{key}': {error}")

    def check(self, data: Any) -> None:
        if not isinstance(data, dict) or "cluster" not in data:
            self.fail(data, "a scenario is a mapping with at least a 'cluster' key")
        cluster = self.mapping(data["cluster"], data, "'cluster'")
        if "kubernetesVersion" in data:
            try:
                parse_version(data["kubernetesVersion"])
            except ValueError as error:
                self.fail(data, str(error))
        names: set[str] = set()
        for key, role in (("controlPlane", "control-plane node"), ("nodes", "node")):
            for spec in self.sequence(cluster.get(key), cluster, f"'cluster.{key}'"):
                spec = self.mapping(spec, cluster, f"each {role}")
                name = self.text(spec, "name", f"a {role}")
                if name in names:
                    self.fail(spec, f"node {name!r} is defined twice")
                names.add(name)
                self.quantity(spec, "cpu", parse_cpu, "4")
                self.quantity(spec, "memory", parse_memory, "8Gi")
                for taint in self.sequence(spec.get("taints"), spec, "'taints'"):
                    taint = self.mapping(taint, spec, "a taint")
                    self.text(taint, "key", "a taint")
                    if taint.get("effect") not in {"NoSchedule", "PreferNoSchedule", "NoExecute"}:
                        self.fail(taint, "a taint's effect is NoSchedule, PreferNoSchedule or NoExecute")
        if not names:
            self.fail(cluster, "the cluster needs at least one node")
        classes = set()
        for spec in self.sequence(data.get("storageClasses"), data, "'storageClasses'"):
            spec = self.mapping(spec, data, "a storage class")
            classes.add(self.text(spec, "name", "a storage class"))
            self.text(spec, "provisioner", "a storage class")
            if spec.get("bindingMode", "WaitForFirstConsumer") not in {"Immediate", "WaitForFirstConsumer"}:
                self.fail(spec, "bindingMode is Immediate or WaitForFirstConsumer")
        for key, what in (("volumes", "a volume"), ("claims", "a claim")):
            for spec in self.sequence(data.get(key), data, f"'{key}'"):
                spec = self.mapping(spec, data, what)
                self.text(spec, "name", what)
                if key == "claims":
                    self.text(spec, "namespace", what)
                sc = self.text(spec, "storageClass", what)
                if sc not in classes:
                    self.fail(spec, f"{what} names storage class {sc!r}, which the scenario does not define")
                self.quantity(spec, "size", parse_memory, "1Gi")
        for spec in self.sequence(data.get("services"), data, "'services'"):
            spec = self.mapping(spec, data, "a service")
            self.text(spec, "name", "a service")
            self.text(spec, "namespace", "a service")
            if spec.get("type", "ClusterIP") not in {"ClusterIP", "NodePort", "LoadBalancer"}:
                self.fail(spec, "a service's type is ClusterIP, NodePort or LoadBalancer")
            if not isinstance(spec.get("selector", {}), dict):
                self.fail(spec, "'selector' must be a mapping of label to value")
            for port in self.sequence(spec.get("ports"), spec, "'ports'"):
                port = self.mapping(port, spec, "a port")
                value = port.get("port")
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
                    self.fail(port, f"a port's 'port' is a number from 1 to 65535, not {value!r}")
        targets: dict[str, set[str]] = {"deployment": set(), "daemonset": set(), "statefulset": set()}
        for spec in self.sequence(data.get("workloads"), data, "'workloads'"):
            spec = self.mapping(spec, data, "a workload")
            kind = spec.get("kind", "Deployment")
            if kind not in WORKLOAD_KINDS:
                self.fail(spec, f"a workload's kind is {', '.join(WORKLOAD_KINDS)}, not {kind!r}")
            name = self.text(spec, "name", "a workload")
            self.text(spec, "namespace", "a workload")
            self.text(spec, "image", "a workload")
            self.number(spec, "at", "a workload", 0)
            if kind in {"Deployment", "StatefulSet"}:
                self.number(spec, "replicas", f"a {kind}")
            if kind != "Pod":
                targets[kind.lower()].add(f"{spec['namespace']}/{name}")
            if not isinstance(spec.get("labels", {}), dict):
                self.fail(spec, "'labels' must be a mapping of label to value")
            for template in self.sequence(spec.get("volumeClaimTemplates"), spec, "'volumeClaimTemplates'"):
                template = self.mapping(template, spec, "a volume claim template")
                self.text(template, "name", "a volume claim template")
                sc = self.text(template, "storageClass", "a volume claim template")
                if sc not in classes:
                    self.fail(template, f"a volume claim template names storage class {sc!r}, which the scenario lacks")
                self.quantity(template, "size", parse_memory, "1Gi")
            self.quantity(spec, "cpu", parse_cpu, "100m")
            self.quantity(spec, "memory", parse_memory, "128Mi")
            if not isinstance(spec.get("nodeSelector", {}), dict):
                self.fail(spec, "'nodeSelector' must be a mapping of label to value")
            for toleration in self.sequence(spec.get("tolerations"), spec, "'tolerations'"):
                toleration = self.mapping(toleration, spec, "a toleration")
        for entry in self.sequence(data.get("timeline"), data, "'timeline'"):
            entry = self.mapping(entry, data, "a timeline entry")
            self.number(entry, "at", "a timeline entry")
            action = entry.get("action")
            if action not in ACTIONS:
                self.fail(entry, f"unknown action {action!r}; actions: {', '.join(ACTIONS)}")
            for key in ACTIONS[action]:
                if key not in entry:
                    self.fail(entry, f"the {action} action needs '{key}'")
            if "node" in ACTIONS[action] and entry["node"] not in names:
                self.fail(entry, f"the {action} action names node {entry['node']!r}, which the scenario lacks")
            if action in ACTION_TARGETS:
                named = [key for key in ACTION_TARGETS[action] if key in entry]
                if len(named) != 1:
                    self.fail(entry, f"the {action} action names one of {' or '.join(ACTION_TARGETS[action])}")
                if entry[named[0]] not in targets[named[0]]:
                    self.fail(entry, f"unknown {named[0]} {entry[named[0]]!r} (write it namespace/name)")


def load_scenario(path: Path) -> Scenario:
    """Read and check a scenario file; ScenarioError names the file, the line and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read it ({error.strerror})") from None
    return parse_scenario(text, path.name, default_name=path.stem)


def parse_scenario(text: str, file: str, default_name: str = "scenario") -> Scenario:
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{file}, line {mark.line + 1}" if mark else file
        raise ScenarioError(f"{where}: not valid YAML ({getattr(error, 'problem', error)})") from None
    _Checker(file).check(data)
    return Scenario(
        name=str(data.get("name", default_name)),
        description=str(data.get("description", "")).strip(),
        data=data,
        file=file,
    )


def scale_scenario(scenario: Scenario, nodes: int) -> Scenario:
    """The scenario with N worker nodes (its specs repeated in turn) and its workloads grown in proportion."""
    if nodes <= 0:
        return scenario
    data = copy.deepcopy(scenario.data)
    workers = data["cluster"].get("nodes") or []
    if not workers:
        raise ScenarioError(f"{scenario.file}: the scenario has no worker nodes to scale")
    factor = nodes / len(workers)
    template_names = [w["name"] for w in workers]
    scaled = []
    for i in range(nodes):
        spec = dict(workers[i % len(workers)])
        spec["name"] = template_names[i] if i < len(workers) else f"worker-{i + 1}"
        scaled.append(spec)
    data["cluster"]["nodes"] = scaled
    for workload in data.get("workloads") or []:
        if workload.get("kind", "Deployment") == "Deployment" and workload.get("namespace") != "kube-system":
            workload["replicas"] = max(1, math.ceil(int(workload["replicas"]) * factor))
    return Scenario(scenario.name, scenario.description, data, scenario.file)


def _builtins() -> dict[str, Scenario]:
    return {p.stem: load_scenario(p) for p in sorted(SCENARIO_DIR.glob("*.yaml"))}


SCENARIOS: dict[str, Scenario] = _builtins()


def with_version(scenario: Scenario, version: str) -> Scenario:
    """The scenario following another Kubernetes release (a teacher showing what changed)."""
    try:
        parse_version(version)
    except ValueError as error:
        raise ScenarioError(str(error)) from None
    data = {**scenario.data, "kubernetesVersion": version}
    return Scenario(scenario.name, scenario.description, data, scenario.file)


def get_scenario(name: str, nodes: int = 0, version: str | None = None) -> Scenario:
    try:
        scenario = SCENARIOS[name]
    except KeyError:
        known = ", ".join(SCENARIOS)
        raise ScenarioError(f"unknown scenario {name!r}; built-in scenarios: {known}") from None
    scenario = scale_scenario(scenario, nodes)
    return scenario if version is None else with_version(scenario, version)
