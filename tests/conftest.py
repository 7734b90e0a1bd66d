"""Shared fixtures: a fresh explorer runtime per test, and a real server plus chromium for browser tests."""

from __future__ import annotations

import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from channels.layers import channel_layers

from explorer.live.runtime import reset_runtime
from explorer.sources.simulated import Engine, get_scenario

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def engine() -> Engine:
    return Engine(get_scenario("steady-state"), seed=7)


@pytest.fixture
async def fresh_runtime(settings):
    """Each async test gets its own hub and in-memory layer, bound to its own event loop."""
    settings.EXPLORER_SPEED = 100.0
    await reset_runtime()
    channel_layers.backends.clear()
    yield
    await reset_runtime()
    channel_layers.backends.clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ASGI_APP = "explorer.asgi:application"


class ServerProcess:
    """A real daphne serving the explorer, as `make run` does, on a free loopback port."""

    def __init__(
        self, env: dict[str, str] | None = None, database: Path | None = None, daphne_args: tuple[str, ...] = ()
    ):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "explorer.settings", **(env or {})}
        if database is not None:
            self.env["EXPLORER_DB_PATH"] = str(database)
            self.manage("migrate", "--noinput", "-v0")
        full_env = self.env
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), *daphne_args, ASGI_APP],
            cwd=ROOT,
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait_ready()

    def state(self) -> dict[str, Any]:
        """The snapshot, as `/api/state.json` serves it."""
        with urllib.request.urlopen(f"{self.url}/api/state.json", timeout=10) as response:
            return json.loads(response.read())

    def sim(self, payload: dict[str, object]) -> dict[str, object]:
        """POST a simulation command as a script would: the csrftoken cookie and its X-CSRFToken header."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(f"{self.url}/api/sim/", timeout=10).read()
        token = next(c.value for c in jar if c.name == "csrftoken")
        request = urllib.request.Request(
            f"{self.url}/api/sim/",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        with opener.open(request, timeout=10) as response:
            return json.loads(response.read())

    def manage(self, *args: str) -> str:
        """Run a management command against this server's database and settings."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not become ready in 30 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="session")
def _shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(database=tmp_path_factory.mktemp("server") / "explorer.sqlite3")
    yield process
    process.stop()


@pytest.fixture
def server(_shared_server: ServerProcess) -> ServerProcess:
    """One real server for the browser tests, its simulation put back to the start before each test."""
    _shared_server.sim({"action": "resume"})
    _shared_server.sim({"action": "speed", "value": 1})
    _shared_server.sim({"action": "scenario", "name": "steady-state"})
    return _shared_server


@pytest.fixture(scope="module")
def browser():
    # Module scope, not session: Playwright's sync API keeps an event loop
    # running while it is open, which the async tests of other modules need free.
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def console_errors(page) -> list[str]:
    """What the page logs as an error or throws (a script the Content-Security-Policy refused shows up here)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def artifacts() -> Path:
    """Where browser tests leave screenshots for people to look at (not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
