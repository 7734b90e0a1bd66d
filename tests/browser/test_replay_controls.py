"""A replay a teacher can steer: it waits at its start, plays, pauses, seeks back, and plays the failure again.

The recording is the simulator's node-failure scenario run headless
(`manage.py simulate`), played by a real daphne with EXPLORER_SOURCE=replay.
"""

from __future__ import annotations

import re
import time

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.conftest import ServerProcess

pytestmark = pytest.mark.browser

WORKER = '[id="node/worker-2"]'
# worker-2 loses power at 60 s and is marked NotReady 50 s later: at about 115 s on the recording's clock.
BEFORE_THE_FAILURE = 30


@pytest.fixture(scope="module")
def replay_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replay")
    recording = folder / "node-failure.jsonl"
    with recording.open("w") as out:
        # To 420 s: the evictions after the failure keep the recording going a few seconds at 100x.
        call_command("simulate", scenario="node-failure", seed=7, duration=420, stdout=out)
    process = ServerProcess(
        env={"EXPLORER_SOURCE": "replay", "EXPLORER_REPLAY_FILE": str(recording), "EXPLORER_SPEED": "100"},
        database=folder / "explorer.sqlite3",
    )
    yield process
    process.stop()


def seek(page, seconds: float) -> None:
    """Move the slider as a person does: drag (input), let go (change)."""
    page.evaluate(
        """(seconds) => {
            const slider = document.getElementById("replay-position");
            slider.value = String(seconds);
            slider.dispatchEvent(new Event("input", {bubbles: true}));
            slider.dispatchEvent(new Event("change", {bubbles: true}));
        }""",
        seconds,
    )


def test_pause_seek_back_before_a_node_failure_and_play_it_again(replay_server, page, artifacts):
    page.goto(replay_server.url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    controls = page.locator("#sim-controls")
    expect(controls).to_have_attribute("data-kind", "replay")
    expect(controls).to_have_attribute("data-paused", "true")
    worker = page.locator(WORKER)

    # It waits at its first line: at 100x the failure would be over within two seconds.
    time.sleep(2)
    expect(worker).to_have_class(re.compile(r"\bhealth-ok\b"))
    expect(page.locator("#replay-position")).to_have_value("0")

    # 50x: the failure shows 2 s after play, and the recording runs on 6 s more, time enough to pause.
    page.select_option("#sim-speed", "50.0")
    expect(controls).to_have_attribute("data-speed", "50.0")
    page.click("#replay-play")
    expect(controls).to_have_attribute("data-paused", "false")
    expect(worker).to_have_class(re.compile(r"\bhealth-error\b"), timeout=10000)
    page.screenshot(path=str(artifacts / "replay-failed.png"))

    page.click("#replay-pause")
    expect(controls).to_have_attribute("data-paused", "true")
    seek(page, BEFORE_THE_FAILURE)
    expect(controls).to_have_attribute("data-clock", f"{BEFORE_THE_FAILURE}.0")
    expect(worker).to_have_class(re.compile(r"\bhealth-ok\b"))
    expect(page.locator("#replay-clock")).to_have_text("2026-01-01T09:00:30.000Z")
    page.screenshot(path=str(artifacts / "replay-sought-back.png"))

    page.click("#replay-play")
    expect(worker).to_have_class(re.compile(r"\bhealth-error\b"), timeout=10000)
    # The slider went forward with the recording.
    assert float(page.locator("#replay-position").input_value()) > BEFORE_THE_FAILURE


def test_a_mark_on_the_recordings_clock_seeks_to_its_event(replay_server, page):
    replay_server.sim({"action": "pause"})
    page.goto(replay_server.url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.click("#replay-rewind")
    expect(page.locator(WORKER)).to_have_class(re.compile(r"\bhealth-ok\b"))
    page.click(".replay-marks summary")
    page.locator(".replay-marks button", has_text="NodeNotReady").first.click()
    expect(page.locator(WORKER)).to_have_class(re.compile(r"\bhealth-error\b"))
    expect(page.locator("#sim-controls")).to_have_attribute("data-paused", "true")


def test_a_broken_recording_shows_its_error_and_neither_live_nor_all_well(tmp_path, page):
    recording = tmp_path / "broken.jsonl"
    recording.write_text('{"type": "snapshot", "seq": 0, "components": []}\n{"type": "updated"}\n')
    server = ServerProcess(
        env={"EXPLORER_SOURCE": "replay", "EXPLORER_REPLAY_FILE": str(recording)},
        database=tmp_path / "explorer.sqlite3",
    )
    try:
        page.goto(server.url)
        expect(page.locator("#source-error")).to_contain_text("broken.jsonl line 2")
        status = page.locator("#live-status")
        expect(status).to_have_attribute("data-state", "failed")
        expect(status).to_have_text("no data")
        expect(page.locator("#problems")).not_to_contain_text("Nothing is wrong")
        page.wait_for_timeout(1000)  # the problems list asks again after the snapshot: still not all well
        expect(page.locator("#problems")).not_to_contain_text("Nothing is wrong")
        expect(status).to_have_attribute("data-state", "failed")
    finally:
        server.stop()
