"""Timestamps as the wire writes them: ISO-8601 in UTC with a `Z`, to the millisecond.

One helper, so every source, the hub and the web layer agree on the form a
client parses and compares.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["iso_timestamp", "parse_timestamp"]


def iso_timestamp(moment: datetime | None = None, *, precision: str = "milliseconds") -> str:
    """`moment` (now when None) as `2026-11-29T09:31:56.123Z`; `precision="seconds"` drops the fraction."""
    moment = datetime.now(UTC) if moment is None else moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec=precision).replace("+00:00", "Z")


def parse_timestamp(text: str) -> datetime:
    """The moment an ISO-8601 timestamp names (`Z` or an offset); ValueError when it names none."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
