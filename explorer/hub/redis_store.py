"""The snapshot in Redis, so that every web worker of a scaled-out explorer serves the same one.

Layout: one hash of components (id -> JSON), one hash of metadata (seq,
cluster, source) and one hash of recent events (component id -> JSON list,
newest first, as bounded by the hub's memory of them). A change batch touches only the components it names, and
its writes and the new seq go in one MULTI/EXEC transaction, as a full save
does; a reader reads both hashes in one transaction too, so it never sees a
seq with the components of another.

Redis may go away and come back empty. A failed write marks the store dirty
and the next write saves everything; `repair` (called by the hub's heartbeat)
does the same when the snapshot has vanished while the hub was quiet.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

from explorer.hub.store import Snapshot, StateStore, StoreUnavailable
from explorer.model import Change, ChangeType, ClusterState, Component, ComponentChange

__all__ = ["RedisStateStore", "redacted_url"]

log = logging.getLogger(__name__)

# A full save sends the components in chunks of this many fields per HSET.
CHUNK = 5000


def redacted_url(url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _dumps(component: Component) -> str:
    return json.dumps(component.to_dict(), separators=(",", ":"))


# Connections to Redis per web process, and how long a reader waits for one.
POOL_SIZE = 32
POOL_WAIT = 10.0


class RedisStateStore(StateStore):
    def __init__(self, url: str, prefix: str = "explorer:snapshot", client: Any = None):
        self.url = url
        self.components_key = f"{prefix}:components"
        self.meta_key = f"{prefix}:meta"
        self.events_key = f"{prefix}:events"
        # When each component's health last changed: the problems list's "since", the page's "as of".
        self.since_key = f"{prefix}:since"
        self.client = client or aioredis.Redis(
            # A blocking pool: hundreds of sockets reading the snapshot at once wait their turn
            # for one of its connections, where the default pool fails past 100 with
            # "Too many connections" and the sockets would be closed.
            connection_pool=aioredis.BlockingConnectionPool.from_url(
                url,
                max_connections=POOL_SIZE,
                timeout=POOL_WAIT,
                socket_connect_timeout=2,
                socket_timeout=5,
                # A pooled connection that Redis closed while it restarted fails once: retry on a fresh one.
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
                retry_on_error=[RedisConnectionError],
            )
        )
        self.dirty = False
        # The last snapshot read, by seq: many sockets connecting at once parse it once.
        self._cache: tuple[tuple[int, bytes | None], Snapshot] | None = None

    def _unavailable(self, error: Exception) -> StoreUnavailable:
        return StoreUnavailable(f"the state store (Redis at {redacted_url(self.url)}) is unreachable: {error}")

    async def ping(self) -> None:
        try:
            await self.client.ping()
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None

    async def save(self, seq: int, state: ClusterState) -> None:
        # Serialised before the first await, so the caller's state cannot move underneath.
        fields = {cid: _dumps(c) for cid, c in state.components.items()}
        since: dict[FieldT, EncodableT] = {cid: time for cid, time in state.health_since.items()}
        # A new epoch per full save: readers' caches never mistake a new story for an old one at the same seq.
        meta: dict[FieldT, EncodableT] = {
            "seq": seq,
            "cluster": state.cluster,
            "source": state.source,
            "epoch": uuid.uuid4().hex,
        }
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(self.components_key, self.since_key)
        items = list(fields.items())
        for start in range(0, len(items), CHUNK):
            chunk: dict[FieldT, EncodableT] = dict(items[start : start + CHUNK])
            pipe.hset(self.components_key, mapping=chunk)
        since_items = list(since.items())
        for start in range(0, len(since_items), CHUNK):
            pipe.hset(self.since_key, mapping=dict(since_items[start : start + CHUNK]))
        pipe.hset(self.meta_key, mapping=meta)
        await self._execute(pipe)
        self.dirty = False

    async def apply(self, seq: int, state: ClusterState, changes: Sequence[Change]) -> None:
        if self.dirty:
            await self.save(seq, state)
            return
        # Only the last form of each component in the batch matters.
        last: dict[str, ComponentChange] = {}
        for change in changes:
            if isinstance(change, ComponentChange):
                last[change.component.id] = change
        removed = [cid for cid, change in last.items() if change.type is ChangeType.REMOVED]
        written: dict[FieldT, EncodableT] = {
            cid: _dumps(change.component) for cid, change in last.items() if change.type is not ChangeType.REMOVED
        }
        since: dict[FieldT, EncodableT] = {
            cid: state.health_since[cid] for cid in written if isinstance(cid, str) and cid in state.health_since
        }
        pipe = self.client.pipeline(transaction=True)
        if removed:
            pipe.hdel(self.components_key, *removed)
            pipe.hdel(self.since_key, *removed)
        if written:
            pipe.hset(self.components_key, mapping=written)
        if since:
            pipe.hset(self.since_key, mapping=since)
        pipe.hset(self.meta_key, "seq", seq)
        await self._execute(pipe)

    async def save_events(self, updates: Mapping[str, Sequence[dict[str, Any]]]) -> None:
        written: dict[FieldT, EncodableT] = {
            cid: json.dumps(list(events), separators=(",", ":")) for cid, events in updates.items() if events
        }
        forgotten = [cid for cid, events in updates.items() if not events]
        pipe = self.client.pipeline(transaction=False)
        if written:
            pipe.hset(self.events_key, mapping=written)
        if forgotten:
            pipe.hdel(self.events_key, *forgotten)
        await self._execute(pipe)

    async def recent_events(self, component_id: str) -> list[dict[str, Any]]:
        try:
            raw = await self.client.hget(self.events_key, component_id)
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None
        if raw is None:
            return []
        events = json.loads(raw)
        return events if isinstance(events, list) else []

    async def repair(self, current: Callable[[], tuple[int, ClusterState]]) -> bool:
        """Save everything again if a write failed or Redis lost the snapshot; True when it did."""
        try:
            missing = not await self.client.exists(self.meta_key)
        except (RedisError, OSError) as error:
            self.dirty = True
            raise self._unavailable(error) from None
        if not (missing or self.dirty):
            return False
        seq, state = current()
        await self.save(seq, state)
        log.info("state store: snapshot saved again in full at seq %d", seq)
        return True

    async def _execute(self, pipe: Any) -> None:
        try:
            await pipe.execute()
        except (RedisError, OSError) as error:
            self.dirty = True
            raise self._unavailable(error) from None

    async def last_seq(self) -> int | None:
        try:
            raw = await self.client.hget(self.meta_key, "seq")
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None
        return None if raw is None else int(raw)

    async def load(self) -> Snapshot | None:
        try:
            seq, epoch = await self.client.hmget(self.meta_key, ["seq", "epoch"])
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None
        if seq is None:
            return None
        if self._cache is not None and self._cache[0] == (int(seq), epoch):
            return self._cache[1]
        pipe = self.client.pipeline(transaction=True)
        pipe.hgetall(self.meta_key)
        pipe.hgetall(self.components_key)
        pipe.hgetall(self.since_key)
        try:
            meta, fields, since = await pipe.execute()
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None
        if not meta:
            return None
        # In a thread: 150000 components take seconds to parse, and the worker's loop serves every socket
        # meanwhile (the GIL passes back to it every few milliseconds).
        state = await asyncio.to_thread(_parse_state, meta, fields, since)
        current = Snapshot(int(meta[b"seq"]), state)
        self._cache = ((current[0], meta.get(b"epoch")), current)
        return current

    async def close(self) -> None:
        await self.client.aclose()


def _parse_state(meta: dict[bytes, bytes], fields: dict[bytes, bytes], since: dict[bytes, bytes]) -> ClusterState:
    state = ClusterState(
        (Component.from_dict(json.loads(raw)) for raw in fields.values()),
        cluster=meta.get(b"cluster", b"").decode(),
        source=meta.get(b"source", b"").decode(),
    )
    state.health_since = {cid.decode(): time.decode() for cid, time in since.items()}
    return state
