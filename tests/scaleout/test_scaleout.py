"""Two web workers and a hub process over a real redis-server, watched through real WebSocket clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

import pytest
from websockets.asyncio.client import connect


def http_json(url: str, payload: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    """GET, or POST a JSON command with the CSRF cookie and header, as the README shows."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        if payload is None:
            with opener.open(url, timeout=15) as response:
                return response.status, json.load(response)
        opener.open(url.rsplit("/api/", 1)[0] + "/api/sim/", timeout=15).close()
        token = next(c.value for c in jar if c.name == "csrftoken")
        request = urllib.request.Request(
            url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        with opener.open(request, timeout=15) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def command(worker: Any, payload: dict[str, Any]) -> dict[str, Any]:
    status, body = http_json(f"{worker.url}/api/sim/", payload)
    assert status == 200, body
    return body


def ws_url(worker: Any) -> str:
    return worker.url.replace("http://", "ws://") + "/ws/events/"


async def next_message(socket: Any, within: float = 20) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(), within))


async def wait_for(socket: Any, predicate: Any, within: float = 30) -> dict[str, Any]:
    """The first message that satisfies `predicate`, skipping the others."""
    deadline = time.monotonic() + within
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail("the expected message did not come")
        message = await next_message(socket, remaining)
        if predicate(message):
            return message


async def changes(socket: Any, count: int) -> list[dict[str, Any]]:
    seen = []
    while len(seen) < count:
        message = await next_message(socket)
        if message["type"] != "status":
            seen.append(message)
    return seen


def components(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in body["components"]}


async def test_a_client_on_each_worker_sees_the_same_change_sequence(workers):
    first, second = workers
    command(first, {"action": "pause"})
    async with connect(ws_url(first)) as a, connect(ws_url(second)) as b:
        snapshot_a, snapshot_b = await next_message(a), await next_message(b)
        assert snapshot_a["type"] == snapshot_b["type"] == "snapshot"
        assert snapshot_a["seq"] == snapshot_b["seq"]
        assert snapshot_a["components"] == snapshot_b["components"]
        # Commands sent to either worker reach the one hub; its effects reach both workers' clients.
        command(second, {"action": "node-down", "node": "worker-1"})
        command(first, {"action": "resume"})
        # At 100x the node lifecycle controller calls the node NotReady after its 50 s grace.
        seen_a = [await wait_for(a, lambda m: m["type"] != "status")]
        while not (seen_a[-1]["type"] == "updated" and seen_a[-1]["component"]["id"] == "node/worker-1"):
            seen_a.append(await wait_for(a, lambda m: m["type"] != "status"))
        seen_b = await changes(b, len(seen_a))
    assert seen_a == seen_b
    assert [m["seq"] for m in seen_a] == list(range(snapshot_a["seq"] + 1, snapshot_a["seq"] + 1 + len(seen_a)))
    assert seen_a[-1]["component"]["status"] == "NotReady"
    assert any(m["type"] != "event" and m["component"]["id"] == "kubelet/worker-1" for m in seen_a)


async def test_the_snapshot_is_the_same_on_every_worker_and_follows_seq(workers):
    first, second = workers
    command(second, {"action": "pause"})
    _, from_first = http_json(f"{first.url}/api/state.json")
    _, from_second = http_json(f"{second.url}/api/state.json")
    assert from_first == from_second
    assert from_first["source"] == "sim"
    assert "node/worker-1" in components(from_first)


async def test_clients_see_the_hub_go_stale_when_it_dies_and_resync_when_it_returns(workers, hub):
    first, second = workers
    async with connect(ws_url(first)) as a, connect(ws_url(second)) as b:
        before = (await next_message(a))["seq"]
        await next_message(b)
        hub.kill()
        for socket in (a, b):
            stale = await wait_for(socket, lambda m: m["type"] == "status")
            assert stale["hub"] == "stale"
            assert stale["since"].endswith("Z")
        status, body = http_json(f"{first.url}/api/sim/", {"action": "pause"})
        assert status == 400
        assert "hub is not running" in body["error"]
        assert "runexplorer" in body["error"]

        hub.start()
        for socket in (a, b):
            snapshot = await wait_for(socket, lambda m: m["type"] == "snapshot")
            assert snapshot["seq"] > before
            live = await wait_for(socket, lambda m: m["type"] == "status")
            assert live["hub"] == "live"
    # Commands work again once the hub is back, and their effects stream in order.
    command(second, {"action": "node-down", "node": "worker-2"})
    async with connect(ws_url(first)) as a:
        snapshot = await next_message(a)
        command(second, {"action": "node-up", "node": "worker-2"})
        following = await changes(a, 2)
        assert [m["seq"] for m in following] == [snapshot["seq"] + 1, snapshot["seq"] + 2]


