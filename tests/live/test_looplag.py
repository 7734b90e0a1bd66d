"""/healthz fails (503) while the event loop lags a second or more, and is 200 again once it keeps up."""

import asyncio
import time

import pytest
from django.test import AsyncClient

from explorer.live import looplag

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def test_healthz_answers_503_while_the_loop_lags_and_200_once_it_keeps_up(monkeypatch):
    client = AsyncClient()
    assert (await client.get("/healthz")).status_code == 200
    await asyncio.sleep(2 * looplag.INTERVAL)  # the watch is ticking
    healthy = await client.get("/healthz")
    assert 0 <= int(healthy["X-Loop-Lag-Ms"]) < looplag.STUCK * 1000
    time.sleep(looplag.STUCK + 0.2)  # noqa: ASYNC251 - holding the loop on purpose, as a runaway command once did
    await asyncio.sleep(2 * looplag.INTERVAL)
    stuck = await client.get("/healthz")
    assert stuck.status_code == 503
    assert stuck.json()["status"] == "lagging"
    assert stuck.json()["loop_lag_ms"] >= looplag.STUCK * 1000
    # The lag counts for WINDOW seconds, then the probe passes again.
    monkeypatch.setattr(looplag, "WINDOW", 0.3)
    await asyncio.sleep(0.5)
    assert (await client.get("/healthz")).status_code == 200


async def test_a_tick_overdue_right_now_counts_too():
    lag = looplag.LoopLag()
    lag.ensure_started()
    await asyncio.sleep(2 * looplag.INTERVAL)
    lag.last_tick -= 5  # as if the loop had not turned for five seconds
    assert lag.lag() >= 4.5
    await lag.stop()
