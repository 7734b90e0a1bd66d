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


def test_every_process_shares_one_migrated_database_so_rooms_work_across_workers(compose):
    # Presenter rooms, their tokens and sessions live in the database: a follower on
    # web-2 must find the room a presenter opened on web-1.
    dockerfile = (ROOT / "Dockerfile").read_text()
    database_dir = "/var/lib/explorer"
    assert f"EXPLORER_DB_PATH={database_dir}/" in dockerfile
    volumes = {name: s.get("volumes") for name, s in app_services(compose).items()}
    assert all(v == [f"explorer-data:{database_dir}"] for v in volumes.values()), volumes
    assert "explorer-data" in compose["volumes"]
    assert compose["services"]["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    for name, service in app_services(compose).items():
        if name != "migrate":
            assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
