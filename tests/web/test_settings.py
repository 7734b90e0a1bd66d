"""Settings for a site others reach: never the built-in key, TLS-only cookies over HTTPS, `check --deploy` clean."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import AsyncClient

from explorer.config import BUILTIN_SECRET_KEY, is_loopback_host, secret_key

ROOT = Path(__file__).resolve().parents[2]

# The production environment the README documents (Security: "Serving it beyond a laptop").
PRODUCTION = {
    "DJANGO_ALLOWED_HOSTS": "explorer.example.org",
    "DJANGO_HTTPS": "true",
    "DJANGO_BEHIND_PROXY": "true",
}


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EXPLORER_"))}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "explorer.settings", **env},
        capture_output=True,
        text=True,
    )


def settings_of(names: list[str], **env: str) -> dict[str, object]:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    )
    done = run("-c", code, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("[::1]", True),
        ("explorer.localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.10", False),
        ("*", False),
        (".example.org", False),
        ("localhost.example.org", False),
    ],
)
def test_which_hosts_are_this_machine_alone(host, loopback):
    assert is_loopback_host(host) is loopback


def test_a_laptop_runs_with_the_built_in_key(tmp_path):
    assert secret_key("", tmp_path / "key", local=True) == BUILTIN_SECRET_KEY
    assert not (tmp_path / "key").exists()


def test_a_site_others_reach_generates_a_key_once_and_keeps_it_beside_the_database(tmp_path):
    key_file = tmp_path / "explorer-secret-key"
    first = secret_key("", key_file, local=False)
    assert len(first) >= 50
    assert first != BUILTIN_SECRET_KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert secret_key("", key_file, local=False) == first
    assert list(tmp_path.iterdir()) == [key_file]


def test_a_site_others_reach_refuses_the_built_in_key_and_a_key_it_cannot_keep(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="built-in local key"):
        secret_key(BUILTIN_SECRET_KEY, tmp_path / "key", local=False)
    with pytest.raises(ImproperlyConfigured, match="set DJANGO_SECRET_KEY"):
        secret_key("", tmp_path / "missing-directory" / "key", local=False)
    assert secret_key("a-key-of-my-own", tmp_path / "key", local=False) == "a-key-of-my-own"


def test_the_site_does_not_start_with_the_built_in_key_beyond_loopback(tmp_path):
    done = run(
        "manage.py",
        "check",
        DJANGO_ALLOWED_HOSTS="explorer.lan",
        DJANGO_SECRET_KEY=BUILTIN_SECRET_KEY,
        EXPLORER_DB_PATH=str(tmp_path / "db.sqlite3"),
    )
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY is the built-in local key" in done.stderr


def test_every_process_sharing_the_database_shares_the_generated_key(tmp_path):
    env = {"DJANGO_ALLOWED_HOSTS": "explorer.lan", "EXPLORER_DB_PATH": str(tmp_path / "db.sqlite3")}
    first = settings_of(["SECRET_KEY"], **env)["SECRET_KEY"]
    assert first == settings_of(["SECRET_KEY"], **env)["SECRET_KEY"]
    assert (tmp_path / "explorer-secret-key").read_text().strip() == first


def test_over_https_cookies_go_over_tls_only_and_http_is_redirected_but_for_healthz(tmp_path):
    names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY"]
    names += ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER", "SECURE_REDIRECT_EXEMPT"]
    found = settings_of(names, **PRODUCTION, EXPLORER_DB_PATH=str(tmp_path / "db.sqlite3"))
    assert found == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "LANGUAGE_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_REDIRECT_EXEMPT": ["^healthz$"],
    }
    laptop = settings_of(["SESSION_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"])
    assert laptop == {"SESSION_COOKIE_SECURE": False, "SECURE_SSL_REDIRECT": False, "SECURE_HSTS_SECONDS": 0}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_runtime")
async def test_a_liveness_probe_over_plain_http_is_not_redirected(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    client = AsyncClient()
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/")).status_code == 301


def test_check_deploy_is_clean_for_the_documented_production_settings(tmp_path):
    done = run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        EXPLORER_DB_PATH=str(tmp_path / "db.sqlite3"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_warns_of_open_controls_beyond_loopback(tmp_path):
    done = run(
        "manage.py",
        "check",
        "--deploy",
        **PRODUCTION,
        EXPLORER_CONTROLS="open",
        EXPLORER_DB_PATH=str(tmp_path / "db.sqlite3"),
    )
    assert "explorer.W002" in done.stderr + done.stdout


def test_a_kubernetes_version_the_simulator_does_not_know_stops_the_start_with_its_name(tmp_path):
    done = run("manage.py", "check", EXPLORER_KUBERNETES_VERSION="v1.99", EXPLORER_DB_PATH=str(tmp_path / "db.sqlite3"))
    assert done.returncode != 0
    assert "EXPLORER_KUBERNETES_VERSION: kubernetesVersion is a release from v1.25 to v1.36" in done.stderr
    fine = run("manage.py", "check", EXPLORER_KUBERNETES_VERSION="v1.31", EXPLORER_DB_PATH=str(tmp_path / "db.sqlite3"))
    assert fine.returncode == 0, fine.stderr
