"""A recorded change stream (JSONL) played back, so a real incident can be watched without a cluster."""

from explorer.sources.replay.source import ReplaySource, read_recording

__all__ = ["ReplaySource", "read_recording"]
