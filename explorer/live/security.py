"""Origin checks for WebSockets.

Browsers always send Origin on a WebSocket handshake, so a foreign page is
refused; a client with no Origin at all (a script, a monitoring probe) is not a
browser being hijacked and may connect, as it may GET /api/state.json.
"""

from typing import Any

from channels.security.websocket import OriginValidator
from django.conf import settings

__all__ = ["BrowserOriginValidator"]


class BrowserOriginValidator(OriginValidator):
    def __init__(self, application: Any):
        hosts = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not hosts:
            hosts = [".localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, hosts)

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True
        return bool(self.validate_origin(parsed_origin))
