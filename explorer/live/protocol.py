"""What the hub process and the web workers say to each other over the channel layer.

Nothing here reaches a browser: the wire format is DESIGN.md's. On the layer:

- group `explorer.changes`: `explorer.batch` (numbered wire messages) and
  `explorer.heartbeat` (every HEARTBEAT_INTERVAL: the hub's run id, seq, the
  simulation's status and the source's error), so a web worker knows whether
  the hub is alive and which run it is hearing;
- channel `explorer.hub.commands`: `explorer.command` requests from web
  workers, each naming a reply channel and a deadline; the hub answers with
  `explorer.reply` carrying the new status or an error.
"""

from __future__ import annotations

__all__ = [
    "CHANNEL_PREFIX",
    "COMMAND_CHANNEL",
    "COMMAND_TIMEOUT",
    "GROUP",
    "HEARTBEAT_INTERVAL",
    "STALE_AFTER",
]

GROUP = "explorer.changes"
# Every process-local channel shares Channels' own prefix, the one its consumers
# (the follow sockets') get: channels_redis reads a process's channels of one prefix
# through one Redis list and sorts them out locally, but serves two prefixes in
# turns of up to five seconds each, so an idle follow socket would starve the live
# stream and make the hub look stale.
CHANNEL_PREFIX = "specific"
COMMAND_CHANNEL = "explorer.hub.commands"
HEARTBEAT_INTERVAL = 1.0
# Three missed heartbeats and a half: a web worker then calls the hub stale.
STALE_AFTER = 3.5
# How long a web worker waits for the hub to answer a command; the hub drops
# requests older than this, so a click never takes effect after its error was shown.
COMMAND_TIMEOUT = 5.0
