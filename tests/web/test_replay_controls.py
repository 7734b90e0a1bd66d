"""A replay in the page: its own controls, driven through `/api/sim/` as the simulation's are."""

from __future__ import annotations

import asyncio
import json

import pytest
from bs4 import BeautifulSoup
from django.test import AsyncClient

from explorer.live.runtime import get_runtime
from tests.sources.replay.test_replay import incident, simulated_recording

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


@pytest.fixture
def replay(settings, tmp_path):
    settings.EXPLORER_SOURCE = "replay"
    settings.EXPLORER_REPLAY_FILE = str(simulated_recording(tmp_path / "incident.jsonl"))
    settings.EXPLORER_SPEED = 1.0
    return settings


async def command(client: AsyncClient, token: str, payload: dict) -> dict:
    response = await client.post(
        "/api/sim/", json.dumps(payload), content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200, response.content
    return response.json()


async def test_the_page_shows_the_replays_controls_waiting_at_the_start(replay):
    page = BeautifulSoup((await AsyncClient().get("/")).content, "html.parser")
    controls = page.find(id="sim-controls")
    assert controls["data-kind"] == "replay"
    assert controls["data-paused"] == "true"
    assert page.find(id="replay-play")
    assert not page.find(id="node-down")  # the simulation's fault controls have nothing to act on
    slider = page.find(id="replay-position")
    assert (slider["min"], slider["value"]) == ("0", "0.0")
    assert float(slider["max"]) > 50
    assert any("NodeNotReady" in b.get_text() for b in page.select(".replay-marks button"))
    assert page.find(id="replay-loop") is not None


async def test_the_api_drives_the_replay_and_a_seek_back_brings_the_earlier_state(replay):
    client = AsyncClient(enforce_csrf_checks=True)
    status = await client.get("/api/sim/")
    token = status.cookies["csrftoken"].value
    assert status.json()["kind"] == "replay"
    assert status.json()["paused"] is True

    await command(client, token, {"action": "seek", "to": 80})
    await asyncio.sleep(0.05)
    state = (await client.get("/api/state.json")).json()
    nodes = {c["id"]: c["status"] for c in state["components"] if c["kind"] == "node"}
    assert nodes["node/worker-1"] == "NotReady"

    status = await command(client, token, {"action": "seek", "to": 5})
    await asyncio.sleep(0.05)
    state = (await client.get("/api/state.json")).json()
    nodes = {c["id"]: c["status"] for c in state["components"] if c["kind"] == "node"}
    assert nodes["node/worker-1"] == "Ready"
    runtime = await get_runtime()
    assert (await runtime.snapshot()).state.components == incident(5.0).engine.state().components
    assert status["clock"] == 5.0
    assert (await command(client, token, {"action": "loop", "value": True}))["loop"] is True


async def test_an_htmx_command_answers_the_redrawn_controls(replay):
    client = AsyncClient(enforce_csrf_checks=True)
    token = (await client.get("/api/sim/")).cookies["csrftoken"].value
    response = await client.post(
        "/api/sim/", {"action": "resume"}, headers={"X-CSRFToken": token, "HX-Request": "true"}
    )
    controls = BeautifulSoup(response.content, "html.parser").find(id="sim-controls")
    assert controls["data-paused"] == "false"
    assert controls.find(id="replay-pause")
    response = await client.post(
        "/api/sim/", {"action": "scenario", "name": "x"}, headers={"X-CSRFToken": token, "HX-Request": "true"}
    )
    assert response.status_code == 400
    assert "the replay takes these actions" in response.content.decode()


async def test_the_replays_controls_speak_chinese(replay):
    response = await AsyncClient().get("/", headers={"Accept-Language": "zh-hans"})
    page = BeautifulSoup(response.content, "html.parser")
    controls = page.find(id="sim-controls")
    text = controls.get_text(" ", strip=True)
    assert "回放" in text
    assert "录制中的位置" in text
    for english in ("Replay", "Position in the recording", "events in the recording", "Loop"):
        assert english not in text


@pytest.fixture
def broken_replay(settings, tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"type": "snapshot", "seq": 0, "components": []}\nnot json\n')
    settings.EXPLORER_SOURCE = "replay"
    settings.EXPLORER_REPLAY_FILE = str(path)
    return settings


# Scaled out, a hub whose source cannot start exits and says why (runexplorer); the page then says the hub is down.
@pytest.mark.embedded_only
async def test_a_source_that_failed_to_start_does_not_say_all_is_well(broken_replay):
    page = BeautifulSoup((await AsyncClient().get("/")).content, "html.parser")
    assert "broken.jsonl line 2" in page.find(id="source-error").get_text()
    problems = page.find(id="problems")
    assert problems.select(".no-data")
    assert "Nothing is wrong" not in problems.get_text()
    assert "broken.jsonl line 2" in page.find(id="live-status")["data-source-error"]
    assert page.find(id="sim-controls") is None  # nothing to steer

    fragment = BeautifulSoup((await AsyncClient().get("/dashboard/status/")).content, "html.parser")
    assert fragment.select("#problems .no-data")
    assert "Nothing is wrong" not in fragment.get_text()


async def test_a_working_source_is_not_said_to_have_failed(replay):
    page = BeautifulSoup((await AsyncClient().get("/")).content, "html.parser")
    assert page.find(id="source-error") is None
    assert not page.find(id="live-status").has_attr("data-source-error")
    assert not page.select("#problems .no-data")
