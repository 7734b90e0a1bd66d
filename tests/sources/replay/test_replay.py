"""ReplaySource: a recording plays back as it happened, scaled by the speed; a bad one names its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from explorer.model import ChangeType, ComponentChange, Event
from explorer.sources.base import SourceError
from explorer.sources.factory import build_source
from explorer.sources.replay import ReplaySource
from explorer.sources.simulated import Engine, get_scenario


class incident:
    def __init__(self, seconds: float):
        self.engine = Engine(get_scenario("steady-state"), seed=3)
        self.initial = self.engine.state()
        self.stream = self.engine.run_until(10.0)
        self.stream += self.engine.command({"action": "node-down", "node": "worker-1"})
        self.stream += self.engine.run_until(seconds)


def simulated_recording(path: Path, seconds: float = 120.0) -> Path:
    """A real change stream: a node dies in the simulated cluster; its snapshot then messages, as recorded."""
    engine = incident(seconds)
    lines = [{"type": "snapshot", "seq": 0, **engine.initial.to_dict()}]
    lines += [change.to_message(seq) for seq, change in enumerate(engine.stream, start=1)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


async def test_a_recording_plays_back_in_order_with_its_gaps_divided_by_the_speed(tmp_path):
    recording = simulated_recording(tmp_path / "incident.jsonl")
    messages = [json.loads(line) for line in recording.read_text().splitlines()[1:]]
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    source = ReplaySource(str(recording), speed=4.0, sleep=sleep)
    state = await source.start()
    assert state.source == "replay"
    played = [change async for batch in source.changes() for change in batch]

    assert [c.to_message(i + 1) for i, c in enumerate(played)] == [{**m, "seq": i + 1} for i, m in enumerate(messages)]
    times = sorted({m["time"] for m in messages})
    assert len(pauses) == len(times) - 1
    from datetime import datetime

    first, last = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (times[0], times[-1]))
    assert sum(pauses) == pytest.approx((last - first).total_seconds() / 4.0)


async def test_the_replayed_state_ends_where_the_recording_ended(tmp_path):
    recording = simulated_recording(tmp_path / "incident.jsonl")
    engine = incident(120.0).engine

    async def no_wait(_: float) -> None:
        return None

    source = ReplaySource(str(recording), speed=100.0, sleep=no_wait)
    state = await source.start()
    from explorer.model.changes import apply_in_place

    async for batch in source.changes():
        for change in batch:
            apply_in_place(state, change)
    assert state == engine.state()
    assert any(isinstance(c, Event) for _, c in source._changes)
    assert any(isinstance(c, ComponentChange) and c.type is ChangeType.UPDATED for _, c in source._changes)


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
    call_command("runexplorer", source="replay", file=str(recording), speed=100.0, record=copy)
    original = [json.loads(x) for x in recording.read_text().splitlines()]
    again = [json.loads(x) for x in copy.read_text().splitlines()]
    assert again[0]["type"] == "snapshot"
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
