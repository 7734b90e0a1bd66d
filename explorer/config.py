"""Typed readers for environment variables: a bad value fails loudly, naming the variable."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence

from django.core.exceptions import ImproperlyConfigured

__all__ = ["env_bool", "env_choice", "env_float", "env_int", "env_list", "env_str", "is_loopback_host"]


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a number from {minimum} to {maximum}")
    return value


def env_choice(name: str, choices: Sequence[str], default: str) -> str:
    raw = os.environ.get(name) or default
    if raw not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected one of {', '.join(choices)}")
    return raw


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_float(name: str, default: float, minimum: float, maximum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a number") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a number from {minimum} to {maximum}")
    return value


def is_loopback_host(host: str) -> bool:
    """Whether an ALLOWED_HOSTS entry names only this machine (127.0.0.0/8, ::1, localhost and *.localhost)."""
    name = host.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name in {"localhost", "::1"} or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
