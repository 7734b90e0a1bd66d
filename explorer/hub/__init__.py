"""The hub: drives exactly one source, numbers its changes, keeps the snapshot, publishes.

No Django here: the publisher and the state store are handed in.
"""

from explorer.hub.hub import Hub, Publisher
from explorer.hub.store import MemoryStateStore, Snapshot, StateStore, StoreUnavailable

__all__ = ["Hub", "MemoryStateStore", "Publisher", "Snapshot", "StateStore", "StoreUnavailable"]
