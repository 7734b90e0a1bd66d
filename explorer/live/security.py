"""Origin checks for WebSockets, by the rule Django's CSRF check applies to a POST.

Browsers always send Origin on a WebSocket handshake. A page's own socket
comes from the same origin as the handshake: the same scheme (`http` for a
`ws:` socket, `https` for `wss:`, or what a trusted proxy says in
X-Forwarded-Proto when DJANGO_BEHIND_PROXY is on), the same host and the same
port as the Host header, which must itself be one of ALLOWED_HOSTS. An origin
listed in CSRF_TRUSTED_ORIGINS (scheme, host and port) may connect too. Any
other page is refused, whatever its port. A client with no Origin at all (a
script, a monitoring probe) is not a browser being hijacked and may connect,
as it may GET /api/state.json.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

__all__ = ["BrowserOriginValidator", "same_origin"]

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_tuple(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the scheme's port filled in; None for anything that is not http(s)."""
    if scheme not in DEFAULT_PORTS:
        return None
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or DEFAULT_PORTS[scheme]


def _headers(scope: dict[str, Any]) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", [])}


def _handshake_scheme(scope: dict[str, Any], headers: dict[bytes, bytes]) -> str:
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name = proxy_header[0].removeprefix("HTTP_").replace("_", "-").lower().encode("latin1")
        forwarded = headers.get(name, b"").decode("latin1").split(",")[0].strip()
        if forwarded:
            return "https" if forwarded == proxy_header[1] else "http"
    return "https" if scope.get("scheme") in {"wss", "https"} else "http"


def same_origin(scope: dict[str, Any], origin: str) -> bool:
    """Whether a browser page at `origin` may open this socket."""
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    theirs = _origin_tuple(parts.scheme.lower(), parts.netloc)
    if theirs is None:
        return False
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        allowed = urlsplit(trusted)
        if "*" not in allowed.netloc and _origin_tuple(allowed.scheme.lower(), allowed.netloc) == theirs:
            return True
    headers = _headers(scope)
    host = headers.get(b"host", b"").decode("latin1").strip()
    domain, _ = split_domain_port(host)
    hosts = settings.ALLOWED_HOSTS or ([".localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    if not domain or not validate_host(domain, hosts):
        return False
    return _origin_tuple(_handshake_scheme(scope, headers), host) == theirs


class BrowserOriginValidator:
    def __init__(self, application: Any):
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        origin = _headers(scope).get(b"origin")
        if origin is None or same_origin(scope, origin.decode("latin1")):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
