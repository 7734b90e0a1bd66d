"""`manage.py runexplorer`: the hub on its own process (scale-out), or recording a source to JSONL.

With REDIS_URL the snapshot goes to Redis and the web workers' simulation
commands are served here. SIGTERM and SIGINT stop it cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from explorer.hub import MemoryStateStore, StateStore, StoreUnavailable
from explorer.hub.redis_store import RedisStateStore
from explorer.live.configured import configured_source
from explorer.live.service import HubService
from explorer.model.changes import snapshot_message
from explorer.sources.base import Source, SourceError
from explorer.sources.factory import SOURCE_KINDS


class Command(BaseCommand):
    help = "Run the hub: read one source, number its changes, publish them to every web worker."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Django gives every command a --version (its own); here it names the Kubernetes release instead.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = ", ".join(SOURCE_KINDS)
        parser.add_argument("--source", choices=SOURCE_KINDS, help=f"one of {kinds} (default: EXPLORER_SOURCE)")
        parser.add_argument("--scenario", help="the simulated scenario (default: EXPLORER_SCENARIO)")
        parser.add_argument("--seed", type=int, help="the simulation's seed")
        parser.add_argument("--speed", type=float, help="simulated or replayed seconds per second")
        parser.add_argument("--nodes", type=int, help="scale the scenario's worker nodes to N")
        parser.add_argument(
            "--version",
            dest="kubernetes_version",
            help="the Kubernetes release every simulated scenario follows, such as v1.31 "
            "(default: EXPLORER_KUBERNETES_VERSION, else each scenario's kubernetesVersion)",
        )
        parser.add_argument("--kubeconfig", help="a kubeconfig file (default: KUBECONFIG, then ~/.kube/config)")
        parser.add_argument("--context", help="the kubeconfig context to use")
        parser.add_argument("--file", help="the recording to replay")
        parser.add_argument(
            "--autoplay",
            action="store_true",
            default=None,
            help="play the recording at once (default: EXPLORER_REPLAY_AUTOPLAY; else it waits, paused, for play)",
        )
        parser.add_argument(
            "--loop", action="store_true", default=None, help="play the recording again from its start at its end"
        )
        parser.add_argument(
            "--exit-at-end",
            action="store_true",
            default=None,
            help="stop the hub once the recording has played to its end (to record a replay again)",
        )
        parser.add_argument("--record", type=Path, help="also write the change stream to this JSONL file")

    def handle(self, *args: Any, **options: Any) -> None:
        overrides = {
            name: options[name]
            for name in (
                "source",
                "scenario",
                "seed",
                "speed",
                "nodes",
                "kubernetes_version",
                "kubeconfig",
                "context",
                "file",
                "autoplay",
                "loop",
                "exit_at_end",
            )
        }
        try:
            source = configured_source(**overrides)
        except SourceError as error:
            raise CommandError(str(error)) from None
        # Not asyncio.run: its clean-up waits without limit for every task to end, and
        # one that ignores its cancellation would keep SIGTERM from stopping the hub.
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._run(source, options["record"], overrides))
        except (SourceError, StoreUnavailable) as error:
            raise CommandError(str(error)) from None
        finally:
            loop.close()

    async def _run(self, source: Source, record: Path | None, overrides: dict[str, Any]) -> None:
        store: StateStore
        if settings.REDIS_URL:
            store = RedisStateStore(settings.REDIS_URL)
            await store.ping()  # a clear message now rather than a retry loop
        else:
            store = MemoryStateStore()
            self.stderr.write("REDIS_URL is not set: no web worker can see this hub (recording only).")
        recording = record.open("w", encoding="utf-8") if record else None

        def also(messages: list[dict[str, Any]]) -> None:
            if recording:
                recording.writelines(json.dumps(m, separators=(",", ":")) + "\n" for m in messages)
                recording.flush()

        def source_for_context(context: str) -> Source:
            return configured_source(**{**overrides, "context": context})

        service = HubService(source, store, get_channel_layer(), also=also, source_for_context=source_for_context)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)

        def started() -> None:
            if recording:
                # Written and flushed at once, with the moment it shows: a quiet cluster may
                # say nothing for a long while, and the file must be a recording from the start.
                snapshot = snapshot_message(service.hub.state, service.hub.seq)
                snapshot["time"] = _source_time(source)
                recording.write(json.dumps(snapshot, separators=(",", ":")) + "\n")
                recording.flush()
            self.stdout.write(
                f"hub running: source {source.kind}, cluster {service.hub.state.cluster!r}; Ctrl-C stops it"
            )
            self.stdout.flush()

        try:
            await service.run(stop, on_started=started)
        finally:
            await source.close()
            await _cancel_the_rest()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(store.close(), 2)
            if recording:
                recording.close()
            self.stdout.write("hub stopped")


def _source_time(source: Any) -> str:
    """Now on the source's own clock: a simulation's or a replay's time, else the wall clock's."""
    status = source.status() or {}
    if status.get("time"):
        return str(status["time"])
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _cancel_the_rest() -> None:
    """Cancel every other task, again if one swallowed its cancellation.

    On Python 3.11 `asyncio.wait_for` loses a cancellation that lands as its
    awaitable completes; a pacing loop built on it would then keep asyncio.run
    from ever returning, and SIGTERM would not stop the process.
    """
    current = asyncio.current_task()
    for _ in range(5):
        others = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
        if not others:
            return
        for task in others:
            task.cancel()
        await asyncio.wait(others, timeout=1)
