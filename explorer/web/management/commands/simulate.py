"""`manage.py simulate`: run a scenario headless, as fast as it goes, and print the change stream as JSONL."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from explorer.model.changes import snapshot_message
from explorer.sources.simulated import SCENARIOS, Engine, get_scenario
from explorer.sources.simulated.scenarios import ScenarioError

MAX_DURATION = 7 * 24 * 3600
MAX_NODES = 5000
CHUNK = 60.0


class Command(BaseCommand):
    help = (
        "Run a simulated scenario headless and print JSONL: the snapshot first, then every change and "
        "event as the WebSocket sends it, with seq."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Django gives every command a --version (its own); here it names the Kubernetes release instead.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scenario", default="steady-state", help="a built-in scenario (see --list)")
        parser.add_argument("--seed", type=int, default=1, help="the seed: same seed, same output")
        parser.add_argument("--duration", type=float, default=600.0, help="simulated seconds to run")
        parser.add_argument("--nodes", type=int, default=0, help="scale the scenario's worker nodes to N")
        parser.add_argument(
            "--version",
            dest="kubernetes_version",
            help="the Kubernetes release to follow, such as v1.31 (default: the scenario's kubernetesVersion)",
        )
        parser.add_argument("--list", action="store_true", help="print the built-in scenarios, one a line")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for name in SCENARIOS:
                self.stdout.write(name)
            return
        duration, nodes = options["duration"], options["nodes"]
        if not 0 <= duration <= MAX_DURATION:
            raise CommandError(f"--duration must be from 0 to {MAX_DURATION} seconds, not {duration:g}")
        if not 0 <= nodes <= MAX_NODES:
            raise CommandError(f"--nodes must be from 0 (the scenario's own) to {MAX_NODES}, not {nodes}")
        try:
            scenario = get_scenario(options["scenario"], nodes, options["kubernetes_version"])
            engine = Engine(scenario, options["seed"])
        except ScenarioError as error:
            raise CommandError(str(error)) from None
        write = self.stdout.write
        seq = 0
        # With the moment it shows, as `runexplorer --record` writes it: the output is a recording to replay.
        write(_line({**snapshot_message(engine.state(), seq), "time": engine.timestamp()}))
        # In slices, so a long run streams instead of holding every change in memory.
        at = 0.0
        while at < duration:
            at = min(at + CHUNK, duration)
            for change in engine.run_until(at):
                seq += 1
                write(_line(change.to_message(seq)))


def _line(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)
