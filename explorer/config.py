"""Typed readers for environment variables (a bad value fails loudly, naming the variable), and the secret key."""

from __future__ import annotations

import contextlib
import ipaddress
import os
from collections.abc import Sequence
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "BUILTIN_SECRET_KEY",
    "env_bool",
    "env_choice",
    "env_float",
    "env_int",
    "env_list",
    "env_str",
    "is_loopback_host",
    "secret_key",
]


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


# The key a laptop runs with when nobody set one; refused where others can reach the site.
BUILTIN_SECRET_KEY = "explorer-insecure-local-key-set-DJANGO_SECRET_KEY"


def secret_key(configured: str, key_file: Path, local: bool) -> str:
    """DJANGO_SECRET_KEY, else (on a site others reach) a random key kept in `key_file`, else the built-in one.

    A site served under names beyond loopback never runs with the built-in key:
    unset, a key is generated once and kept beside the database (every process
    sharing the database shares it); set to the built-in value, the start fails.
    """
    if configured:
        if configured == BUILTIN_SECRET_KEY and not local:
            raise ImproperlyConfigured(
                "DJANGO_SECRET_KEY is the built-in local key, but the site is served beyond loopback "
                "(DJANGO_ALLOWED_HOSTS): set a secret of your own, or unset it to have one generated"
            )
        return configured
    if local:
        return BUILTIN_SECRET_KEY
    with contextlib.suppress(FileNotFoundError):
        kept = key_file.read_text(encoding="ascii").strip()
        if kept:
            return kept
    from django.core.management.utils import get_random_secret_key

    fresh = get_random_secret_key()
    scratch = key_file.with_name(f".{key_file.name}.{os.getpid()}")
    try:
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(fresh + "\n")
        try:
            os.link(scratch, key_file)  # atomic: of processes starting together, one key wins
        except FileExistsError:
            fresh = key_file.read_text(encoding="ascii").strip()
    except OSError as error:
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY is not set and the site is served beyond loopback, but no key can be kept in "
            f"{key_file} ({error.strerror}): set DJANGO_SECRET_KEY, or make that directory writable"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(scratch)
    return fresh
