"""WebSocket URL patterns."""

from django.urls import path

from explorer.live.consumers import EventsConsumer

websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
]
