"""The watch threads' messages to the index thread, bounded by how many objects they hold.

A cluster can send faster than the index maps (a rollout of every pod, a relist of
150000 objects while the watches keep talking). An unbounded queue would grow with
it; this one makes a sender wait once `limit` objects are queued, so the backlog
stays in the apiserver's TCP buffers and the explorer's memory stays flat. A
message over the limit on its own (one big page) still goes in when the inbox is
empty, and `close()` frees every waiting sender.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from typing import Any

__all__ = ["Inbox"]


class Inbox:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._messages: deque[tuple[tuple[Any, ...], int]] = deque()
        self._held = 0  # objects in the queued messages
        self._ready = threading.Condition()
        self._closed = False

    @property
    def held(self) -> int:
        return self._held

    def put(self, message: tuple[Any, ...], weight: int = 1) -> None:
        """Queue `message` (worth `weight` objects), first waiting while the inbox is full."""
        with self._ready:
            while self._held and self._held + weight > self.limit and not self._closed:
                self._ready.wait()
            self._messages.append((message, weight))
            self._held += weight
            self._ready.notify_all()

    def put_now(self, message: tuple[Any, ...]) -> None:
        """Queue a control message (stop, down, up) without waiting: it weighs nothing."""
        with self._ready:
            self._messages.append((message, 0))
            self._ready.notify_all()

    def get(self, timeout: float | None = None) -> tuple[Any, ...]:
        """The oldest message; queue.Empty after `timeout` seconds without one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._ready:
            while not self._messages:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise queue.Empty
                self._ready.wait(left)
            return self._take()

    def get_nowait(self) -> tuple[Any, ...]:
        with self._ready:
            if not self._messages:
                raise queue.Empty
            return self._take()

    def close(self) -> None:
        """Stop making senders wait: the reader is going away."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def _take(self) -> tuple[Any, ...]:
        message, weight = self._messages.popleft()
        self._held -= weight
        if weight:
            self._ready.notify_all()
        return message
