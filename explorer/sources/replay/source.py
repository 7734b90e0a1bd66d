"""ReplaySource: plays a JSONL recording on its own clock, and can be steered like the simulation.

A recording is what `runexplorer --record` writes: the first line a snapshot
message (with the `time` the recording began, when the recorder knew it), then
one WebSocket message object per line. The whole file is checked before
anything plays, so a malformed line is reported with its number.

The replay waits at the snapshot, paused, until someone presses play (or
starts at once with `autoplay`). Its position is a point on the recording's
own clock, seconds from the start. It answers `status()` and `command()` as
the simulated source does, so the page's controls and `/api/sim/` drive it:
pause, resume, step (the next moment of the recording), speed, seek, loop and
reset (back to the snapshot). A seek rebuilds the state at the target from the
snapshot (or, forwards, from where it stands) and sends the difference from
the state the clients have as ordinary changes, so `seq` only ever rises; the
events skipped over are not sent again.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from explorer.model import (
    Change,
    ChangeType,
    ClusterState,
    ComponentChange,
    Event,
    change_from_message,
    diff_states,
)
from explorer.model.changes import apply_in_place
from explorer.model.state import parent_cycle
from explorer.sources.base import CommandError, Outbox, Source, SourceError, SourceOptions

__all__ = ["MAX_MARKS", "MAX_SPEED", "MIN_SPEED", "Recording", "ReplaySource", "load_recording", "read_recording"]

MIN_SPEED, MAX_SPEED = 0.01, 10000.0
# How often the pacer looks at the clock when nothing is due (a speed change or a command wakes it at once).
IDLE_TICK = 1.0
# A looping replay holds its last state this long (wall seconds) before it starts again.
LOOP_HOLD = 3.0
# The recording's events shown on the seek slider; Warnings first when there are more.
MAX_MARKS = 120
ACTIONS = ["pause", "resume", "step", "speed", "seek", "loop", "reset"]
TRUE_WORDS, FALSE_WORDS = {"true", "1", "on", "yes"}, {"false", "0", "off", "no"}


def _parse_time(text: str) -> datetime:
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError(f"time {text!r} has no time zone")
    return when


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Recording:
    """A recording read and checked: its snapshot, its changes and where each falls on its clock."""

    state: ClusterState
    changes: list[tuple[datetime, Change]]
    start: datetime | None
    # Seconds from the start at which each change plays: never before the start, never before the one
    # above it (a recording of a real cluster opens with the newest events, which happened earlier).
    offsets: list[float]

    @property
    def duration(self) -> float:
        return self.offsets[-1] if self.offsets else 0.0


def load_recording(path: Path) -> Recording:
    """The recording at `path`; SourceError names the file and line of a fault."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise SourceError(f"no recording at {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(f"{path} cannot be read: {error}") from None
    state: ClusterState | None = None
    start: datetime | None = None
    changes: list[tuple[datetime, Change]] = []
    parents: dict[str, str | None] = {}  # to refuse components that are each other's parents
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            message = json.loads(line)
            if state is None:
                if not isinstance(message, dict) or message.get("type") != "snapshot":
                    raise ValueError('the first line must be a snapshot message ({"type": "snapshot", ...})')
                state = ClusterState.from_dict(message)
                parents = {cid: c.parent for cid, c in state.components.items()}
                for cid in sorted(parents):
                    _refuse_parent_cycle(parents, cid)
                if message.get("time") is not None:
                    if not isinstance(message["time"], str):
                        raise ValueError("the snapshot's time must be an ISO-8601 string")
                    start = _parse_time(message["time"])
                continue
            if isinstance(message, dict) and message.get("type") == "snapshot":
                raise ValueError("a recording holds one snapshot, on its first line")
            change = change_from_message(message)
            when = _parse_time(change.time)
            if isinstance(change, ComponentChange):
                if change.type is ChangeType.REMOVED:
                    parents.pop(change.component.id, None)
                else:
                    parents[change.component.id] = change.component.parent
                    _refuse_parent_cycle(parents, change.component.id)
        except json.JSONDecodeError as error:
            raise SourceError(f"{path} line {number}: not JSON ({error.msg})") from None
        except ValueError as error:
            raise SourceError(f"{path} line {number}: {error}") from None
        changes.append((when, change))
    if state is None:
        raise SourceError(f"{path} is empty: a recording starts with a snapshot line")
    if start is None and changes:
        # An older recording says not when it began: its first component change is the best guess.
        start = next((when for when, c in changes if isinstance(c, ComponentChange)), changes[0][0])
    offsets: list[float] = []
    latest = 0.0
    for when, _ in changes:
        assert start is not None
        latest = max(latest, (when - start).total_seconds())
        offsets.append(latest)
    state = ClusterState(state.components, cluster=state.cluster, source="replay")
    return Recording(state, changes, start, offsets)


def read_recording(path: Path) -> tuple[ClusterState, list[tuple[datetime, Change]]]:
    """The snapshot and the timed changes of a recording; SourceError names the file and line of a fault."""
    recording = load_recording(path)
    return recording.state, recording.changes


def _refuse_parent_cycle(parents: dict[str, str | None], component_id: str) -> None:
    cycle = parent_cycle(parents, component_id)
    if cycle is not None:
        shown = " -> ".join(repr(cid[:200]) for cid in cycle[:6]) + (" -> ..." if len(cycle) > 6 else "")
        raise ValueError(f"components are each other's parents ({shown}): parents must lead up to a node, not round")


class ReplaySource(Source):
    kind = "replay"

    def __init__(
        self,
        file: str,
        speed: float = 1.0,
        *,
        autoplay: bool = False,
        loop: bool = False,
        exit_at_end: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        if not file:
            raise SourceError("the replay source needs a recording: --file FILE (or EXPLORER_REPLAY_FILE)")
        if not MIN_SPEED <= speed <= MAX_SPEED:
            raise SourceError(f"the replay speed must be from {MIN_SPEED} to {MAX_SPEED}, not {speed}")
        self.path = Path(file)
        self.speed = speed
        self.loop = loop
        self.exit_at_end = exit_at_end
        self._autoplay = autoplay
        self._monotonic = monotonic
        self._recording: Recording | None = None
        self._state = ClusterState(source="replay")  # what has been sent: what the clients hold
        self._cursor = 0  # the next change to play
        self._position = 0.0  # seconds on the recording's clock, as of _anchor_wall
        self._anchor_wall = monotonic()
        self._paused = True
        self._jumps = 0  # seeks, rewinds and loops so far: a page that sees this move fetches the controls
        self._marks: list[dict[str, Any]] = []
        self._out = Outbox()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- the Source interface -----------------------------------------------------------

    @classmethod
    def from_options(cls, options: SourceOptions) -> ReplaySource:
        return cls(
            file=options.file,
            speed=options.speed,
            autoplay=options.autoplay,
            loop=options.loop,
            exit_at_end=options.exit_at_end,
        )

    async def start(self) -> ClusterState:
        self._recording = await asyncio.to_thread(load_recording, self.path)
        self._state = self._recording.state.copy()
        self._marks = self._find_marks()
        self._paused = not self._autoplay
        self._reanchor(0.0)
        self._task = asyncio.create_task(self._pace(), name="replay-pacer")
        return self._state.copy()  # the hub applies changes to its own copy

    async def changes(self) -> AsyncIterator[list[Change]]:
        """Batches of the changes recorded at one moment, as the clock reaches them; a seek's difference."""
        while True:
            batch = await self._out.get()
            if batch is None:
                return
            yield batch

    def batches_made(self) -> int:
        return self._out.batches

    async def close(self) -> None:
        if self._task:
            self._task.cancel()

    # -- the recording's clock ------------------------------------------------------------

    @property
    def recording(self) -> Recording:
        if self._recording is None:
            raise CommandError("the replay has not started yet")
        return self._recording

    def _now(self) -> float:
        """Where the replay stands on the recording's clock (past the end while a loop holds its last state)."""
        if self._paused:
            return self._position
        return self._position + (self._monotonic() - self._anchor_wall) * self.speed

    def position(self) -> float:
        return min(self._now(), self.recording.duration)

    def _reanchor(self, position: float) -> None:
        self._position = position
        self._anchor_wall = self._monotonic()

    def _time_at(self, position: float) -> str:
        start = self.recording.start
        return _iso(start + timedelta(seconds=position)) if start else ""

    @property
    def ended(self) -> bool:
        return self._cursor >= len(self.recording.changes) and self._now() >= self.recording.duration

    # -- playing ------------------------------------------------------------------------

    async def _pace(self) -> None:
        while True:
            self._wake.clear()
            if self._paused:
                await self._wake.wait()
                continue
            now = self._now()
            self._play_until(now)
            recording = self.recording
            if self._cursor < len(recording.changes):
                due = recording.offsets[self._cursor]
            elif self.loop and recording.duration > 0:
                due = recording.duration + LOOP_HOLD * self.speed
                if now >= due:
                    self._jump(0.0)
                    continue
            else:
                self._paused = True
                self._reanchor(recording.duration)
                if self.exit_at_end:
                    self._out.put_nowait(None)
                    return
                continue
            wait = min(IDLE_TICK, (due - now) / self.speed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.0))

    def _play_until(self, position: float) -> None:
        """Send every change due by `position`, one batch per moment of the recording."""
        recording = self.recording
        batch: list[Change] = []
        moment: float | None = None
        while self._cursor < len(recording.changes) and recording.offsets[self._cursor] <= position:
            offset, (_, change) = recording.offsets[self._cursor], recording.changes[self._cursor]
            if moment is not None and offset != moment:
                self._out.put_nowait(batch)
                batch = []
            moment = offset
            apply_in_place(self._state, change)
            batch.append(change)
            self._cursor += 1
        if batch:
            self._out.put_nowait(batch)

    def _jump(self, position: float) -> None:
        """Stand at `position`: the clients get the difference between what they have and the state there."""
        recording = self.recording
        position = min(max(position, 0.0), recording.duration)
        # At 0 the replay stands at the snapshot itself, before the changes recorded at that moment.
        cursor = bisect.bisect_right(recording.offsets, position) if position > 0 else 0
        if cursor >= self._cursor:
            target, first = self._state.copy(), self._cursor
        else:
            target, first = recording.state.copy(), 0
        for _, change in recording.changes[first:cursor]:
            apply_in_place(target, change)
        difference = diff_states(self._state, target, self._time_at(position))
        self._state, self._cursor = target, cursor
        if difference:
            self._out.put_nowait(list(difference))
        self._jumps += 1
        self._reanchor(position)

    # -- control ----------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        recording = self._recording
        if recording is None:
            return {"kind": "replay", "file": self.path.name, "paused": True, "speed": self.speed, "actions": ACTIONS}
        position = self.position()
        return {
            "kind": "replay",
            "file": self.path.name,
            "clock": round(position, 3),
            "time": self._time_at(position),
            "start": self._time_at(0.0),
            "end": self._time_at(recording.duration),
            "duration": round(recording.duration, 3),
            "speed": self.speed,
            "paused": self._paused,
            "ended": self.ended,
            "loop": self.loop,
            "played": self._cursor,
            "changes": len(recording.changes),
            "jumps": self._jumps,
            "marks": self._marks,
            "actions": ACTIONS,
        }

    async def command(self, payload: dict[str, Any]) -> dict[str, Any]:
        action = payload.get("action")
        recording = self.recording
        if action not in ACTIONS:
            raise CommandError(f"the replay takes these actions: {', '.join(ACTIONS)}; not {action!r}")
        if not self._paused:
            self._play_until(self._now())
        if action == "pause":
            self._reanchor(self.position())
            self._paused = True
        elif action == "resume":
            if self.ended:
                self._jump(0.0)  # play at the end starts over, as a player does
            self._reanchor(self.position())
            self._paused = False
        elif action == "step":
            self._reanchor(self.position())
            self._paused = True
            if self._cursor < len(recording.changes):
                moment = recording.offsets[self._cursor]
                self._play_until(moment)
                self._reanchor(moment)
        elif action == "speed":
            self._reanchor(self.position())
            self.speed = _check_speed(payload.get("value"))
        elif action == "seek":
            self._jump(self._seek_target(payload))
        elif action == "loop":
            self.loop = _check_flag(payload.get("value"), default=not self.loop)
            self._reanchor(self.position())
        elif action == "reset":
            self._jump(0.0)
        self._wake.set()
        return self.status()

    def _seek_target(self, payload: dict[str, Any]) -> float:
        """`to`: seconds from the start; or `time`: a moment on the recording's clock (ISO-8601)."""
        recording = self.recording
        if payload.get("time") not in (None, ""):
            try:
                when = _parse_time(str(payload["time"]))
            except ValueError:
                raise CommandError(f"seek: {payload['time']!r} is not an ISO-8601 time with a zone") from None
            if recording.start is None:
                return 0.0
            return (when - recording.start).total_seconds()
        try:
            to = float(payload.get("to"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise CommandError(
                'seek needs "to" (seconds from the start of the recording) or "time" (ISO-8601)'
            ) from None
        if to != to or to in (float("inf"), float("-inf")):
            raise CommandError("seek: 'to' must be a finite number of seconds")
        return to

    def _find_marks(self) -> list[dict[str, Any]]:
        """The recording's events, for the seek slider: where each falls, what and about whom."""
        recording = self.recording
        events = [
            (offset, change)
            for offset, (_, change) in zip(recording.offsets, recording.changes, strict=True)
            if isinstance(change, Event)
        ]
        if len(events) > MAX_MARKS:
            warnings = [e for e in events if e[1].severity == "Warning"]
            others = [e for e in events if e[1].severity != "Warning"]
            kept = (warnings + others[: max(0, MAX_MARKS - len(warnings))])[:MAX_MARKS]
            events = sorted(kept, key=lambda e: e[0])
        duration = recording.duration or 1.0
        return [
            {
                "at": round(offset, 3),
                "percent": round(100 * offset / duration, 2),
                "clock": _clock_text(offset),
                "reason": event.reason,
                "message": event.message,
                "involved": event.involved,
                "severity": event.severity,
            }
            for offset, event in events
        ]


def _clock_text(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def _check_speed(value: Any) -> float:
    try:
        speed = float(value)
    except (TypeError, ValueError):
        raise CommandError(f"speed must be a number from {MIN_SPEED} to {MAX_SPEED}") from None
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise CommandError(f"speed must be from {MIN_SPEED} to {MAX_SPEED}, not {speed}")
    return speed


def _check_flag(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CommandError(f"loop: 'value' must be true or false, not {value!r}")
