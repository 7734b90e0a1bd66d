"""Hub processes for the web tests, forked from one that has already imported what a hub imports.

Every scaled-out web test runs its own `manage.py runexplorer` with the test's
settings. Started from scratch, a hub spends most of its first second importing
Django, Channels, the kubernetes client and Graphviz's wrapper; two hundred tests
pay that two hundred times. The fork server imports them once, settings-free (a
hub's settings come from its environment, which differs per test), and each
request forks a child that takes the test's environment, sets Django up and runs
the real `runexplorer` command: the same code path as a hub started by hand.

Run as `python -m tests.hub_forks`: one JSON request per stdin line
(`{"env", "args", "log"}`), one line back with the child's pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0


class ForkedHub:
    """One hub process forked by the server; `stop()` kills it."""

    def __init__(self, pid: int, log: Path) -> None:
        self.pid = pid
        self.log = log

    def wait_until_running(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            text = self.output()
            if "hub running" in text:
                return
            if not self.alive():
                raise RuntimeError(f"the hub did not start: {text[-2000:]}")
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"the hub did not start in {START_TIMEOUT:.0f} s: {self.output()[-2000:]}")

    def output(self) -> str:
        with contextlib.suppress(FileNotFoundError):
            return self.log.read_text(errors="replace")
        return ""

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        # The fork server reaps its children (SIGCHLD ignored), so the pid goes once the hub has died.
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.log.unlink(missing_ok=True)


class HubForkServer:
    """The fork server as a child of the test session."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.count = 0
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.hub_forks"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        )

    def start(self, env: dict[str, str], *args: str) -> ForkedHub:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.count += 1
        log = self.logs / f"hub-{self.count}.log"
        request = {"env": {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "explorer.settings"}, "args": args}
        self.process.stdin.write(json.dumps({**request, "log": str(log)}) + "\n")
        self.process.stdin.flush()
        hub = ForkedHub(int(self.process.stdout.readline()), log)
        hub.wait_until_running()
        return hub

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=10)


def _serve() -> None:
    # What every hub imports, loaded once; nothing here reads the settings.
    import channels.layers  # noqa: F401
    import channels_redis.core  # noqa: F401
    import daphne.server  # noqa: F401
    import django  # noqa: F401
    import graphviz  # noqa: F401
    import kubernetes.client  # noqa: F401
    import redis  # noqa: F401
    import yaml  # noqa: F401
    from django.core import management  # noqa: F401

    import explorer.live.service
    import explorer.sources.kube.source
    import explorer.sources.replay.source
    import explorer.sources.simulated.engine  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _run_hub(request)
        print(pid, flush=True)


def _run_hub(request: dict[str, object]) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    code = 1
    try:
        os.environ.clear()
        os.environ.update(request["env"])  # type: ignore[arg-type]
        out = os.open(str(request["log"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        from django.core.management import execute_from_command_line

        execute_from_command_line(["manage.py", "runexplorer", *request["args"]])  # type: ignore[misc]
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    _serve()
