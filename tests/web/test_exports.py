"""Exports are cheap to repeat: cached by (format, view, namespace, seq), rendered apart from the pages, bounded."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from django.test import AsyncClient

from explorer.live.runtime import get_runtime
from explorer.web import exports

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def paused_client() -> AsyncClient:
    client = AsyncClient()
    response = await client.post("/api/sim/", json.dumps({"action": "pause"}), content_type="application/json")
    assert response.status_code == 200
    return client


async def renders() -> int:
    return exports.exports_of(await get_runtime()).renders


@pytest.mark.parametrize("fmt", ["svg", "dot", "png"])
async def test_an_export_asked_again_is_not_drawn_again(fmt):
    client = await paused_client()
    first = await client.get(f"/diagram/storage.{fmt}")
    assert first.status_code == 200
    before = await renders()
    again = await client.get(f"/diagram/storage.{fmt}")
    assert again.content == first.content
    assert again["X-Explorer-Seq"] == first["X-Explorer-Seq"]
    assert await renders() == before
    # Another namespace is another export.
    await client.get(f"/diagram/storage.{fmt}?namespace=default")
    assert await renders() == before + 1


async def test_many_asking_at_once_for_one_export_share_one_render():
    client = await paused_client()
    before = await renders()
    answers = await asyncio.gather(*(client.get("/diagram/overview.png") for _ in range(8)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert await renders() == before + 1


async def test_a_change_in_the_cluster_is_a_new_export():
    client = await paused_client()
    first = await client.get("/diagram/overview.dot")
    await client.post(
        "/api/sim/", json.dumps({"action": "node-down", "node": "worker-1"}), content_type="application/json"
    )
    for _ in range(100):  # until the hub has numbered the changes
        second = await client.get("/diagram/overview.dot")
        if int(second["X-Explorer-Seq"]) > int(first["X-Explorer-Seq"]):
            break
        await asyncio.sleep(0.05)
    assert int(second["X-Explorer-Seq"]) > int(first["X-Explorer-Seq"])
    assert second.content != first.content


async def test_a_flood_of_exports_waits_its_turn_or_gets_a_503_and_pages_are_drawn_meanwhile(monkeypatch):
    client = await paused_client()
    release = threading.Event()
    drawing = threading.Event()

    def slow_png(state, view, *language):
        drawing.set()
        release.wait(10)
        return b"png of " + view.encode()

    monkeypatch.setattr(exports, "render_png", slow_png)
    urls = [f"/diagram/{view}.png" for view in ("overview", "storage", "control-plane", "nodes/cp-1")]
    urls += [f"/diagram/nodes/worker-{n}.png" for n in (1, 2, 3)] + ["/diagram/overview.png?namespace=default"]
    flood = [asyncio.ensure_future(client.get(url)) for url in urls]
    await asyncio.to_thread(drawing.wait, 10)
    await asyncio.sleep(0.2)  # every request of the flood has come in
    try:
        # Pages render in the shared pool: the export worker being stuck does not hold them up.
        page = await asyncio.wait_for(client.get("/view/storage/"), timeout=30)
        assert page.status_code == 200
        turned_away = [f.result() for f in flood if f.done()]
        assert len(turned_away) == len(urls) - exports.EXPORT_WORKERS - exports.EXPORT_QUEUE
        assert {r.status_code for r in turned_away} == {503}
        assert turned_away[0]["Retry-After"] == "5"
    finally:
        release.set()
    answers = await asyncio.gather(*flood)
    assert sum(a.status_code == 200 for a in answers) == exports.EXPORT_WORKERS + exports.EXPORT_QUEUE


async def test_junk_in_an_export_request_is_a_clear_4xx():
    client = AsyncClient()
    assert (await client.get("/diagram/nope.png")).status_code == 404
    assert (await client.get("/diagram/nodes/nope.png")).status_code == 404
    long = await client.get("/diagram/overview.svg?namespace=" + "n" * 64)
    assert long.status_code == 400
