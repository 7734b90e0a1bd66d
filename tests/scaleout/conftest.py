"""A scaled-out explorer from real parts: redis-server, a hub process and two daphne web workers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from tests.conftest import ROOT, ServerProcess, _free_port


class RedisServer:
    """Debian's redis-server on a free loopback port, without persistence: a restart comes back empty."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is missing: `make test` installs Debian's redis-server")
        self.binary = binary
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not answer in 15 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class HubProcess:
    """`manage.py runexplorer` against the test's Redis."""

    def __init__(self, redis_url: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.env = {**os.environ, **(env or {}), "DJANGO_SETTINGS_MODULE": "explorer.settings", "REDIS_URL": redis_url}
        self.args = args
        self.process: subprocess.Popen[str] | None = None
        # A file, not a pipe: a log nobody reads must never block the hub.
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives as long as the process
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runexplorer", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "hub running" not in line:
            self.process.kill()
            raise RuntimeError(f"the hub did not start: {line}{self.stderr()[-2000:]}")

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self) -> tuple[int, str]:
        """SIGTERM, as a container runtime stops it; the exit code and what it printed."""
        assert self.process is not None
        self.process.terminate()
        out, _ = self.process.communicate(timeout=15)
        return self.process.returncode, out

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def hub(redis_server: RedisServer) -> Iterator[HubProcess]:
    process = HubProcess(redis_server.url, "--speed", "100", "--seed", "3")
    yield process
    process.stop()


@pytest.fixture
def workers(redis_server: RedisServer, hub: HubProcess, tmp_path) -> Iterator[list[ServerProcess]]:
    # One database for both, as the compose file shares it: a room opened on one is found on the other.
    database = tmp_path / "explorer.sqlite3"
    env = {"REDIS_URL": redis_server.url, "EXPLORER_DB_PATH": str(database)}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "explorer.settings", **env},
        check=True,
    )
    with ThreadPoolExecutor(2) as pool:  # side by side: each takes seconds to boot
        started = list(pool.map(lambda _: ServerProcess(env=env), range(2)))
    yield started
    for worker in started:
        worker.stop()
