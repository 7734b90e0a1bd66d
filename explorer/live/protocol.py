"""What the hub process and the web workers say to each other over the channel layer.

Nothing here reaches a browser: the wire format is DESIGN.md's. On the layer:

- group `explorer.changes`: `explorer.batch` (numbered wire messages) and
  `explorer.heartbeat` (every HEARTBEAT_INTERVAL: the hub's run id, seq, the
  simulation's status and the source's error), so a web worker knows whether
  the hub is alive and which run it is hearing;
- channel `explorer.hub.commands`: `explorer.command` requests from web
  workers, each naming what to do (`op`: a source `command`, or
  `switch-context`), a reply channel and a deadline; the hub answers with
  `explorer.reply` carrying the new status or an error.

Channel-layer messages hold plain types only; they are built here and nowhere else.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from explorer.sources.base import Contexts

__all__ = [
    "CHANNEL_PREFIX",
    "COMMAND_CHANNEL",
    "COMMAND_TIMEOUT",
    "GROUP",
    "HEARTBEAT_INTERVAL",
    "STALE_AFTER",
    "SWITCH_CONTEXT_TIMEOUT",
    "Operation",
    "batch_message",
    "command_payload",
    "command_request",
    "contexts_from_message",
    "heartbeat_message",
    "loading_from_message",
    "reply_message",
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
# A context switch answers once the new cluster's first lists are in: seconds for a big cluster.
SWITCH_CONTEXT_TIMEOUT = 120.0

# What a web worker may ask the hub to do.
Operation = Literal["command", "switch-context"]


def batch_message(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Numbered wire messages, for the group."""
    return {"type": "explorer.batch", "messages": messages}


def heartbeat_message(
    hub: str,
    seq: int,
    status: dict[str, Any] | None,
    error: str,
    contexts: Contexts | None,
    loading: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The hub is alive: its run id, seq, the source's control status and error, its contexts, and
    while the source reads its first picture, how far it got."""
    return {
        "type": "explorer.heartbeat",
        "hub": hub,
        "seq": seq,
        "status": status,
        "error": error,
        "contexts": None if contexts is None else {"names": list(contexts.names), "current": contexts.current},
        "loading": loading,
    }


LOADING_KEYS = ("collections", "listed", "objects")


def loading_from_message(value: Any) -> dict[str, int] | None:
    """The first lists' progress a heartbeat carried; None when it carried none (or nothing readable)."""
    if not isinstance(value, dict) or not all(isinstance(value.get(k), int) for k in LOADING_KEYS):
        return None
    return {k: int(value[k]) for k in LOADING_KEYS}


def contexts_from_message(value: Any) -> Contexts | None:
    """The contexts a heartbeat carried, or None when it carried none (or nothing readable)."""
    if not isinstance(value, dict) or not isinstance(value.get("names"), list):
        return None
    return Contexts(tuple(str(name) for name in value["names"]), str(value.get("current") or ""))


def command_request(
    op: Operation, payload: dict[str, Any], reply_to: str, request: str, deadline: float
) -> dict[str, Any]:
    """A web worker's request to the hub; the hub drops it after `deadline` (epoch seconds)."""
    return {
        "type": "explorer.command",
        "op": op,
        # As JSON text: the layer's msgpack cannot carry every number a visitor can write (10**30),
        # and the hub must see the command as it was sent, to answer it with the source's own reason.
        "payload": json.dumps(payload),
        "reply_to": reply_to,
        "request": request,
        "deadline": deadline,
    }


def reply_message(
    request: str, *, status: dict[str, Any] | None = None, error: str = "", source_failed: bool = False
) -> dict[str, Any]:
    """The hub's answer: the new status, or an error meant for a person.

    `source_failed` tells a refused request (a bad command) from a source that
    could not start (a context whose cluster cannot be reached).
    """
    reply: dict[str, Any] = {"type": "explorer.reply", "request": request}
    if error:
        reply["error"] = error
        reply["source_failed"] = source_failed
    else:
        reply["status"] = status
    return reply


def command_payload(request: dict[str, Any]) -> dict[str, Any] | None:
    """The command a request carries, or None when it carries no JSON object."""
    text = request.get("payload")
    if not isinstance(text, str):
        return None
    try:
        payload = json.loads(text)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None
