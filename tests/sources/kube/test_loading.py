"""The first lists of a large cluster: their progress while they load, and a clear word when one does not decode."""

from __future__ import annotations

import asyncio

import pytest

from explorer.sources.base import SourceError
from tests.sources.kube.apiserver import FakeApiServer, load
from tests.sources.kube.test_source import make_source, seed_kind_cluster


@pytest.fixture
def api():
    server = FakeApiServer()
    seed_kind_cluster(server)
    yield server
    server.stop()


async def test_while_the_first_lists_load_the_source_says_how_far_it_got(api, tmp_path):
    api.list_delay = 0.15
    # Two objects a page: the kind cluster's 30-odd pods come in many slow pages.
    source = make_source(api.kubeconfig(tmp_path / "config"), page_size=2)
    assert source.loading() is None
    starting = asyncio.ensure_future(source.start())
    seen: list[dict[str, int]] = []
    try:
        while not starting.done():
            progress = source.loading()
            if progress is not None and (not seen or progress != seen[-1]):
                seen.append(progress)
            await asyncio.sleep(0.05)
        state = await starting
    finally:
        await source.close()
    assert seen, "no progress was reported while the lists loaded"
    assert {p["collections"] for p in seen} == {8}
    objects = [p["objects"] for p in seen]
    listed = [p["listed"] for p in seen]
    assert objects == sorted(objects)
    assert listed == sorted(listed)
    assert objects[-1] > objects[0]
    assert listed[0] < 8
    # Once the picture is there, there is no progress to show.
    assert source.loading() is None
    assert len(state) > 20


async def test_a_list_that_does_not_decode_says_which_and_where(api, tmp_path):
    pod = load("pods/pod-crashloopbackoff.json")[0]
    pod["status"]["containerStatuses"][0]["restartCount"] = "three"
    api.seed("pods", [pod])
    source = make_source(api.kubeconfig(tmp_path / "config"))
    with pytest.raises(SourceError) as failure:
        await source.start()
    message = str(failure.value)
    assert "not Kubernetes JSON" in message
    assert "pods at the cluster scope" in message
    assert "restartCount" in message
    assert source.loading() is None