async def test_redis_going_away_gives_clear_errors_then_everything_recovers(workers, redis_server):
    first, second = workers
    command(first, {"action": "pause"})
    _, before = http_json(f"{first.url}/api/state.json")

    async with connect(ws_url(second)) as client:
        await next_message(client)
        redis_server.stop()
        status, body = http_json(f"{first.url}/api/state.json")
        assert status == 503
        assert "Redis" in body["error"]
        assert "Traceback" not in body["error"]
        status, body = http_json(f"{second.url}/api/sim/", {"action": "resume"})
        assert status == 400
        assert body["error"]
        stale = await wait_for(client, lambda m: m["type"] == "status")
        assert stale["hub"] == "stale"

        # Redis comes back empty (no persistence): the hub writes the whole snapshot again.
        redis_server.start()
        snapshot = await wait_for(client, lambda m: m["type"] == "snapshot")
        assert components(snapshot) == components(before)

    deadline = time.monotonic() + 30
    while True:
        status, after = http_json(f"{first.url}/api/state.json")
        if status == 200 and after["components"]:
            break
        assert time.monotonic() < deadline, f"the snapshot did not come back: {status} {after}"
        await asyncio.sleep(0.2)
    assert components(after) == components(before)
    assert after["seq"] >= before["seq"]
    assert command(second, {"action": "resume"})["paused"] is False


def test_the_hub_stops_cleanly_on_sigterm(hub):
    code, out = hub.terminate()
    assert code == 0
    assert "hub stopped" in out
    assert "Traceback" not in hub.stderr()


def presenter_session(worker: Any) -> tuple[Any, str, str]:
    """Open a presenter room through a one-time link, as a teacher does; the opener keeps the session."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    link = worker.manage("presenter_token", "--base-url", worker.url).strip()
    with opener.open(link, timeout=15) as response:
        room = response.url.split("room=")[1]
    token = next(c.value for c in jar if c.name == "csrftoken")
    return opener, room, token


async def test_an_audience_and_the_live_stream_share_a_worker_without_holding_each_other_up(workers):
    first, second = workers
    opener, room, token = presenter_session(first)
    follow_url = second.url.replace("http://", "ws://") + f"/ws/follow/{room}/"
    async with connect(follow_url) as audience, connect(ws_url(second)) as events:
        assert (await next_message(audience))["type"] == "state"
        await next_message(events)
        # An idle follow socket must not starve the worker's live stream: the hub stays live...
        deadline = time.monotonic() + 6
        with contextlib.suppress(TimeoutError):
            while (remaining := deadline - time.monotonic()) > 0:
                message = await next_message(events, within=remaining)
                assert message["type"] != "status", f"the hub looked {message.get('hub')} to this worker"
        # ...and a change made through the other worker arrives at once.
        await asyncio.to_thread(command, first, {"action": "node-down", "node": "worker-2"})
        changed = await wait_for(events, lambda m: m.get("component", {}).get("id") == "kubelet/worker-2", within=2)
        assert changed["component"]["health"] == "error"
        for step in (2, 3, 4):
            request = urllib.request.Request(
                f"{first.url}/follow/{room}/state/",
                data=json.dumps({"tour": "control-plane", "step": step}).encode(),
                headers={"Content-Type": "application/json", "X-CSRFToken": token},
            )
            await asyncio.to_thread(lambda r=request: opener.open(r, timeout=15).close())
            # A class watches the teacher's screen: a move must not wait for a turn of the layer.
            moved = await next_message(audience, within=2)
            assert (moved["tour"], moved["step"]) == ("control-plane", step)


async def test_a_class_of_two_hundred_and_fifty_joins_one_worker_at_once(workers):
    first, second = workers
    opener, room, token = presenter_session(first)
    follow_url = second.url.replace("http://", "ws://") + f"/ws/follow/{room}/"
    audience = await asyncio.gather(*(connect(follow_url, open_timeout=60) for _ in range(250)))
    try:
        joined = await asyncio.gather(*(next_message(socket) for socket in audience))
        assert {m["type"] for m in joined} == {"state"}
        request = urllib.request.Request(
            f"{first.url}/follow/{room}/state/",
            data=json.dumps({"tour": "worker-node", "step": 2}).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        await asyncio.to_thread(lambda: opener.open(request, timeout=15).close())
        moved = await asyncio.gather(*(next_message(socket) for socket in audience))
        assert {(m["tour"], m["step"]) for m in moved} == {("worker-node", 2)}
    finally:
        await asyncio.gather(*(socket.close() for socket in audience))
