"""The ASGI application: Django for HTTP, Channels for WebSockets, on one port."""

import contextlib
import gc
import os

from django.core.asgi import get_asgi_application

with contextlib.suppress(ImportError):
    import autobahn.util

    # autobahn (under daphne) formats the debug-log arguments of every frame it sends
    # whether or not debug logging is on, and styles them through click when click is
    # importable (a development install has it): a fifth of a busy worker's CPU, spent
    # on log lines nobody reads. Plain text costs next to nothing.
    autobahn.util._HAS_CLICK = False

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "explorer.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402 - needs Django set up first

from explorer.live.looplag import WatchLoop  # noqa: E402
from explorer.live.routing import websocket_urlpatterns  # noqa: E402
from explorer.live.security import BrowserOriginValidator  # noqa: E402
from explorer.web.follow import websocket_urlpatterns as follow_urlpatterns  # noqa: E402
from explorer.web.staticfiles import StaticFilesHandler  # noqa: E402

application = WatchLoop(
    ProtocolTypeRouter(
        {
            # Static files come from the same process: the explorer must work offline
            # with nothing else installed (a classroom laptop), whatever DEBUG says.
            "http": StaticFilesHandler(django_asgi_app),
            "websocket": BrowserOriginValidator(URLRouter(websocket_urlpatterns + follow_urlpatterns)),
        }
    )
)

# Everything imported so far lives as long as the process: out of the collector's
# sight, a full collection (which a few hundred sockets connecting at once set off)
# pauses every socket for half as long.
gc.freeze()
