"""Who may drive (EXPLORER_CONTROLS): anyone, the presenter (or staff), or nobody."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from bs4 import BeautifulSoup
from django.test import AsyncClient, RequestFactory
from django.utils import timezone

from explorer.web.access import resolve_access
from explorer.web.models import PresenterToken, Room

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

ROOT = Path(__file__).resolve().parents[2]
PAUSE = json.dumps({"action": "pause"})


@pytest.fixture
def presenter_mode(settings):
    settings.EXPLORER_CONTROLS = "presenter"
    settings.EXPLORER_CONTROLS_LOOPBACK_CLIENTS = False


async def presenter_client() -> AsyncClient:
    client = AsyncClient()
    token = await sync_to_async(PresenterToken.issue)()
    assert (await client.get(f"/follow/start/?token={token}")).status_code == 302
    return client


def controls_of(page: bytes) -> tuple[bool, str]:
    """(whether the simulation's controls are disabled, the note that says why)."""
    soup = BeautifulSoup(page, "html.parser")
    fieldset = soup.select_one("#sim-controls fieldset.controls")
    note = soup.select_one("#sim-controls #controls-note")
    return fieldset.has_attr("disabled"), note.get_text(strip=True) if note else ""


@pytest.mark.usefixtures("presenter_mode")
async def test_an_anonymous_visitor_sees_the_controls_disabled_and_is_refused_with_the_reason():
    client = AsyncClient()
    disabled, note = controls_of((await client.get("/")).content)
    assert disabled
    assert note == "Only the presenter drives the cluster here: you follow along."
    refused = await client.post("/api/sim/", PAUSE, content_type="application/json")
    assert refused.status_code == 403
    assert "Only the presenter drives" in refused.json()["error"]
    form = await client.post("/api/sim/", {"action": "node-down", "node": "worker-1"}, headers={"HX-Request": "true"})
    assert form.status_code == 403
    # Everyone still reads the simulation's status, as the page shows it.
    assert (await client.get("/api/sim/")).json()["paused"] is False
    # The contexts are for those who may switch to them.
    assert (await client.get("/api/contexts/")).status_code == 403


@pytest.mark.usefixtures("presenter_mode")
async def test_the_presenters_session_drives():
    client = await presenter_client()
    disabled, note = controls_of((await client.get("/")).content)
    assert not disabled
    assert note == ""
    response = await client.post("/api/sim/", PAUSE, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["paused"] is True
    # The audience of that room does not.
    assert (await AsyncClient().post("/api/sim/", PAUSE, content_type="application/json")).status_code == 403


@pytest.mark.usefixtures("presenter_mode")
async def test_a_staff_login_drives():
    from django.contrib.auth.models import User

    staff = await User.objects.acreate(username="teacher", is_staff=True)
    client = AsyncClient()
    await client.aforce_login(staff)
    assert (await client.post("/api/sim/", PAUSE, content_type="application/json")).status_code == 200


@pytest.mark.usefixtures("presenter_mode")
async def test_a_presenters_right_to_drive_ends_with_their_room(settings):
    client = await presenter_client()
    assert (await client.post("/api/sim/", PAUSE, content_type="application/json")).status_code == 200
    old = timezone.now() - timedelta(hours=settings.EXPLORER_PRESENTER_HOURS, minutes=1)
    await Room.everything.all().aupdate(created=old)
    assert (await client.post("/api/sim/", PAUSE, content_type="application/json")).status_code == 403


async def test_presenter_tokens_and_rooms_expire_after_explorer_presenter_hours(settings):
    old = timezone.now() - timedelta(hours=settings.EXPLORER_PRESENTER_HOURS, minutes=1)
    token = await sync_to_async(PresenterToken.issue)()
    await PresenterToken.everything.all().aupdate(created=old)
    assert (await AsyncClient().get(f"/follow/start/?token={token}")).status_code == 403
    room = await sync_to_async(Room.open)()
    await Room.everything.filter(pk=room.pk).aupdate(created=old)
    assert (await AsyncClient().get(f"/follow/{room.slug}/")).status_code == 404
    # Expired rows are swept away when the next token is issued or room opened.
    await sync_to_async(PresenterToken.issue)()
    await sync_to_async(Room.open)()
    assert await PresenterToken.everything.acount() == 1
    assert await Room.everything.acount() == 1


def test_a_presenters_session_lasts_as_long_as_a_room(settings):
    assert settings.SESSION_COOKIE_AGE == settings.EXPLORER_PRESENTER_HOURS * 3600 <= 24 * 3600


async def test_with_the_controls_off_nobody_drives(settings):
    settings.EXPLORER_CONTROLS = "off"
    client = await presenter_client()
    disabled, note = controls_of((await client.get("/")).content)
    assert disabled
    assert "switched off" in note
    assert (await client.post("/api/sim/", PAUSE, content_type="application/json")).status_code == 403


async def test_open_controls_let_anyone_drive(settings):
    settings.EXPLORER_CONTROLS = "open"
    settings.EXPLORER_CONTROLS_LOOPBACK_CLIENTS = False
    response = await AsyncClient().post("/api/sim/", PAUSE, content_type="application/json")
    assert response.status_code == 200


@pytest.mark.parametrize(("address", "drives"), [("127.0.0.1", True), ("::1", True), ("192.168.1.20", False)])
async def test_open_by_default_lets_only_this_machine_drive(settings, address, drives):
    settings.EXPLORER_CONTROLS = "open"
    settings.EXPLORER_CONTROLS_LOOPBACK_CLIENTS = True
    request = RequestFactory().get("/", REMOTE_ADDR=address)
    request.session = {}
    assert (await resolve_access(request)).may_drive is drives


@pytest.mark.usefixtures("presenter_mode")
async def test_a_tours_try_it_is_disabled_for_the_audience_and_never_holds_next_back():
    page = BeautifulSoup((await AsyncClient().get("/tours/node-failure/2/")).content, "html.parser")
    assert page.find(id="try-it").has_attr("disabled")
    assert "Only the presenter" in page.find(id="controls-note").get_text()
    assert "waiting" not in (page.find(id="tour-next").get("class") or [])


def settings_for(**env: str) -> dict[str, object]:
    """The settings a fresh process reads from this environment."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'controls': s.EXPLORER_CONTROLS, 'loopback_clients': s.EXPLORER_CONTROLS_LOOPBACK_CLIENTS}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EXPLORER_"))}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "explorer.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_the_controls_are_open_by_default_only_on_loopback(tmp_path):
    assert settings_for() == {"controls": "open", "loopback_clients": True}
    lan = settings_for(DJANGO_ALLOWED_HOSTS="192.168.1.10,explorer.lan", EXPLORER_DB_PATH=str(tmp_path / "db"))
    assert lan == {"controls": "presenter", "loopback_clients": False}
    chosen = settings_for(
        DJANGO_ALLOWED_HOSTS="explorer.lan", EXPLORER_CONTROLS="open", EXPLORER_DB_PATH=str(tmp_path / "db")
    )
    assert chosen == {"controls": "open", "loopback_clients": False}


@pytest.mark.usefixtures("presenter_mode")
async def test_the_audience_sees_a_replays_controls_disabled_too(settings, tmp_path):
    from tests.sources.replay.test_replay import simulated_recording

    settings.EXPLORER_SOURCE = "replay"
    settings.EXPLORER_REPLAY_FILE = str(simulated_recording(tmp_path / "incident.jsonl"))
    page = BeautifulSoup((await AsyncClient().get("/")).content, "html.parser")
    controls = page.find(id="sim-controls")
    assert controls["data-kind"] == "replay"
    assert controls.select_one("fieldset.controls").has_attr("disabled")
    assert "Only the presenter" in controls.find(id="controls-note").get_text()
    refused = await AsyncClient().post("/api/sim/", json.dumps({"action": "resume"}), content_type="application/json")
    assert refused.status_code == 403
