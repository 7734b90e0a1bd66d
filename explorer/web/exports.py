"""`/diagram/<view>.svg|.dot|.png`: cached, rendered off the event loop, never too many at once.

An export is a function of its format, view, namespace filter and the state's
`seq`, so the answer is kept (a small LRU: CACHE_ENTRIES answers, CACHE_BYTES
at most) and served again until the state moves on. Requests for an export
that is being rendered wait for that render instead of starting another.

PNG and DOT render in an executor of their own with EXPORT_WORKERS threads,
so a flood of exports queues there and never in the pool that renders pages;
at most EXPORT_QUEUE renders wait, and a request beyond that is answered 503
with Retry-After. SVG, which the live pages also fetch after a layout change,
renders in the shared pool (its layouts are cached by topology, so it is
mostly a slot fill), at most SVG_RENDERS at a time.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from explorer.diagrams import UnknownView, render_dot, render_png
from explorer.live.runtime import get_runtime
from explorer.model import ClusterState
from explorer.web.current import renderer
from explorer.web.language import diagram_language

__all__ = ["ExportBusy", "Exports", "diagram"]

CONTENT_TYPES = {"svg": "image/svg+xml", "dot": "text/vnd.graphviz; charset=utf-8", "png": "image/png"}
CACHE_ENTRIES = 32
CACHE_BYTES = 64 * 1024 * 1024
EXPORT_WORKERS = 1
EXPORT_QUEUE = 4
SVG_RENDERS = 2
# A namespace is a DNS label; a filter longer than any can only be junk.
MAX_NAMESPACE = 63


class ExportBusy(Exception):
    """Too many exports are waiting already; try again shortly."""


# (format, view, namespace, language, seq)
Key = tuple[str, str, str, str, int]


class Exports:
    """One runtime's export cache, with its in-flight renders and its limits."""

    def __init__(self) -> None:
        self._done: OrderedDict[Key, str | bytes] = OrderedDict()
        self._bytes = 0
        self._rendering: dict[Key, asyncio.Future[str | bytes]] = {}
        self._executor = ThreadPoolExecutor(max_workers=EXPORT_WORKERS, thread_name_prefix="explorer-export")
        self._queued = 0
        self._svg = asyncio.Semaphore(SVG_RENDERS)
        self.renders = 0

    async def get(self, key: Key, state: Callable[[], ClusterState]) -> str | bytes:
        """The export `key` names; `state()` gives the (copied) state to draw when it must be rendered."""
        body = self._done.get(key)
        if body is not None:
            self._done.move_to_end(key)
            return body
        pending = self._rendering.get(key)
        if pending is None:
            counted = key[0] != "svg"
            if counted and self._queued >= EXPORT_QUEUE + EXPORT_WORKERS:
                raise ExportBusy(f"{self._queued} exports are being drawn already")
            pending = asyncio.ensure_future(self._render(key, state()))
            # Counted from now, not from when the render starts: a burst arriving at once is counted whole.
            self._queued += counted
            self._rendering[key] = pending
            pending.add_done_callback(lambda done: self._forget(key, done, counted))
        # Shielded: a client that hangs up must not cancel the render others wait for.
        return await asyncio.shield(pending)

    def _forget(self, key: Key, done: asyncio.Future[str | bytes], counted: bool) -> None:
        self._rendering.pop(key, None)
        self._queued -= counted
        if not done.cancelled():
            done.exception()  # looked at: a failure whose waiters all hung up is not logged as unretrieved

    async def _render(self, key: Key, state: ClusterState) -> str | bytes:
        fmt, view, language = key[0], key[1], key[3]
        if fmt == "svg":
            async with self._svg:
                body: str | bytes = await asyncio.to_thread(renderer.svg, state, view, language)
        else:
            draw = render_png if fmt == "png" else render_dot
            body = await asyncio.get_running_loop().run_in_executor(self._executor, draw, state, view, language)
        self.renders += 1
        self._keep(key, body)
        return body

    def _keep(self, key: Key, body: str | bytes) -> None:
        size = len(body)
        if size > CACHE_BYTES // 4:
            return
        self._done[key] = body
        self._bytes += size
        while len(self._done) > CACHE_ENTRIES or self._bytes > CACHE_BYTES:
            _, dropped = self._done.popitem(last=False)
            self._bytes -= len(dropped)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


# One per runtime (tests start a fresh runtime, with its own seq numbering, on each loop).
_exports: weakref.WeakKeyDictionary[Any, Exports] = weakref.WeakKeyDictionary()


def exports_of(runtime: Any) -> Exports:
    found = _exports.get(runtime)
    if found is None:
        found = _exports[runtime] = Exports()
        weakref.finalize(runtime, found.close)
    return found


@require_GET
async def diagram(request: HttpRequest, view: str, fmt: str) -> HttpResponse:
    namespace = request.GET.get("namespace") or ""
    if len(namespace) > MAX_NAMESPACE:
        return JsonResponse({"error": "namespace: a Kubernetes namespace name is at most 63 characters"}, status=400)
    runtime = await get_runtime()
    seq, live = await runtime.snapshot()

    def drawn_state() -> ClusterState:
        # A consistent copy (components are frozen) that a worker thread may read.
        return live.only_namespace(namespace) if namespace else live.copy()

    try:
        body = await exports_of(runtime).get((fmt, view, namespace, diagram_language(request), seq), drawn_state)
    except UnknownView as error:
        return JsonResponse({"error": str(error)}, status=404)
    except ExportBusy as error:
        return JsonResponse({"error": f"{error}; try again in a few seconds"}, status=503, headers={"Retry-After": "5"})
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["X-Explorer-Seq"] = str(seq)
    if request.GET.get("download"):
        # The view names a node, and a node's name is a cluster's text: only safe characters name the file.
        name = re.sub(r"[^A-Za-z0-9._-]", "-", view)[:100]
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
