"""Paces the engine against the wall clock: speed, pause, step, reset, scenario switch."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from explorer.model import Change, ClusterState, diff_states
from explorer.sources.base import CommandError, Source, SourceError, SourceOptions
from explorer.sources.simulated.engine import Engine
from explorer.sources.simulated.scenarios import SCENARIOS, ScenarioError, get_scenario

__all__ = ["MAX_SPEED", "MIN_SPEED", "SimulatedSource"]

MIN_SPEED, MAX_SPEED = 0.25, 100.0
# How often the clock shown to people moves when nothing else happens.
IDLE_TICK = 1.0


class SimulatedSource(Source):
    kind = "sim"

    def __init__(
        self,
        scenario: str = "steady-state",
        seed: int = 1,
        speed: float = 1.0,
        nodes: int = 0,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._scenario_name = scenario
        self._seed = seed
        self._speed = _check_speed(speed)
        self._paused = False
        self._monotonic = monotonic
        self._nodes = nodes
        self.engine = Engine(get_scenario(scenario, nodes), seed)
        self._out: asyncio.Queue[list[Change]] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._anchor_wall = monotonic()
        self._anchor_sim = 0.0
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_options(cls, options: SourceOptions) -> SimulatedSource:
        try:
            return cls(scenario=options.scenario, seed=options.seed, speed=options.speed, nodes=options.nodes)
        except ScenarioError as error:
            raise SourceError(str(error)) from None

    async def start(self) -> ClusterState:
        self._reanchor()
        self._task = asyncio.create_task(self._pace(), name="simulation-pacer")
        return self.engine.state()

    async def changes(self) -> AsyncIterator[list[Change]]:
        while True:
            yield await self._out.get()

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

    async def _pace(self) -> None:
        while True:
            self._wake.clear()
            if self._paused:
                await self._wake.wait()
                continue
            now = self._virtual_now()
            self._emit(self.engine.run_until(now))
            due = self.engine.next_time()
            wait = IDLE_TICK if due is None else min(IDLE_TICK, (due - now) / self._speed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.0))

    def _emit(self, changes: list[Change]) -> None:
        if changes:
            self._out.put_nowait(changes)

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
            "actions": self.engine.actions(),
            "description": self.engine.scenario.description,
            **self.engine.faults(),
        }

    async def command(self, payload: dict[str, Any]) -> dict[str, Any]:
        action = payload.get("action")
        if action == "pause":
            self.engine.run_until(self._virtual_now())
            self._paused = True
        elif action == "resume":
            self._paused = False
        elif action == "step":
            self.engine.run_until(self._virtual_now())
            self._paused = True
            self._emit(self.engine.step())
        elif action == "speed":
            self.engine.run_until(self._virtual_now())
            self._speed = _check_speed(payload.get("value"))
        elif action == "reset":
            self._replace_engine(self._scenario_name)
        elif action == "scenario":
            name = payload.get("name")
            if not isinstance(name, str):
                raise CommandError("the scenario action needs a 'name'")
            try:
                self._replace_engine(name)
            except ScenarioError as error:
                raise CommandError(str(error)) from None
        else:
            self.engine.run_until(self._virtual_now())
            self._emit(self.engine.command(payload))
        self._reanchor()
        self._wake.set()
        return self.status()

    def _replace_engine(self, name: str) -> None:
        old_state = self.engine.state()
        self.engine = Engine(get_scenario(name, self._nodes), self._seed)
        self._scenario_name = name
        self._emit(list(diff_states(old_state, self.engine.state(), self.engine.timestamp())))


def _check_speed(value: Any) -> float:
    try:
        speed = float(value)
    except (TypeError, ValueError):
        raise CommandError(f"speed must be a number from {MIN_SPEED} to {MAX_SPEED}") from None
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise CommandError(f"speed must be from {MIN_SPEED} to {MAX_SPEED}, not {speed}")
    return speed
