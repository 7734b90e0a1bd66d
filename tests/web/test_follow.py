"""Presenter-follow: a presenter opens a room, the audience follows and cannot drive."""

import json

import pytest
from channels.testing import WebsocketCommunicator
from django.core.management import call_command
from django.test import AsyncClient

from explorer.asgi import application
from explorer.web.models import Room

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


def issue_token() -> str:
    from io import StringIO

    out = StringIO()
    call_command("presenter_token", stdout=out)
    return out.getvalue().strip().split("token=")[1]


async def open_room(client: AsyncClient) -> str:
    from asgiref.sync import sync_to_async

    token = await sync_to_async(issue_token)()
    response = await client.get(f"/follow/start/?token={token}")
    assert response.status_code == 302
    return response["Location"].split("room=")[1]


async def move(client: AsyncClient, room: str, tour: str, step: int):
    await client.get("/tours/")  # the csrftoken cookie
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return await client.post(
        f"/follow/{room}/state/",
        json.dumps({"tour": tour, "step": step}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )


async def test_a_token_opens_one_room_once():
    presenter = AsyncClient()
    from asgiref.sync import sync_to_async

    token = await sync_to_async(issue_token)()
    first = await presenter.get(f"/follow/start/?token={token}")
    assert first.status_code == 302
    assert "room=" in first["Location"]
    again = await AsyncClient().get(f"/follow/start/?token={token}")
    assert again.status_code == 403
    assert b"used already" in again.content
    assert (await AsyncClient().get("/follow/start/?token=forged")).status_code == 403


async def test_the_presenter_moves_the_room_and_followers_cannot():
    presenter = AsyncClient(enforce_csrf_checks=True)
    room = await open_room(presenter)
    response = await move(presenter, room, "control-plane", 3)
    assert response.status_code == 200
    assert response.json()["step"] == 3
    follower = AsyncClient(enforce_csrf_checks=True)
    refused = await move(follower, room, "control-plane", 1)
    assert refused.status_code == 403
    assert (await Room.objects.aget(slug=room)).state["step"] == 3


async def test_followers_land_on_the_current_step_and_follow_each_move():
    presenter = AsyncClient(enforce_csrf_checks=True)
    room = await open_room(presenter)
    await move(presenter, room, "control-plane", 2)

    late = WebsocketCommunicator(application, f"/ws/follow/{room}/")
    connected, _ = await late.connect()
    assert connected
    current = await late.receive_json_from(timeout=5)
    assert (current["tour"], current["step"]) == ("control-plane", 2)

    await move(presenter, room, "control-plane", 4)
    moved = await late.receive_json_from(timeout=5)
    assert (moved["type"], moved["step"]) == ("state", 4)

    await late.send_json_to({"type": "navigate", "tour": "control-plane", "step": 1})
    answer = await late.receive_json_from(timeout=5)
    assert answer["type"] == "refused"
    assert (await Room.objects.aget(slug=room)).state["step"] == 4
    await late.disconnect()


async def test_the_follow_page_shows_the_presenters_step():
    presenter = AsyncClient(enforce_csrf_checks=True)
    room = await open_room(presenter)
    await move(presenter, room, "control-plane", 3)
    page = (await AsyncClient().get(f"/follow/{room}/")).content.decode()
    assert 'data-step="3"' in page
    assert 'id="tour-next"' not in page  # the audience cannot drive


async def test_an_unknown_room_is_404_and_its_socket_is_refused():
    assert (await AsyncClient().get("/follow/nope/")).status_code == 404
    communicator = WebsocketCommunicator(application, "/ws/follow/nope/")
    connected, _ = await communicator.connect()
    assert not connected
