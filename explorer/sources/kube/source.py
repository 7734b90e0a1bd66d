"""KubeSource: a real cluster, read with list then watch through the official client.

The client blocks, so it runs in threads: one per watched collection, plus one
that owns the ClusterIndex and turns what the watches say into component
changes, handed to the event loop with `call_soon_threadsafe`. Each watch
resumes from the last resourceVersion it saw (bookmarks included), relists on
410 Gone, and backs off with jitter after a failure. While the apiserver cannot
be reached every component is `unknown` with the reason; it recovers on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import random
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from kubernetes.client.exceptions import ApiException

from explorer.model import Change, ClusterState, Event
from explorer.model.timestamps import iso_timestamp
from explorer.sources.base import Contexts, Source, SourceError, SourceOptions
from explorer.sources.kube import client as kube
from explorer.sources.kube import decode
from explorer.sources.kube.inbox import Inbox
from explorer.sources.kube.index import RESOURCES, ClusterIndex, thaw_heap
from explorer.sources.kube.mapping import map_event

__all__ = ["KubeSource"]

log = logging.getLogger(__name__)

# How many of the newest events already in the cluster open the timeline.
RECENT_EVENTS = 20
# The most changes handed to the hub (and so to the channel layer) in one batch.
BATCH_LIMIT = 2000
# Decoded list pages waiting to be mapped: reading runs ahead of mapping by this much at most.
PAGES_IN_FLIGHT = 8
# Objects (watch events, relisted items) waiting for the index thread: past this a watch waits to be read,
# and the backlog stays in the apiserver's connection rather than in the explorer's memory.
INBOX_LIMIT = 20000
# Batches of changes waiting for the hub: past this the index thread waits, and so, soon, the watches.
BATCHES_IN_FLIGHT = 50
# How long a failed first load waits for its other lists' readers to stop.
READERS_GRACE = 5.0


class _Abandoned(Exception):
    """The first load stopped (another collection's list failed): a reader drops what it read."""


class _ListFailed(Exception):
    def __init__(self, name: str, error: Exception):
        super().__init__(name)
        self.name, self.error = name, error


class KubeSource(Source):
    kind = "kube"

    def __init__(
        self,
        kubeconfig: str = "",
        context: str = "",
        *,
        watch_timeout: int = 300,
        backoff: tuple[float, float] = (0.5, 30.0),
        tick: float = 2.0,
        health_interval: float = 10.0,
        page_size: int = 500,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.kubeconfig = kubeconfig
        self.context = context
        self.watch_timeout = watch_timeout
        self.backoff = backoff
        self.tick = tick
        self.health_interval = health_interval
        self.page_size = page_size
        self.index = ClusterIndex(clock=clock)
        self._clock = clock
        self._api: Any = None
        self._host = ""
        self._inbox = Inbox(INBOX_LIMIT)
        self._out: asyncio.Queue[list[Change]] = asyncio.Queue()
        # Batches handed to the loop and not yet read by the hub (including those still in call_soon_threadsafe).
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._watches: dict[str, kube.RawWatch] = {}
        self._down: dict[str, str] = {}  # collection -> why it cannot be read now
        # The first lists' progress while start() reads them (replaced whole, never changed in place).
        self._loading: dict[str, int] | None = None

    # -- the Source interface -----------------------------------------------------------

    @classmethod
    def from_options(cls, options: SourceOptions) -> KubeSource:
        # start() reads the kubeconfig (or the in-cluster service account) and says what is wrong.
        return cls(kubeconfig=options.kubeconfig, context=options.context)

    def contexts(self) -> Contexts:
        names, current = kube.list_contexts(self.kubeconfig)
        return Contexts(tuple(names), self.context or current)

    async def start(self) -> ClusterState:
        self._loop = asyncio.get_running_loop()
        names = [*RESOURCES, "events"]
        self._loading = {"collections": len(names), "listed": 0, "objects": 0}
        try:
            self._api, cluster = await asyncio.to_thread(kube.connect, self.kubeconfig, self.context)
            self._host = self._api.configuration.host
            self.index.cluster = cluster
            # Read and mapped page by page, off the event loop: a large cluster takes seconds.
            state, recent, versions = await asyncio.to_thread(self._first_load, names)
        except _ListFailed as failure:
            self._api.close()
            raise SourceError(kube.explain(failure.error, failure.name, "list", self._host)) from None
        finally:
            self._loading = None
        for name in names:
            self._spawn(f"watch-{name}", self._watch_loop, name, versions[name])
        self._spawn("kube-index", self._index_loop)
        if self.index.managed:
            self._spawn("kube-health", self._health_loop)
        now = self._now_text()
        if recent:
            self._publish([map_event(e, now) for e in recent])
        return state

    def loading(self) -> dict[str, int] | None:
        """While start() reads the first lists: collections listed of how many, and objects read so far."""
        progress = self._loading
        return dict(progress) if progress is not None else None

    def _first_load(self, names: list[str]) -> tuple[ClusterState, list[dict[str, Any]], dict[str, str]]:
        """Every collection listed at once, each page mapped as it arrives; (state, newest events, versions).

        One thread per collection reads and decodes its pages; this one maps them
        into the index as they come, so a 150000-pod list is never held whole.
        """
        arrived: queue.Queue[tuple[str, str, Any]] = queue.Queue(maxsize=PAGES_IN_FLIGHT)
        abort = threading.Event()
        versions: dict[str, str] = {}
        events: list[dict[str, Any]] = []

        def hand(item: tuple[str, str, Any]) -> None:
            while not abort.is_set():
                with contextlib.suppress(queue.Full):
                    arrived.put(item, timeout=0.1)
                    return
            raise _Abandoned

        def read(name: str) -> None:
            try:
                versions[name] = self._list_pages(name, lambda items: hand(("page", name, items)))
                hand(("done", name, None))
            except _Abandoned:
                pass
            except Exception as error:
                with contextlib.suppress(_Abandoned):
                    hand(("failed", name, error))

        def pages() -> Iterator[tuple[str, list[dict[str, Any]]]]:
            remaining = set(names)
            while remaining:
                what, name, payload = arrived.get()
                if what == "failed":
                    raise _ListFailed(name, payload)
                if what == "done":
                    remaining.discard(name)
                    self._loading = {**(self._loading or {}), "listed": len(names) - len(remaining)}
                    continue
                if self._loading is not None:
                    self._loading = {**self._loading, "objects": self._loading["objects"] + len(payload)}
                if name == "events":
                    events.extend(payload)
                else:
                    yield name, payload

        readers = [threading.Thread(target=read, args=(n,), name=f"list-{n}", daemon=True) for n in names]
        for reader in readers:
            reader.start()
        try:
            self.index.load(pages(), RESOURCES)
        finally:
            abort.set()
            # The readers stop at their next page (at once, when all is read): none outlives a failed
            # start, to die in the middle of a request when the process exits.
            deadline = time.monotonic() + READERS_GRACE
            for reader in readers:
                reader.join(max(0.0, deadline - time.monotonic()))
        self.index.set_managed(not any(cid.startswith("apiserver/") for cid in self.index.members))
        if self.index.managed:
            self.index.set_health_checks(*self._read_health())
        recent = sorted(events, key=lambda e: map_event(e, "").time)[-RECENT_EVENTS:]
        return self.index.state(), recent, versions

    async def changes(self) -> AsyncIterator[list[Change]]:
        while True:
            batch = await self._out.get()
            with self._in_flight_lock:
                self._in_flight -= 1
            yield batch

    async def close(self) -> None:
        self._stop.set()
        self._inbox.close()
        self._inbox.put_now(("stop",))
        deadline = time.monotonic() + 5
        while any(t.is_alive() for t in self._threads) and time.monotonic() < deadline:
            # Again and again: a watch whose response had not arrived at the first stop() has one now.
            for w in list(self._watches.values()):
                w.stop()
            await asyncio.sleep(0.05)
        if self._api is not None:
            self._api.close()
        thaw_heap()

    # -- threads --------------------------------------------------------------------

    def _spawn(self, name: str, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _now_text(self) -> str:
        return iso_timestamp(self._clock())

    def _list_pages(self, name: str, take: Callable[[list[dict[str, Any]]], None]) -> str:
        """A whole collection, a page at a time, each page's items handed to `take`; the list's resourceVersion."""
        cont: str | None = None
        while True:
            page = kube.list_page(self._api, name, cont, self.page_size)
            take(page.get("items") or [])
            meta = page.get("metadata") or {}
            cont = meta.get("continue")
            if not cont:
                return str(meta.get("resourceVersion") or "")

    def _pause(self, attempt: int) -> None:
        base, cap = self.backoff
        # Full jitter: many explorers reconnecting at once do not arrive together.
        self._stop.wait(random.uniform(0.5, 1.0) * min(cap, base * 2**attempt))

    def _watch_loop(self, name: str, version: str | None) -> None:
        collection = kube.COLLECTIONS[name]
        attempt = 0
        while not self._stop.is_set():
            try:
                if version is None:
                    # Page by page, as the first list: a relisted collection is never held whole.
                    self._inbox.put_now(("relist-begin", name))
                    version = self._list_pages(
                        name, lambda items: self._inbox.put(("relist-page", name, items), len(items))
                    )
                    self._inbox.put_now(("relist-end", name))
                    self._inbox.put_now(("up", name))
                elif name in self._down:
                    kube.list_page(self._api, name, None, 1)  # reachable again? a one-item GET says so
                    self._inbox.put_now(("up", name))
                w = kube.RawWatch()
                self._watches[name] = w
                w.resource_version = version
                stream = w.stream(
                    collection.call(self._api),
                    resource_version=version,
                    allow_watch_bookmarks=True,
                    timeout_seconds=self.watch_timeout,
                    _request_timeout=(kube.REQUEST_TIMEOUT[0], self.watch_timeout + 30),
                )
                for event in stream:
                    attempt = 0
                    kind = event["type"]
                    if kind == "BOOKMARK":
                        version = w.resource_version or version
                        continue
                    version = event["raw_object"]["metadata"]["resourceVersion"] or version
                    # Decoded whole in the index's thread, where it is mapped and dropped at once.
                    self._inbox.put(("event", name, kind, event["line"]))
                # The server ended the watch (its timeout, or a dropped connection): resume where it stopped.
            except ApiException as error:
                if error.status == 410:
                    log.info("watch of %s expired (410 Gone); listing again", name)
                    version = None
                    continue
                self._report_down(name, kube.explain(error, name, "watch", self._host))
                self._pause(attempt)
                attempt += 1
            except Exception as error:  # a dropped or refused connection, a timeout, a TLS failure
                if self._stop.is_set():
                    return
                self._report_down(name, kube.explain(error, name, "watch", self._host))
                self._pause(attempt)
                attempt += 1

    def _report_down(self, name: str, why: str) -> None:
        self._down[name] = why
        self._inbox.put_now(("down", name, why))

    def _read_health(self) -> tuple[str | None, str | None, bool | None, str]:
        """`/livez` and `/readyz`: their texts, whether ready, and what failed ("" when both pass)."""
        try:
            live_status, livez = kube.get_raw(self._api, "/livez")
            status, readyz = kube.get_raw(self._api, "/readyz")
        except Exception as error:
            return None, None, None, kube.explain(error, "readyz", "get", self._host)
        failed = [
            f"/{name} answered {code}" for name, code in (("livez", live_status), ("readyz", status)) if code != 200
        ]
        return livez, readyz, status == 200, "; ".join(failed)

    def _health_loop(self) -> None:
        # /livez and /readyz cannot be watched: they are read every few seconds.
        while not self._stop.wait(self.health_interval):
            self._inbox.put_now(("health", *self._read_health()))

    def _index_loop(self) -> None:
        """The one thread that touches the index: drains the inbox, emits change batches."""
        last_tick = time.monotonic()
        while not self._stop.is_set():
            try:
                items = [self._inbox.get(timeout=self.tick)]
            except queue.Empty:
                items = []
            with contextlib.suppress(queue.Empty):
                while len(items) < 5000:
                    items.append(self._inbox.get_nowait())
            try:
                changes = self._digest(items)
                if time.monotonic() - last_tick >= self.tick:
                    last_tick = time.monotonic()
                    changes.extend(self.index.tick())
            except Exception:  # one bad object must not stop the explorer
                log.exception("could not map a batch of watch events")
                continue
            if self._loop is None or self._loop.is_closed():
                continue
            # The hub reads behind: wait for it, so the changes do not pile up here either.
            while self._in_flight > BATCHES_IN_FLIGHT and not self._stop.is_set():
                time.sleep(0.02)
            # A whole cluster turning unknown is 150000 changes: published in bounded batches.
            for start in range(0, len(changes), BATCH_LIMIT):
                self._publish(changes[start : start + BATCH_LIMIT])

    def _publish(self, batch: list[Change]) -> None:
        """Hand a batch to the event loop's queue, from any thread."""
        assert self._loop is not None
        with self._in_flight_lock:
            self._in_flight += 1
        self._loop.call_soon_threadsafe(self._out.put_nowait, batch)

    def _apiserver_id(self) -> str:
        return next((c for c in sorted(self.index.components) if c.startswith("apiserver/")), "apiserver/managed")

    def _digest(self, items: list[tuple[Any, ...]]) -> list[Change]:
        changes: list[Change] = []
        pending: list[tuple[str, str, str]] = []

        def flush() -> None:
            if pending:
                changes.extend(self.index.apply_many(_decoded(pending)))
                pending.clear()

        now = self._now_text()
        for item in items:
            what = item[0]
            if what == "event" and item[1] != "events":
                pending.append((item[1], item[2], item[3]))
                continue
            flush()
            if what == "event":
                if item[2] in ("ADDED", "MODIFIED"):
                    changes.extend(map_event(obj, now) for _, _, obj in _decoded([item[1:]]))
            elif what.startswith("relist-") and item[1] != "events":
                if what == "relist-begin":
                    self.index.begin_relist(item[1])
                elif what == "relist-page":
                    changes.extend(self.index.relist_page(item[1], item[2]))
                else:
                    changes.extend(self.index.end_relist(item[1]))
            elif what == "down":
                # The first reason stands until it recovers: re-marking 150000 components per retry is waste.
                if not self.index.unreachable:
                    changes.append(Event("Unreachable", item[2], self._apiserver_id(), now, "Warning"))
                    changes.extend(self.index.set_unreachable(item[2]))
            elif what == "up":
                self._down.pop(item[1], None)
                if not self._down:
                    if self.index.unreachable:
                        changes.append(Event("Reconnected", "the apiserver answers again", self._apiserver_id(), now))
                    changes.extend(self.index.set_unreachable(""))
            elif what == "health":
                changes.extend(self.index.set_health_checks(*item[1:]))
        flush()
        return changes


def _decoded(events: Iterable[tuple[str, str, str]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Watch lines (collection, type, line) as (collection, type, object); a line that does not decode is logged."""
    for name, kind, line in events:
        try:
            yield name, kind, decode.decode_watched(name, line)
        except decode.DecodeError as error:
            log.warning("a %s watch event does not decode, and is skipped: %s", name, error)
