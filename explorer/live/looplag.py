"""How late the event loop runs: a timer that should fire every INTERVAL tells how long something held the loop.

`/healthz` answers 503 while the loop has lagged STUCK seconds or more within
the last WINDOW seconds (or a tick is that overdue right now), so a liveness
probe notices a worker that is alive but no longer keeps up; its 200 says the
worst lag of that window in the X-Loop-Lag-Ms header. A loop blocked outright
answers nothing at all, which a probe's timeout catches by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

__all__ = ["INTERVAL", "STUCK", "LoopLag", "WatchLoop", "loop_lag", "unless_stuck"]

INTERVAL = 0.1
STUCK = 1.0
WINDOW = 3.0


class LoopLag:
    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.last_tick = time.monotonic()
        self.worst = 0.0
        self.worst_at = 0.0

    def ensure_started(self) -> None:
        """Start watching the running loop (again, when the loop is a new one)."""
        loop = asyncio.get_running_loop()
        if self._task is not None and self._loop is loop and not self._task.done():
            return
        self._loop, self.last_tick, self.worst = loop, time.monotonic(), 0.0
        self._task = loop.create_task(self._watch(), name="explorer-loop-lag")

    async def _watch(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(INTERVAL)
            now = time.monotonic()
            lag = now - before - INTERVAL
            self.last_tick = now
            if lag >= self.worst or now - self.worst_at > WINDOW:
                self.worst, self.worst_at = lag, now

    def lag(self) -> float:
        """Seconds: the worst lag of the last WINDOW seconds, or how overdue the next tick is already."""
        now = time.monotonic()
        overdue = now - self.last_tick - INTERVAL
        recent = self.worst if now - self.worst_at <= WINDOW else 0.0
        return max(overdue, recent, 0.0)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


loop_lag = LoopLag()


class WatchLoop:
    """ASGI wrapper: the first connection of any kind starts the watch on the server's loop."""

    def __init__(self, application: Any):
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] in {"http", "websocket"}:
            loop_lag.ensure_started()
        return await self.application(scope, receive, send)


def unless_stuck(
    view: Callable[..., Coroutine[Any, Any, HttpResponse]],
) -> Callable[..., Coroutine[Any, Any, HttpResponse]]:
    """A health view that answers 503 (with the lag) while the loop lags STUCK seconds or more."""

    @functools.wraps(view)
    async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        loop_lag.ensure_started()
        lag = loop_lag.lag()
        if lag >= STUCK:
            body = {
                "status": "lagging",
                "loop_lag_ms": round(lag * 1000),
                "message": "the event loop is falling behind",
            }
            return JsonResponse(body, status=503)
        response = await view(request, *args, **kwargs)
        response["X-Loop-Lag-Ms"] = str(round(lag * 1000))
        return response

    return wrapper
