"""A client that stops reading its socket, against a real daphne serving the explorer."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
import time
import urllib.request

from websockets.asyncio.client import connect

from tests.conftest import ServerProcess

TCP_ESTABLISHED = 1


def open_and_stop_reading(port: int) -> socket.socket:
    """A WebSocket handshake on a socket with a tiny receive buffer, and then never another read."""
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    stalled.sendall(
        (
            f"GET /ws/events/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://127.0.0.1:{port}\r\n\r\n"
        ).encode()
    )
    assert stalled.recv(12) == b"HTTP/1.1 101"
    return stalled


def tcp_state(sock: socket.socket) -> int:
    return struct.unpack("B", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1))[0]


def state_seq(server: ServerProcess) -> int:
    with urllib.request.urlopen(f"{server.url}/api/state.json", timeout=10) as response:
        return json.load(response)["seq"]


async def test_a_client_that_stops_reading_holds_back_nobody_and_is_dropped(tmp_path):
    # daphne's keepalive (a ping after 20 s without traffic from the client, 30 s for
    # the pong) is shortened here to 1 s and 2 s, so the test waits seconds, not a minute.
    server = ServerProcess(
        database=tmp_path / "explorer.sqlite3", daphne_args=("--ping-interval", "1", "--ping-timeout", "2")
    )
    try:
        stalled = open_and_stop_reading(server.port)
        async with connect(server.url.replace("http://", "ws://") + "/ws/events/") as healthy:
            seq = first = json.loads(await healthy.recv())["seq"]
            await asyncio.to_thread(server.sim, {"action": "scenario", "name": "scale-up"})
            await asyncio.to_thread(server.sim, {"action": "speed", "value": 100})
            started = time.monotonic()
            dropped = False
            while time.monotonic() - started < 6:
                with contextlib.suppress(TimeoutError):
                    message = json.loads(await asyncio.wait_for(healthy.recv(), 1))
                    if message["type"] != "status":
                        assert message["type"] == "snapshot" or message["seq"] == seq + 1
                        seq = message["seq"]
                dropped = dropped or tcp_state(stalled) != TCP_ESTABLISHED
            await asyncio.to_thread(server.sim, {"action": "pause"})
            final = await asyncio.to_thread(state_seq, server)
            # The reader keeps up, in order, to the hub's last change...
            while seq < final:
                message = json.loads(await asyncio.wait_for(healthy.recv(), 10))
                if message["type"] != "status":
                    assert message["type"] == "snapshot" or message["seq"] == seq + 1
                    seq = message["seq"]
            assert seq == final
            assert final - first > 100, "the cluster was busy while the other client stalled"
        # ...and the server let go of the client that stopped reading: its buffer cannot grow forever.
        assert dropped, "the stalled connection is still open"
        stalled.close()
    finally:
        server.stop()
