"""The one-command deployment: the compose file wires redis, the hub and two web workers as the README says."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def app_services(compose):
    return {name: s for name, s in compose["services"].items() if name != "redis"}


def test_the_compose_file_runs_redis_a_hub_and_two_web_workers(compose):
    services = compose["services"]
    assert "redis-server" in services["redis"]["command"]
    assert services["hub"]["command"][-2:] == ["manage.py", "runexplorer"]
    web = [name for name, s in services.items() if "daphne" in s.get("command", [])]
    assert len(web) == 2
    for name in web:
        assert services[name]["command"][-1] == "explorer.asgi:application"
    published = [services[name]["ports"][0].split(":")[0] for name in web]
    assert len(set(published)) == 2, "each web worker needs its own host port"


def test_every_explorer_process_reaches_the_same_redis_once_it_is_healthy(compose):
    assert "healthcheck" in compose["services"]["redis"]
    for name, service in app_services(compose).items():
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0", name
        assert service["depends_on"]["redis"]["condition"] == "service_healthy", name
        assert service["build"] == "."


def test_the_image_holds_graphviz_the_requirements_and_serves_asgi():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#")
    assert "\nFROM python:3.11" in dockerfile
    assert "graphviz" in dockerfile
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert 'CMD ["daphne"' in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored
    assert ".git" in ignored


def compose_client():
    """`docker compose` (v2) when present, else Debian's `docker-compose`, which `make test` installs."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy is None:
        pytest.fail("no compose client: `make test` installs Debian's docker-compose")
    return [legacy]


def test_docker_compose_accepts_the_file():
    result = subprocess.run([*compose_client(), "config", "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
