"""Paces the engine against the wall clock: speed, pause, step, reset, scenario switch.

The engine runs on the server's event loop, so it runs in slices: about
SLICE_SECONDS of events at a time, then the loop's other work gets its turn (a
burst of thousands of pods never holds a page or a health probe up). Building
a new engine and diffing it against the old one (reset, scenario) happens in a
worker thread. One lock keeps the pacer and the commands from running the
engine at the same time; waiting for it blocks nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from explorer.model import Change, ClusterState, diff_states
from explorer.sources.base import CommandError, Outbox, Source, SourceError, SourceOptions
from explorer.sources.simulated.commands import MAX_SPEED, MIN_SPEED, check_command, check_speed, max_replicas
from explorer.sources.simulated.engine import STEP_HORIZON, Engine
from explorer.sources.simulated.scenarios import KUBERNETES_VERSIONS, SCENARIOS, ScenarioError, get_scenario

__all__ = ["CHUNK", "MAX_SPEED", "MIN_SPEED", "SLICE_SECONDS", "SimulatedSource"]

# How often the clock shown to people moves when nothing else happens.
IDLE_TICK = 1.0
# How long the engine may run before the event loop gets its turn again.
SLICE_SECONDS = 0.01
# The most changes in one batch handed to the hub; a bigger batch goes in several, a turn of the loop apart.
CHUNK = 100


def _slice() -> Callable[[], bool]:
    deadline = time.perf_counter() + SLICE_SECONDS
    return lambda: time.perf_counter() > deadline


class SimulatedSource(Source):
    kind = "sim"

    def __init__(
        self,
        scenario: str = "steady-state",
        seed: int = 1,
        speed: float = 1.0,
        nodes: int = 0,
        monotonic: Callable[[], float] = time.monotonic,
        version: str | None = None,
    ):
        self._scenario_name = scenario
        self._seed = seed
        self._speed = check_speed(speed)
        self._paused = False
        self._monotonic = monotonic
        self._nodes = nodes
        # A release every scenario is played at (a teacher's "show it on v1.31"), or None: each its own.
        self._version = version or None
        self.engine = Engine(get_scenario(scenario, nodes, self._version), seed)
        self._out = Outbox()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._anchor_wall = monotonic()
        self._anchor_sim = 0.0
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_options(cls, options: SourceOptions) -> SimulatedSource:
        try:
            return cls(
                scenario=options.scenario,
                seed=options.seed,
                speed=options.speed,
                nodes=options.nodes,
                version=options.kubernetes_version,
            )
        except ScenarioError as error:
            raise SourceError(str(error)) from None

    async def start(self) -> ClusterState:
        self._reanchor()
        self._task = asyncio.create_task(self._pace(), name="simulation-pacer")
        return self.engine.state()

    async def changes(self) -> AsyncIterator[list[Change]]:
        while True:
            batch = await self._out.get()
            if batch is not None:
                yield batch
            # A queue that is never empty would never let the loop go on to anything else.
            await asyncio.sleep(0)

    def batches_made(self) -> int:
        return self._out.batches

    async def close(self) -> None:
        if self._task:
            self._task.cancel()

    # -- pacing ---------------------------------------------------------------------

    def _virtual_now(self) -> float:
        if self._paused:
            return self._anchor_sim
        return self._anchor_sim + (self._monotonic() - self._anchor_wall) * self._speed

    def _reanchor(self) -> None:
        self._anchor_sim = self.engine.clock
        self._anchor_wall = self._monotonic()

    async def _catch_up(self, until: float | None = None) -> None:
        """Run the engine to `until` (else to the virtual now, however far it has moved), a slice at a time."""
        while True:
            async with self._lock:
                target = self._virtual_now() if until is None else until
                self._emit(self.engine.run_until(target, _slice()))
                if not self.engine.due(target):
                    return
            await asyncio.sleep(0)

    async def _pace(self) -> None:
        while True:
            self._wake.clear()
            await self._catch_up()
            if self._paused:
                await self._wake.wait()
                continue
            now = self._virtual_now()
            due = self.engine.next_time()
            wait = IDLE_TICK if due is None else min(IDLE_TICK, (due - now) / self._speed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.0))

    def _emit(self, changes: Sequence[Change]) -> None:
        for start in range(0, len(changes), CHUNK):
            self._out.put_nowait(list(changes[start : start + CHUNK]))

    # -- control ----------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return {
            "kind": "sim",  # which controls the page shows: the simulation's or a replay's
            "clock": round(self.engine.clock, 3),
            "time": self.engine.timestamp(),
            "speed": self._speed,
            "paused": self._paused,
            "scenario": self._scenario_name,
            "seed": self._seed,
            "scenarios": list(SCENARIOS),
            # The release it plays at ("v1.34"), whether the scenario's own or one picked, and the choices.
            "version": "v{}.{}".format(*self.engine.version[:2]),
            "version_picked": self._version or "",
            "versions": list(KUBERNETES_VERSIONS),
            "actions": self.engine.actions(),
            "description": self.engine.scenario.description,
            "max_replicas": max_replicas(self.engine),
            **self.engine.faults(),
        }

    async def command(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Check the command (CommandError says what is wrong), catch the engine up to now, carry it out."""
        command = check_command(payload, self.engine)
        action = command["action"]
        if action in {"reset", "scenario"}:
            await self._replace_engine(command.get("name", self._scenario_name), command.get("version"))
        elif action == "step":
            await self._step()
        else:
            await self._catch_up(self._virtual_now())
            async with self._lock:
                if action == "pause":
                    self._paused = True
                elif action == "resume":
                    self._paused = False
                elif action == "speed":
                    self._speed = command["value"]
                else:
                    self._emit(self.engine.command(command))
                self._reanchor()
        self._wake.set()
        return self.status()

    async def _step(self) -> None:
        """Pause, then run to the next visible change (at most STEP_HORIZON ahead), a slice at a time."""
        await self._catch_up(self._virtual_now())
        limit: float | None = None
        while True:
            async with self._lock:
                if limit is None:
                    self._paused = True
                    self._reanchor()
                    limit = self.engine.clock + STEP_HORIZON
                changes, done = self.engine.step_until(limit, _slice())
                self._emit(changes)
                if done:
                    self._reanchor()
                    return
            await asyncio.sleep(0)

    async def _replace_engine(self, name: str, version: str | None = None) -> None:
        """Start scenario `name` afresh: at `version` if given, which later resets keep; "" the scenario's
        own release; None the release picked before, if any."""
        version = self._version if version is None else (version or None)
        try:
            scenario = get_scenario(name, self._nodes, version)
        except ScenarioError as error:
            raise CommandError(str(error)) from None
        async with self._lock:
            # A big cluster takes a while to build and to compare: not on the event loop.
            engine = await asyncio.to_thread(Engine, scenario, self._seed)
            old_state: ClusterState = self.engine.state()
            new_state = engine.state()
            changes = await asyncio.to_thread(lambda: list(diff_states(old_state, new_state, engine.timestamp())))
            self.engine = engine
            self._scenario_name = name
            self._version = version
            self._emit(changes)
            self._reanchor()
