"""The first lists of a large cluster: their progress while they load, and a clear word when one does not decode."""

from __future__ import annotations

import asyncio

import pytest

from explorer.sources.base import SourceError
from explorer.sources.kube.client import COLLECTIONS
from tests.sources.kube.apiserver import FakeApiServer, load
from tests.sources.kube.test_source import component, make_source, seed_kind_cluster, until


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
    assert {p["collections"] for p in seen} == {len(COLLECTIONS)}  # every listed collection, events too
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


def pages_read(api: FakeApiServer) -> list[str]:
    return [p for _, p in api.requests if p.startswith("/api/v1/pods") and "continue=" in p]


async def test_a_relist_in_many_pages_drops_only_what_went_away(api, tmp_path):
    source = make_source(api.kubeconfig(tmp_path / "config"), page_size=2)
    state = await source.start()
    stream = source.changes()
    try:
        gone = "pod/kube-system/coredns-558bd4d5db-vzb6x"
        kept = "pod/kube-system/coredns-558bd4d5db-gv559"
        assert {gone, kept} <= set(state.components)
        with api.lock:  # deleted while the history was compacted: only a fresh list can tell
            del api.collections["pods"].items[("kube-system", "coredns-558bd4d5db-vzb6x")]
            api.version += 1
            first_list = len(pages_read(api))
        api.expire("pods")
        removed = await until(stream, lambda c: component(c, gone))
        assert removed.type.value == "removed"
        assert len(pages_read(api)) - first_list >= 3  # the relist came in pages of two, as the first list did
        assert kept in source.index.components
        assert gone not in source.index.components
    finally:
        await source.close()
