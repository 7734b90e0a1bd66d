"""One version, said in pyproject.toml: the images' tags, the manifest and the README's commands follow it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def test_the_version_is_a_release_number_not_behind_the_changelog():
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)
    readme = (ROOT / "README.md").read_text()
    changelog = readme[readme.index("## Changelog") :]
    released = [as_tuple(v) for v in re.findall(r"^- (\d+\.\d+\.\d+) —", changelog, flags=re.MULTILINE)]
    assert released
    assert as_tuple(VERSION) >= max(released)


def test_the_in_cluster_manifest_runs_the_image_of_this_version():
    documents = [d for d in yaml.safe_load_all((ROOT / "deploy" / "explorer.yaml").read_text()) if d]
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    images = [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]]
    assert images == [f"kube-explorer:{VERSION}"]


def test_the_compose_file_tags_its_image_with_this_version():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    tags = {s["image"] for s in compose["services"].values() if "build" in s}
    assert tags == {f"kubernetes-architecture-explorer:{VERSION}"}


def test_every_image_tag_the_readme_and_the_dockerfile_name_is_this_version():
    for path in (ROOT / "README.md", ROOT / "deploy" / "Dockerfile", ROOT / "deploy" / "explorer.yaml"):
        tags = re.findall(r"kube-explorer:([0-9][\w.-]*)", path.read_text())
        assert tags, path
        assert set(tags) == {VERSION}, path


def test_the_readme_gets_the_image_into_the_cluster_before_applying_the_manifest():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("**Inside the cluster it shows.**") : readme.index("**Record and replay.**")]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    kind, registry = blocks
    for steps, delivery in ((kind, "kind load docker-image"), (registry, "docker push")):
        assert steps.index("docker build") < steps.index(delivery) < steps.index("deploy/explorer.yaml")
        assert "port-forward svc/explorer" in steps
    # The registry steps swap the manifest's image for the pushed one: the pattern must match its line.
    pattern = re.search(r'sed "s\|([^|]+)\|', registry).group(1)
    assert pattern in (ROOT / "deploy" / "explorer.yaml").read_text()
