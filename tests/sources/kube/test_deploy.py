"""deploy/: the RBAC grants reading only, on exactly what the source reads."""

from __future__ import annotations

from pathlib import Path

import yaml

from explorer.sources.kube.client import COLLECTIONS

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
READ_VERBS = {"get", "list", "watch"}


def documents() -> list[dict]:
    return [d for f in sorted(DEPLOY.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]


def rules() -> list[tuple[str, str | None, dict]]:
    return [
        (d["kind"], d["metadata"].get("namespace"), rule)
        for d in documents()
        if d["kind"] in ("ClusterRole", "Role")
        for rule in d["rules"]
    ]


def test_no_rule_grants_a_write_verb():
    verbs = {verb for _, _, rule in rules() for verb in rule["verbs"]}
    assert verbs <= READ_VERBS
    assert "*" not in verbs


def test_the_grants_are_exactly_the_collections_the_source_reads():
    granted = set()
    for kind, namespace, rule in rules():
        assert set(rule["verbs"]) == READ_VERBS or "nonResourceURLs" in rule
        for group in rule.get("apiGroups", []):
            for resource in rule["resources"]:
                granted.add((group, resource, namespace if kind == "Role" else None))
    used = {(c.group, c.resource, c.namespace) for c in COLLECTIONS.values()}
    assert granted == used


def test_the_health_endpoints_are_the_only_non_resource_urls_and_are_only_read():
    urls = [(rule["nonResourceURLs"], rule["verbs"]) for _, _, rule in rules() if "nonResourceURLs" in rule]
    assert urls == [(["/livez", "/readyz"], ["get"])]


def test_every_binding_names_the_explorer_service_account_and_the_deployment_uses_it():
    docs = documents()
    for binding in (d for d in docs if d["kind"] in ("ClusterRoleBinding", "RoleBinding")):
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "explorer", "namespace": "explorer"}]
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "explorer"
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert env["EXPLORER_SOURCE"] == "kube"
    assert any(d["kind"] == "Service" for d in docs)


def cpu_millicores(quantity: str) -> float:
    return float(quantity[:-1]) if quantity.endswith("m") else float(quantity) * 1000


def test_the_explorer_asks_for_cpu_and_is_held_to_a_limit():
    deployment = next(d for d in documents() if d["kind"] == "Deployment")
    resources = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]
    request, limit = resources["requests"]["cpu"], resources["limits"]["cpu"]
    assert 0 < cpu_millicores(request) <= cpu_millicores(limit)
    assert {"cpu", "memory"} <= resources["requests"].keys() & resources["limits"].keys()
