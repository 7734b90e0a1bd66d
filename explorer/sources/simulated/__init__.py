"""The bundled simulated cluster: a deterministic discrete-event engine and its pacing."""

from explorer.sources.simulated.engine import Engine
from explorer.sources.simulated.scenarios import SCENARIOS, get_scenario
from explorer.sources.simulated.source import SimulatedSource

__all__ = ["SCENARIOS", "Engine", "SimulatedSource", "get_scenario"]
