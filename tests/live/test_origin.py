"""A WebSocket's Origin must be the handshake's own origin: scheme, host and port (explorer.live.security)."""

import pytest
from channels.testing import WebsocketCommunicator

from explorer.asgi import application
from explorer.live.security import same_origin

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


def scope(host: str, scheme: str = "ws", **headers: str) -> dict:
    extra = [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"scheme": scheme, "headers": [(b"host", host.encode()), *extra]}


@pytest.mark.parametrize(
    ("host", "scheme", "origin", "allowed"),
    [
        ("127.0.0.1:8000", "ws", "http://127.0.0.1:8000", True),
        ("localhost:8000", "ws", "http://LOCALHOST:8000", True),
        ("127.0.0.1", "ws", "http://127.0.0.1:80", True),
        ("127.0.0.1:8000", "ws", "http://127.0.0.1:9000", False),  # another port is another origin
        ("127.0.0.1:8000", "ws", "http://127.0.0.1", False),
        ("127.0.0.1:8000", "ws", "https://127.0.0.1:8000", False),  # another scheme too
        ("127.0.0.1:443", "wss", "https://127.0.0.1", True),
        ("127.0.0.1:8000", "ws", "http://localhost:8000", False),
        ("evil.example:8000", "ws", "http://evil.example:8000", False),  # a host not in ALLOWED_HOSTS
        ("127.0.0.1:8000", "ws", "null", False),
        ("127.0.0.1:8000", "ws", "file://", False),
        ("127.0.0.1:8000", "ws", "http://127.0.0.1:99999", False),
        ("", "ws", "http://127.0.0.1:8000", False),
    ],
)
def test_only_the_handshakes_own_origin_is_the_same_origin(host, scheme, origin, allowed):
    assert same_origin(scope(host, scheme), origin) is allowed


def test_a_trusted_proxy_says_which_scheme_the_browser_used(settings):
    behind = scope("127.0.0.1", "ws", x_forwarded_proto="https")
    assert not same_origin(behind, "https://127.0.0.1")
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert same_origin(behind, "https://127.0.0.1")
    assert not same_origin(behind, "http://127.0.0.1")


def test_csrf_trusted_origins_may_connect_with_their_exact_port(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://explorer.example.org:8443"]
    assert same_origin(scope("127.0.0.1:8000"), "https://explorer.example.org:8443")
    assert not same_origin(scope("127.0.0.1:8000"), "https://explorer.example.org")


async def test_a_page_on_another_port_of_this_host_cannot_open_the_socket():
    headers = [(b"origin", b"http://127.0.0.1:9999"), (b"host", b"127.0.0.1:8000")]
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_client_without_an_origin_is_no_browser_and_may_connect():
    communicator = WebsocketCommunicator(application, "/ws/events/")
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "snapshot"
    await communicator.disconnect()
