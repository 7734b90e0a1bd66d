"""The inbox between the watch threads and the index thread: bounded by the objects it holds."""

from __future__ import annotations

import queue
import threading
import time

import pytest

from explorer.sources.kube.inbox import Inbox


def sender(inbox: Inbox, message: tuple, weight: int = 1) -> threading.Thread:
    thread = threading.Thread(target=inbox.put, args=(message, weight), daemon=True)
    thread.start()
    return thread


def test_a_full_inbox_makes_a_sender_wait_until_the_reader_takes_something():
    inbox = Inbox(limit=3)
    for n in range(3):
        inbox.put(("event", n))
    waiting = sender(inbox, ("event", 3))
    waiting.join(0.2)
    assert waiting.is_alive(), "the fourth object should wait"
    assert inbox.held == 3
    assert inbox.get(timeout=1) == ("event", 0)
    waiting.join(2)
    assert not waiting.is_alive()
    assert [inbox.get_nowait() for _ in range(3)] == [("event", 1), ("event", 2), ("event", 3)]
    assert inbox.held == 0


def test_a_page_bigger_than_the_limit_goes_into_an_empty_inbox_and_control_messages_never_wait():
    inbox = Inbox(limit=10)
    inbox.put(("relist-page", "pods", list(range(500))), 500)  # alone, it is let in
    assert inbox.held == 500
    inbox.put_now(("down", "pods", "gone"))  # a full inbox does not hold back a reconnect or a stop
    blocked = sender(inbox, ("event", "x"))
    blocked.join(0.2)
    assert blocked.is_alive()
    assert inbox.get(timeout=1)[0] == "relist-page"
    assert inbox.get(timeout=1) == ("down", "pods", "gone")
    blocked.join(2)
    assert inbox.get(timeout=1) == ("event", "x")


def test_close_frees_a_waiting_sender_and_an_empty_get_times_out():
    inbox = Inbox(limit=1)
    inbox.put(("event", 1))
    waiting = sender(inbox, ("event", 2))
    waiting.join(0.1)
    assert waiting.is_alive()
    inbox.close()
    waiting.join(2)
    assert not waiting.is_alive()
    empty = Inbox(limit=1)
    started = time.monotonic()
    with pytest.raises(queue.Empty):
        empty.get(timeout=0.1)
    assert time.monotonic() - started >= 0.1
