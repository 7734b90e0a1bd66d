"""A recorded change stream (JSONL) played back, so a real incident can be watched without a cluster."""

from explorer.sources.replay.source import Recording, ReplaySource, load_recording, read_recording

__all__ = ["Recording", "ReplaySource", "load_recording", "read_recording"]
