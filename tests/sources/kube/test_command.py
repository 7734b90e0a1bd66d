"""`runexplorer --source kube`: clear errors on the command line, and a recording that replays."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from explorer.sources.replay import read_recording
from tests.sources.kube.apiserver import FakeApiServer, load
from tests.sources.kube.test_source import seed_kind_cluster

ROOT = Path(__file__).resolve().parents[3]


def runexplorer(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "explorer.settings"}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    return subprocess.Popen(
        [sys.executable, "manage.py", "runexplorer", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_missing_kubeconfig_is_one_line_on_the_command_line_not_a_traceback(tmp_path):
    process = runexplorer("--source", "kube", "--kubeconfig", str(tmp_path / "nowhere"))
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "no kubeconfig at" in err
    assert "Traceback" not in err


def test_a_forbidden_collection_is_named_on_the_command_line(tmp_path):
    api = FakeApiServer()
    try:
        seed_kind_cluster(api)
        api.forbidden.add("pods")
        process = runexplorer("--source", "kube", "--kubeconfig", str(api.kubeconfig(tmp_path / "config")))
        _, err = process.communicate(timeout=60)
    finally:
        api.stop()
    assert process.returncode == 1
    assert "list pods at the cluster scope" in err
    assert "Traceback" not in err


def test_recording_a_cluster_gives_a_file_the_replay_source_plays(tmp_path):
    api = FakeApiServer()
    record = tmp_path / "cluster.jsonl"
    try:
        seed_kind_cluster(api)
        process = runexplorer(
            "--source", "kube", "--kubeconfig", str(api.kubeconfig(tmp_path / "config")), "--record", str(record)
        )
        deadline = time.monotonic() + 60
        while api.watching("pods") == 0 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        oom = load("pods/pod-failed-oomkilled.json")[0]
        api.emit("pods", "ADDED", oom)
        while "OOMKilled" not in (record.read_text() if record.exists() else "") and time.monotonic() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        api.stop()
    assert "hub stopped" in out, err
    lines = [json.loads(x) for x in record.read_text().splitlines()]
    assert lines[0]["type"] == "snapshot"
    assert any(m.get("component", {}).get("status") == "OOMKilled" for m in lines[1:])
    state, changes = read_recording(record)
    assert "apiserver/kind-control-plane" in state.components
    assert changes
