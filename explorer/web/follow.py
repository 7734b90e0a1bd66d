"""`/ws/follow/<room>/`: the audience's socket. It receives the presenter's moves; it cannot make any."""

from __future__ import annotations

import json
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path

__all__ = ["FollowConsumer", "follow_group", "websocket_urlpatterns"]


def follow_group(room: str) -> str:
    return f"explorer.follow.{room}"


class FollowConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        from explorer.web.models import Room  # models load only once Django is set up

        self.room = str(self.scope["url_route"]["kwargs"]["room"])
        found = await Room.objects.filter(slug=self.room).afirst()
        if found is None:
            await self.close(code=4404)
            return
        await self.channel_layer.group_add(follow_group(self.room), self.channel_name)
        await self.accept()
        # A late joiner lands on the current step at once.
        await self.send(text_data=json.dumps(found.follow_state()))

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "room"):
            await self.channel_layer.group_discard(follow_group(self.room), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # The audience follows; whatever it sends is refused, and nothing moves.
        await self.send(text_data=json.dumps({"type": "refused", "message": "only the presenter can move this room"}))

    async def follow_state(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(event["state"]))


websocket_urlpatterns = [path("ws/follow/<slug:room>/", FollowConsumer.as_asgi())]
