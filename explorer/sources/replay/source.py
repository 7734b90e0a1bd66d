"""ReplaySource: plays a JSONL recording at a chosen speed, by the messages' own `time`.

A recording is what `runexplorer --record` writes: the first line a snapshot
message, then one WebSocket message object per line. The whole file is checked
before anything plays, so a malformed line is reported with its number.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path

from explorer.model import Change, ChangeType, ClusterState, ComponentChange, change_from_message
from explorer.model.state import parent_cycle
from explorer.sources.base import Source, SourceError, SourceOptions

__all__ = ["MAX_SPEED", "MIN_SPEED", "ReplaySource", "read_recording"]

MIN_SPEED, MAX_SPEED = 0.01, 10000.0


def read_recording(path: Path) -> tuple[ClusterState, list[tuple[datetime, Change]]]:
    """The snapshot and the timed changes of a recording; SourceError names the file and line of a fault."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise SourceError(f"no recording at {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(f"{path} cannot be read: {error}") from None
    state: ClusterState | None = None
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
                continue
            if isinstance(message, dict) and message.get("type") == "snapshot":
                raise ValueError("a recording holds one snapshot, on its first line")
            change = change_from_message(message)
            when = datetime.fromisoformat(change.time.replace("Z", "+00:00"))
            if when.tzinfo is None:
                raise ValueError(f"time {change.time!r} has no time zone")
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
    return ClusterState(state.components, cluster=state.cluster, source="replay"), changes


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
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        if not file:
            raise SourceError("the replay source needs a recording: --file FILE (or EXPLORER_REPLAY_FILE)")
        if not MIN_SPEED <= speed <= MAX_SPEED:
            raise SourceError(f"the replay speed must be from {MIN_SPEED} to {MAX_SPEED}, not {speed}")
        self.path = Path(file)
        self.speed = speed
        self._sleep = sleep
        self._changes: list[tuple[datetime, Change]] = []

    @classmethod
    def from_options(cls, options: SourceOptions) -> ReplaySource:
        return cls(file=options.file, speed=options.speed)

    async def start(self) -> ClusterState:
        state, self._changes = await asyncio.to_thread(read_recording, self.path)
        return state

    async def changes(self) -> AsyncIterator[list[Change]]:
        """Batches of the changes recorded at one moment, spaced as they were, divided by the speed."""
        batch: list[Change] = []
        previous: datetime | None = None
        for when, change in self._changes:
            if previous is not None and when != previous:
                yield batch
                batch = []
                gap = (when - previous).total_seconds()
                if gap > 0:
                    await self._sleep(gap / self.speed)
            previous = when
            batch.append(change)
        if batch:
            yield batch
