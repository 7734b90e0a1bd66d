"""ReplaySource: a recording waits at its snapshot, plays on its own clock, and is steered like the simulation.

A bad recording names its line; a seek sends the difference as ordinary changes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from explorer.hub import Hub, MemoryStateStore
from explorer.model import ChangeType, ClusterState, ComponentChange, Event
from explorer.model.changes import apply_in_place
from explorer.sources.base import CommandError as SourceCommandError
from explorer.sources.base import SourceError
from explorer.sources.factory import build_source
from explorer.sources.replay import ReplaySource, load_recording
from explorer.sources.replay.source import LOOP_HOLD
from explorer.sources.simulated import Engine, get_scenario

ROOT = Path(__file__).resolve().parents[3]
NODE_DOWN_AT = 10.0


class incident:
    """worker-1 dies at 10 s in the simulated cluster; the engine as it stands `seconds` in."""

    def __init__(self, seconds: float):
        self.engine = Engine(get_scenario("steady-state"), seed=3)
        self.initial = self.engine.state()
        self.start = self.engine.timestamp()
        self.stream = self.engine.run_until(min(seconds, NODE_DOWN_AT))
        if seconds >= NODE_DOWN_AT:
            self.stream += self.engine.command({"action": "node-down", "node": "worker-1"})
            self.stream += self.engine.run_until(seconds)


def simulated_recording(path: Path, seconds: float = 120.0, with_time: bool = True) -> Path:
    """A real change stream, as `runexplorer --record` writes it: the snapshot (and when), then the messages."""
    run = incident(seconds)
    snapshot: dict[str, Any] = {"type": "snapshot", "seq": 0, **run.initial.to_dict()}
    if with_time:
        snapshot["time"] = run.start
    lines = [snapshot, *(change.to_message(seq) for seq, change in enumerate(run.stream, start=1))]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def settle(source: ReplaySource | None = None) -> None:
    """Let the pacer run (woken, when a fake clock moved)."""
    if source is not None:
        source._wake.set()
    for _ in range(20):
        await asyncio.sleep(0)


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Whether `condition` came true within `seconds` of real time."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return True
        await asyncio.sleep(0.01)
    return condition()


def sent(source: ReplaySource) -> list[Any]:
    """Every change the source has handed out since the last call."""
    changes = []
    while not source._out.empty():
        batch = source._out.get_nowait()
        assert batch is not None
        changes.extend(batch)
    return changes


def applied(state: ClusterState, changes: list[Any]) -> ClusterState:
    state = state.copy()
    for change in changes:
        apply_in_place(state, change)
    return state


async def test_a_replay_waits_paused_at_its_snapshot_until_someone_presses_play(tmp_path):
    recording = simulated_recording(tmp_path / "incident.jsonl")
    source = ReplaySource(str(recording), speed=10000.0)
    state = await source.start()
    await asyncio.sleep(0.05)
    assert sent(source) == []
    status = source.status()
    assert status["kind"] == "replay"
    assert (status["paused"], status["clock"], status["played"], status["ended"]) == (True, 0.0, 0, False)
    assert status["time"] == incident(0).start
    # The recording's clock runs to its last change: the node's NotReady, 50 s and more after it died.
    assert status["duration"] == load_recording(recording).offsets[-1] > NODE_DOWN_AT + 40

    await source.command({"action": "resume"})
    assert await until(lambda: source.status()["ended"])
    assert applied(state, sent(source)) == incident(120.0).engine.state()
    assert source.status()["paused"] is True
    await source.close()


async def test_autoplay_plays_the_recording_in_order_and_exit_at_end_ends_the_stream(tmp_path):
    recording = simulated_recording(tmp_path / "incident.jsonl")
    messages = [json.loads(line) for line in recording.read_text().splitlines()[1:]]
    source = ReplaySource(str(recording), speed=10000.0, autoplay=True, exit_at_end=True)
    state = await source.start()
    assert state.source == "replay"
    played = [change async for batch in source.changes() for change in batch]
    assert [c.to_message(i + 1) for i, c in enumerate(played)] == [{**m, "seq": i + 1} for i, m in enumerate(messages)]
    assert any(isinstance(c, Event) for c in played)
    assert any(isinstance(c, ComponentChange) and c.type is ChangeType.UPDATED for c in played)


async def test_the_changes_come_as_the_recordings_clock_reaches_them_divided_by_the_speed(tmp_path):
    recording = simulated_recording(tmp_path / "incident.jsonl")
    offsets = load_recording(recording).offsets
    clock = FakeClock()
    source = ReplaySource(str(recording), speed=4.0, monotonic=clock)
    await source.start()
    await source.command({"action": "resume"})
    await settle(source)
    assert len(sent(source)) == sum(1 for o in offsets if o <= 0)
    clock.now += 10.0  # 40 s of the recording at 4x
    await settle(source)
    assert len(sent(source)) == sum(1 for o in offsets if 0 < o <= 40.0)
    assert source.status()["clock"] == pytest.approx(40.0)
    await source.command({"action": "pause"})
    clock.now += 100.0
    await settle(source)
    assert sent(source) == []
    assert source.status()["clock"] == pytest.approx(40.0)
    await source.close()


async def test_step_plays_the_next_moment_of_the_recording_and_stays_paused(tmp_path):
    recording = simulated_recording(tmp_path / "incident.jsonl")
    loaded = load_recording(recording)
    source = ReplaySource(str(recording), monotonic=FakeClock())
    await source.start()
    status = await source.command({"action": "step"})
    first = [c for (_, c), o in zip(loaded.changes, loaded.offsets, strict=True) if o == loaded.offsets[0]]
    assert sent(source) == first
    assert status["paused"] is True
    status = await source.command({"action": "step"})
    moment = loaded.offsets[len(first)]
    assert status["clock"] == pytest.approx(moment)
    assert all(loaded.offsets[i] == moment for i in range(len(first), status["played"]))
    await source.close()


async def hub_with(source: ReplaySource) -> tuple[Hub, list[dict[str, Any]], asyncio.Task[None]]:
    published: list[dict[str, Any]] = []

    async def publish(messages: list[dict[str, Any]]) -> None:
        published.extend(messages)

    hub = Hub(source, MemoryStateStore(), publish)
    await hub.start()
    return hub, published, asyncio.create_task(hub.forward())


async def test_seeking_back_rebuilds_the_state_there_and_sends_it_as_numbered_changes(tmp_path):
    recording = simulated_recording(tmp_path / "incident.jsonl")
    source = ReplaySource(str(recording), speed=10000.0)
    hub, published, forwarding = await hub_with(source)
    await source.command({"action": "seek", "to": 120})
    await settle()
    assert hub.state == incident(120.0).engine.state()
    assert hub.state.components["node/worker-1"].status == "NotReady"
    before = len(published)

    status = await source.command({"action": "seek", "to": 5.5})
    await settle()
    assert status["clock"] == 5.5
    assert hub.state == incident(5.5).engine.state()
    assert hub.state.components["node/worker-1"].status == "Ready"
    sent_back = published[before:]
    assert sent_back, "a seek back sends what differs"
    assert {m["type"] for m in sent_back} <= {"added", "updated", "removed"}
    assert {m["time"] for m in sent_back} == {status["time"]}
    assert [m["seq"] for m in published] == list(range(1, len(published) + 1))
    assert status["jumps"] == 2

    # Playing on from there, the node dies again.
    await source.command({"action": "resume"})
    assert await until(lambda: hub.state.components["node/worker-1"].status == "NotReady")
    forwarding.cancel()
    await source.close()


async def test_seeking_by_a_time_on_the_recordings_clock_and_rewinding_to_the_snapshot(tmp_path):
    recording = simulated_recording(tmp_path / "incident.jsonl")
    source = ReplaySource(str(recording), speed=10000.0)
    hub, published, forwarding = await hub_with(source)
    snapshot = hub.state.copy()
    target = incident(0).engine.timestamp(30.0)
    status = await source.command({"action": "seek", "time": target})
    await settle()
    assert status["time"] == target
    assert hub.state == incident(30.0).engine.state()
    status = await source.command({"action": "reset"})
    await settle()
    assert (status["clock"], status["played"]) == (0.0, 0)
    assert hub.state == snapshot
    assert [m["seq"] for m in published] == list(range(1, len(published) + 1))
    forwarding.cancel()
    await source.close()


async def test_a_looping_replay_holds_its_end_then_starts_again(tmp_path):
    recording = simulated_recording(tmp_path / "incident.jsonl")
    loaded = load_recording(recording)
    offsets = loaded.offsets
    clock = FakeClock()
    source = ReplaySource(str(recording), speed=100.0, monotonic=clock)
    state = await source.start()
    status = await source.command({"action": "loop", "value": "true"})
    assert status["loop"] is True
    await source.command({"action": "resume"})
    clock.now += 2.0  # 200 s: past the end
    await settle(source)
    assert source.status()["ended"] is True
    end_state = applied(state, sent(source))
    clock.now += LOOP_HOLD
    await settle(source)
    status = source.status()
    assert status["jumps"] == 1
    assert status["paused"] is False
    assert status["played"] == sum(1 for o in offsets if o <= 0)
    # Back at the start: the difference, then the first moment again.
    first_moment = [c for (_, c), o in zip(loaded.changes, offsets, strict=True) if o <= 0]
    assert applied(end_state, sent(source)) == applied(state, first_moment)
    await source.command({"action": "loop", "value": False})
    assert source.status()["loop"] is False
    await source.close()


async def test_the_status_marks_the_recordings_events_on_its_clock(tmp_path):
    recording = simulated_recording(tmp_path / "incident.jsonl")
    source = ReplaySource(str(recording))
    await source.start()
    marks = source.status()["marks"]
    not_ready = [m for m in marks if m["reason"] == "NodeNotReady" and m["involved"] == "node/worker-1"]
    assert not_ready
    assert NODE_DOWN_AT + 40 <= not_ready[0]["at"] <= NODE_DOWN_AT + 60
    assert 0 <= not_ready[0]["percent"] <= 100
    assert not_ready[0]["clock"] == "{:02d}:{:02d}".format(*divmod(int(not_ready[0]["at"]), 60))
    await source.close()


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"action": "seek"}, 'seek needs "to"'),
        ({"action": "seek", "to": "soon"}, 'seek needs "to"'),
        ({"action": "seek", "time": "yesterday"}, "not an ISO-8601 time"),
        ({"action": "speed", "value": 0}, "speed must be from"),
        ({"action": "loop", "value": "perhaps"}, "true or false"),
        ({"action": "scenario", "name": "node-failure"}, "the replay takes these actions"),
    ],
)
async def test_a_malformed_command_is_refused_with_a_reason(tmp_path, payload, words):
    source = ReplaySource(str(simulated_recording(tmp_path / "incident.jsonl", seconds=20.0)))
    await source.start()
    with pytest.raises(SourceCommandError, match=words):
        await source.command(payload)
    await source.close()


def test_an_older_recording_without_its_start_time_begins_at_its_first_component_change(tmp_path):
    recording = load_recording(simulated_recording(tmp_path / "old.jsonl", with_time=False))
    first_change = next(when for when, c in recording.changes if isinstance(c, ComponentChange))
    assert recording.start == first_change
    assert recording.offsets == sorted(recording.offsets)


def test_a_real_clusters_opening_events_play_at_the_start_not_hours_before_it(tmp_path):
    """A kube recording opens with the cluster's newest events, which happened before the recording began."""
    path = tmp_path / "kube.jsonl"
    lines = [
        {"type": "snapshot", "seq": 0, "components": [], "time": "2026-03-01T10:00:00Z"},
        {"type": "event", "seq": 1, "time": "2026-03-01T08:00:00Z", "reason": "Old", "message": "m", "involved": "x"},
        {"type": "event", "seq": 2, "time": "2026-03-01T09:59:00Z", "reason": "Old", "message": "m", "involved": "x"},
        {"type": "event", "seq": 3, "time": "2026-03-01T10:00:05Z", "reason": "New", "message": "m", "involved": "x"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert load_recording(path).offsets == [0.0, 0.0, 5.0]


@pytest.mark.parametrize(
    ("lines", "line", "words"),
    [
        (['{"type": "updated"}'], 1, "first line must be a snapshot"),
        (["SNAPSHOT", "not json"], 2, "not JSON"),
        (["SNAPSHOT", '{"type": "exploded", "time": "2026-01-01T00:00:00Z"}'], 2, "unknown change type"),
        (["SNAPSHOT", "", '{"type": "event", "time": "2026-01-01T00:00:00Z", "reason": "X"}'], 3, "message string"),
        (
            ["SNAPSHOT", '{"type": "event", "time": "yesterday", "reason": "X", "message": "m", "involved": "x/y"}'],
            2,
            "",
        ),
        (["SNAPSHOT", "SNAPSHOT"], 2, "one snapshot"),
        (['{"type": "snapshot", "components": [], "time": "2026-01-01T00:00:00"}'], 1, "no time zone"),
    ],
)
async def test_a_malformed_recording_is_rejected_with_its_line_number(tmp_path, lines, line, words):
    snapshot = json.dumps({"type": "snapshot", "seq": 0, "components": [], "edges": []})
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(snapshot if x == "SNAPSHOT" else x for x in lines) + "\n")
    with pytest.raises(SourceError) as error:
        await build_source("replay", file=str(path)).start()
    assert f"bad.jsonl line {line}:" in str(error.value)
    assert words in str(error.value)


def test_a_missing_recording_or_a_missing_file_option_is_said_plainly(tmp_path):
    with pytest.raises(SourceError, match="needs a recording"):
        build_source("replay", file="")


async def test_a_recording_that_is_not_there_is_named(tmp_path):
    with pytest.raises(SourceError, match="no recording at"):
        await build_source("replay", file=str(tmp_path / "nope.jsonl")).start()


def test_runexplorer_rejects_a_malformed_recording_without_a_traceback(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"type": "snapshot", "seq": 0, "components": []}\n{"type": 7}\n')
    with pytest.raises(CommandError, match=r"bad\.jsonl line 2"):
        call_command("runexplorer", source="replay", file=str(path))


def test_runexplorer_replays_a_recording_and_can_record_it_again(tmp_path):
    recording = simulated_recording(tmp_path / "incident.jsonl", seconds=60.0)
    copy = tmp_path / "copy.jsonl"
    call_command(
        "runexplorer", source="replay", file=str(recording), speed=100.0, autoplay=True, exit_at_end=True, record=copy
    )
    original = [json.loads(x) for x in recording.read_text().splitlines()]
    again = [json.loads(x) for x in copy.read_text().splitlines()]
    assert again[0]["type"] == "snapshot"
    # On the replay's own clock (autoplay may have moved it a few milliseconds), not the wall's.
    began = [datetime.fromisoformat(m[0]["time"].replace("Z", "+00:00")) for m in (again, original)]
    assert abs((began[0] - began[1]).total_seconds()) < 1
    assert sorted(c["id"] for c in again[0]["components"]) == sorted(c["id"] for c in original[0]["components"])
    assert [m["seq"] for m in again[1:]] == list(range(1, len(original)))
    assert [{k: v for k, v in m.items() if k != "seq"} for m in again[1:]] == [
        {k: v for k, v in m.items() if k != "seq"} for m in original[1:]
    ]


def _component(cid: str, parent: str | None) -> dict:
    kind, _, name = cid.partition("/")
    return {"id": cid, "kind": kind, "name": name, "parent": parent, "status": "Ready", "health": "ok"}


async def test_a_recording_whose_components_are_each_others_parents_is_rejected_with_the_line(tmp_path):
    # Whatever walks up from a component to the one drawn for it (the page's ?focus=) would never stop.
    looped = [_component("node/a", "node/b"), _component("node/b", "node/a"), _component("pod/x/p", "node/a")]
    path = tmp_path / "looped.jsonl"
    path.write_text(json.dumps({"type": "snapshot", "seq": 0, "components": looped}) + "\n")
    with pytest.raises(SourceError, match=r"looped\.jsonl line 1: components are each other's parents") as error:
        await build_source("replay", file=str(path)).start()
    assert "'node/a' -> 'node/b' -> 'node/a'" in str(error.value)

    fine = [_component("node/a", None), _component("pod/x/p", "node/a")]
    change = {"type": "updated", "seq": 1, "time": "2026-01-01T09:00:00Z", "component": _component("node/a", "pod/x/p")}
    path = tmp_path / "later.jsonl"
    snapshot = json.dumps({"type": "snapshot", "seq": 0, "components": fine})
    path.write_text(f"{snapshot}\n\n{json.dumps(change)}\n")
    with pytest.raises(SourceError, match=r"later\.jsonl line 3: components are each other's parents"):
        await build_source("replay", file=str(path)).start()

    self_parent = {**change, "component": _component("pod/x/p", "pod/x/p")}
    path.write_text(f"{snapshot}\n{json.dumps(self_parent)}\n")
    with pytest.raises(SourceError, match="line 2: components are each other's parents"):
        await build_source("replay", file=str(path)).start()


async def test_a_component_removed_from_a_recording_no_longer_counts_as_a_parent(tmp_path):
    fine = [_component("node/a", None), _component("pod/x/p", "node/a")]
    removed = {"type": "removed", "seq": 1, "time": "2026-01-01T09:00:00Z", "component": _component("pod/x/p", None)}
    readded = {**removed, "type": "added", "component": _component("node/a", "pod/x/p")}
    path = tmp_path / "fine.jsonl"
    snapshot = json.dumps({"type": "snapshot", "seq": 0, "components": fine})
    path.write_text(f"{snapshot}\n{json.dumps(removed)}\n{json.dumps(readded)}\n")
    state = await build_source("replay", file=str(path)).start()
    assert set(state.components) == {"node/a", "pod/x/p"}


def test_the_recording_writes_its_snapshot_line_at_once_before_any_change(tmp_path):
    """A paused replay sends nothing: the record file must hold its snapshot all the same."""
    recording = simulated_recording(tmp_path / "incident.jsonl", seconds=20.0)
    record = tmp_path / "record.jsonl"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "explorer.settings"}
    args = ["runexplorer", "--source", "replay", "--file", str(recording), "--record", str(record)]
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (record.exists() and record.read_text().endswith("\n")) and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.1)
        lines = record.read_text().splitlines()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert len(lines) == 1
    snapshot = json.loads(lines[0])
    assert snapshot["type"] == "snapshot"
    assert snapshot["time"] == incident(0).start
