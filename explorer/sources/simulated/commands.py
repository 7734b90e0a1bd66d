"""What a simulation command may say: each action's fields, their types and their ranges.

A command is a JSON object. Its values are taken as the JSON types they are:
a whole number is a JSON integer (not `true`, not `1.5`, not `"12"`), a speed
is a JSON number, names are strings. (The page's form posts can only send text:
the web layer turns their decimal digits into numbers before this check.)
Keys an action does not read are ignored. Anything else is refused with a
CommandError that says why, never an exception of another kind.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from explorer.sources.base import CommandError
from explorer.sources.simulated.scenarios import parse_version

if TYPE_CHECKING:
    from explorer.sources.simulated.engine import Engine

__all__ = [
    "ACTION_FIELDS",
    "MAX_REPLICAS",
    "MAX_SPEED",
    "MIN_SPEED",
    "PODS_PER_NODE",
    "check_command",
    "check_speed",
    "max_replicas",
]

MIN_SPEED, MAX_SPEED = 0.25, 100.0
# The kubelet's default maxPods: a Deployment may ask for as many pods as the nodes could ever run...
PODS_PER_NODE = 110
# ...but never more than this, however big the simulated cluster.
MAX_REPLICAS = 5000
# Kubernetes' longest object name; an image reference gets a little more room.
MAX_NAME = 253
MAX_IMAGE = 255
IMAGE_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]*")

# Each action and the fields it reads (besides `action`).
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "pause": (),
    "resume": (),
    "step": (),
    "reset": (),
    "speed": ("value",),
    "scenario": ("name",),
    "node-down": ("node",),
    "node-up": ("node",),
    "cordon": ("node",),
    "uncordon": ("node",),
    "stop": ("component",),
    "start": ("component",),
    "scale": ("deployment",),  # and `replicas` or `by`; or `statefulset` and `replicas`
    "set-image": ("deployment", "image"),  # or `daemonset` and `image`
    "force-delete": ("pod",),
    "out-of-service": ("node",),
    "in-service": ("node",),
}


def shown(value: Any, limit: int = 60) -> str:
    """A value for an error message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def max_replicas(engine: Engine) -> int:
    """The most replicas a Deployment may ask for in this cluster."""
    return min(MAX_REPLICAS, PODS_PER_NODE * max(1, len(engine.nodes)))


def check_speed(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CommandError(f"speed must be a number from {MIN_SPEED} to {MAX_SPEED}, not {shown(value)}")
    if not (math.isfinite(value) and MIN_SPEED <= value <= MAX_SPEED):
        raise CommandError(f"speed must be from {MIN_SPEED} to {MAX_SPEED}, not {shown(value)}")
    return float(value)


def _name(payload: dict[str, Any], field: str, action: str) -> str:
    value = payload.get(field)
    if not isinstance(value, str) or not value or len(value) > MAX_NAME:
        raise CommandError(f"the {action} action needs '{field}', a name of at most {MAX_NAME} characters")
    return value


def _version(value: Any) -> str:
    try:
        parse_version(value)
    except ValueError as error:
        raise CommandError(str(error)) from None
    return str(value)


def _whole(payload: dict[str, Any], field: str) -> int:
    value = payload.get(field)
    # bool is an int subclass: true is not 1 replica.
    if type(value) is not int:
        raise CommandError(f"{field} must be a whole number, not {shown(value)}")
    return value


def check_command(payload: Any, engine: Engine) -> dict[str, Any]:
    """The command with only the fields its action reads, each of the right type and in range."""
    if not isinstance(payload, dict):
        raise CommandError('a command is a JSON object such as {"action": "pause"}')
    action = payload.get("action")
    if not isinstance(action, str) or action not in ACTION_FIELDS:
        raise CommandError(f"unknown action {shown(action)}; actions: {', '.join(engine.actions())}")
    command: dict[str, Any] = {"action": action}
    if action == "speed":
        command["value"] = check_speed(payload.get("value"))
    elif action == "set-image":
        target = "daemonset" if "daemonset" in payload else "deployment"
        command[target] = _name(payload, target, action)
        image = payload.get("image")
        image = image.strip() if isinstance(image, str) else image
        if not isinstance(image, str) or len(image) > MAX_IMAGE or not IMAGE_REFERENCE.fullmatch(image):
            raise CommandError(f"image must be an image reference such as nginx:1.27, not {shown(image)}")
        command["image"] = image
    elif action == "scale" and "statefulset" in payload:
        command.update(statefulset=_name(payload, "statefulset", action), replicas=_whole(payload, "replicas"))
    elif action == "scale":
        command.update(_check_scale(payload, engine))
    elif action == "scenario" and "version" in payload:
        # Played at another release; "" goes back to the scenario's own (without the key: as it was).
        command["name"] = _name(payload, "name", action)
        command["version"] = "" if payload["version"] == "" else _version(payload["version"])
    else:
        for field in ACTION_FIELDS[action]:
            command[field] = _name(payload, field, action)
        if action == "stop" and "graceful" in payload:
            if not isinstance(payload["graceful"], bool):
                raise CommandError(f"graceful must be true or false, not {shown(payload['graceful'])}")
            command["graceful"] = payload["graceful"]
    return command


def _check_scale(payload: dict[str, Any], engine: Engine) -> dict[str, Any]:
    key = _name(payload, "deployment", "scale")
    deployment = engine.workloads.deployments.get(key)
    current = deployment.replicas if deployment is not None else 0
    cap = max_replicas(engine)
    # `by` scales relative to now, so a tour's "try it" adds a pod however often it runs.
    field = "by" if "by" in payload and "replicas" not in payload else "replicas"
    number = _whole(payload, field)
    if deployment is None:
        return {"deployment": key, field: number}  # the controllers answer which Deployments there are
    wanted = current + number if field == "by" else number
    # A Deployment already past the cap (a scenario scaled up) may shrink, never grow.
    if wanted < 0 or (wanted > cap and wanted > current):
        raise CommandError(
            f"replicas must be from 0 to {cap} ({PODS_PER_NODE} pods per node, at most {MAX_REPLICAS}), "
            f"not {shown(wanted)}"
        )
    return {"deployment": key, field: number}
