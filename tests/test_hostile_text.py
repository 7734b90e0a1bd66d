"""Nothing a cluster, a recording or a visitor sends can take the site down (issue #11).

One list of hostile strings goes through every source: the simulator's
`set-image` command and its scenario fields, a replay recording, and the kube
source reading the tests' local list/watch apiserver (pods, events, node
conditions, leases). Then every view renders as SVG, DOT and PNG; the SVG's
component elements are exactly the components drawn (nothing forged, no
phantom of Graphviz's port syntax), each with its own health and status; and
every page, panel and fragment answers 200, with no text longer than the cap.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from django.test import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.diagrams import DiagramRenderer, drawn_in, render_dot, render_png
from explorer.diagrams.paint import drawable
from explorer.diagrams.style import status_text
from explorer.live.runtime import get_runtime
from explorer.model import ClusterState, Event
from explorer.model.changes import apply_in_place, cap_state
from explorer.model.limits import TEXT_LIMIT, cap_text
from explorer.sources.replay import read_recording
from explorer.sources.simulated import Engine, get_scenario
from explorer.sources.simulated.scenarios import Scenario
from tests.sources.kube.apiserver import FakeApiServer, load
from tests.sources.kube.test_source import make_source, seed_kind_cluster, until

MESSAGE_100K = "m" * 100_000
LONG_REGISTRY = "r" * 20_000 + ".io"  # a host longer than Graphviz's 16384-byte quoted strings

HOSTILE = [
    "a.b\\",  # an odd backslash at the end: the DOT string never closes
    "a.b\\/x",
    "odd\\\\\\",
    'say "hi" \\" \\',
    "\\N \\G \\L \\E \\T \\H \\l \\n",  # Graphviz's escString sequences
    "line\nbreak\r\nand\ttab\x0bvt\x0cff\u2028ls\u2029ps",
    "nul\x00bell\x07esc\x1b[31mdel\x7fc1\x85\x9b",
    "emoji 🦄🚀 and 𝕏 outside the BMP",
    "lone \ud800 surrogates \udfff",
    "x.io@@h99999@@/y",  # shaped like the renderer's slot markers
    "fake.io@@s0@@/y",
    "@@d1@@@@t0@@@@i0@@",
    "localhost:5000/app:1",  # Graphviz reads `a:b` in an edge as node a, port b
    "host:port:n",
    LONG_REGISTRY + "/y",
    MESSAGE_100K,
    "<script>alert(1)</script>",
    "<<b>an HTML label</b>>",
    "&amp; &lt;x&gt; &foo; &#0; &#x1F600;",
    "]]><!-- --><![CDATA[",
    "\u202eevil\u202c right-to-left override",
    "cluster_x",
    "node",
    "edge",
    "subgraph",
    "",
]

SVG = "{http://www.w3.org/2000/svg}"
# Elements that stand for many components, or for a zone: ids of the renderer's own making.
SUMMARIES = ("pods-of/", "node-group/", "volumes-of/", "agents/", "zone/", "pods-unscheduled")
# What XML 1.0 cannot carry at all: an id with it shows U+FFFD there instead.
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def in_svg(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)


def image_of(text: str) -> str:
    """A hostile string as the simulator takes an image (no spaces, not empty)."""
    return text.replace(" ", "") or "x"


def views_of(state: ClusterState, nodes: int = 5) -> list[str]:
    names = sorted(c.name for c in state.of_kind("node") if "/" not in c.name and c.name)
    return ["overview", "control-plane", "storage", "network", *(f"nodes/{n}" for n in names[:nodes])]


def component_elements(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg.encode())
    return {g.get("id", ""): g for g in root.iter(f"{SVG}g") if "component" in (g.get("class") or "").split()}


def check_svg(state: ClusterState, view: str, svg: str) -> None:
    """The SVG's component elements are exactly those drawn, each with its own health and status; no phantoms."""
    drawn = {in_svg(c.id): c for c in drawn_in(state, view)}
    root = ET.fromstring(svg.encode())
    elements = component_elements(svg)
    assert set(elements) == set(drawn), view
    for eid, g in elements.items():
        c = drawn[eid]
        assert f"health-{c.health.value}" in (g.get("class") or "").split(), eid[:80]
        shown = [t.text for t in g.iter(f"{SVG}text") if t.get("class") == "status"]
        assert shown == [drawable(status_text(c.status, c.health))], eid[:80]
    for g in root.iter(f"{SVG}g"):
        if "node" in (g.get("class") or "").split():
            eid = g.get("id", "")
            assert eid in drawn or eid.startswith(SUMMARIES), (view, eid[:80])


def check_every_view(state: ClusterState, nodes: int = 4) -> None:
    renderer = DiagramRenderer()
    for view in views_of(state, nodes):
        check_svg(state, view, renderer.svg(state, view))
        assert render_dot(state, view).startswith("digraph")
        assert render_png(state, view).startswith(b"\x89PNG\r\n\x1a\n"), view


def assert_capped(text: str) -> None:
    """No text of the page is longer than the cap: the 100 KB message is cut."""
    assert "m" * (TEXT_LIMIT + 1) not in text
    assert "r" * (TEXT_LIMIT + 1) not in text


# -- the simulator -------------------------------------------------------------------------------------------


SIM_IMAGES = list(dict.fromkeys(image_of(h) for h in HOSTILE))


def test_hostile_images_set_through_the_simulator_render_every_view(engine):
    engine.run_until(30)
    for image in SIM_IMAGES:
        engine.command({"action": "set-image", "deployment": "default/web", "image": image})
        engine.run_until(engine.clock + 2)
    engine.run_until(engine.clock + 30)
    state = engine.state()
    assert "registry/localhost:5000" in state.components
    assert "registry/localhost" not in state.components
    assert f"registry/{LONG_REGISTRY}" in state.components
    check_every_view(state, nodes=1)
    check_every_view(cap_state(state), nodes=1)


def hostile_scenario() -> Scenario:
    """steady-state with hostile text in the fields a scenario sets: names, zones, labels, images, classes."""
    data = copy.deepcopy(get_scenario("steady-state").data)
    texts = itertools.cycle(h for h in HOSTILE if h and "/" not in h)
    data["cluster"]["name"] = 'evil\\ "cluster" @@s0@@'
    for node in data["cluster"]["nodes"]:
        node["zone"] = next(texts)
        node["labels"] = {"node.kubernetes.io/pool": next(texts), next(texts): next(texts)}
    data["storageClasses"][0]["provisioner"] = next(texts)
    web = data["workloads"][1]
    web["namespace"], web["name"], web["image"] = next(texts), next(texts), "localhost:5000/" + next(texts)
    data["missingImages"] = [web["image"]]  # its pods fail to pull: the message names the image
    return Scenario("hostile", "hostile text in every field", data)


def test_hostile_scenario_fields_render_every_view():
    engine = Engine(hostile_scenario(), seed=1)
    engine.run_until(90)
    state = engine.state()
    assert any(c.status == "ImagePullBackOff" for c in state.of_kind("pod"))
    check_every_view(state)
    check_every_view(cap_state(state))


# -- a recording ---------------------------------------------------------------------------------------------


def hostile_recording(path: Path) -> Path:
    """A recording with hostile text in every field of every component, in its changes and in its events."""
    engine = Engine(get_scenario("steady-state"), seed=3)
    engine.run_until(60)
    state = engine.state()
    texts = itertools.cycle(HOSTILE)
    components = [c.to_dict() for c in sorted(state.components.values(), key=lambda c: c.id)]
    for d in components:
        d["status"] = next(texts) or "?"
        d["detail"]["why"] = next(texts)
        if d["kind"] != "node":
            d["name"] = next(texts) or "?"
        if d["kind"] == "etcd":
            d["detail"]["term"] = next(texts)
        if d["kind"] in ("scheduler", "controller-manager"):
            d["detail"]["leaseHolder"] = next(texts)
        if d["kind"] == "node":
            d["detail"]["labels"]["topology.kubernetes.io/zone"] = next(texts)
            d["detail"]["conditions"] = {"Ready": {"status": "False", "reason": next(texts), "message": MESSAGE_100K}}
        if d["kind"] == "pod":
            d["detail"]["containers"] = [{"name": next(texts), "state": next(texts)} for _ in range(3)]
        if d["kind"] in ("pv", "pvc"):
            d["detail"]["capacity"] = next(texts)
        if d["kind"] == "storageclass":
            d["detail"]["provisioner"], d["detail"]["volumeBindingMode"] = next(texts), next(texts)
    for i, h in enumerate(HOSTILE):
        # Pods named, and placed in namespaces, by hostile text: more than a node shows one by one.
        name = h or f"empty-{i}"
        components.append(
            {
                "id": f"pod/default/{name}",
                "kind": "pod",
                "name": name,
                "namespace": "default",
                "parent": "node/worker-1" if i % 4 else None,
                "status": h or "?",
                "health": ("ok", "warning", "error", "unknown")[i % 4],
                "detail": {"images": [h, "localhost:5000/app:1", f"{LONG_REGISTRY}/y"], "why": h},
            }
        )
        components.append(
            {
                "id": f"pod/{name}/p",
                "kind": "pod",
                "name": "p",
                "namespace": name,
                "parent": "node/worker-2",
                "status": "Running",
                "health": "ok",
                "detail": {"images": [f"{name}.io/x"]},
            }
        )
    # A node named by hostile text, with an agent and a pod: its view page and exports must still work.
    node = 'evil node "\\ <x>&@@s0@@ 🦄'
    components.append(
        {"id": f"node/{node}", "kind": "node", "name": node, "status": "Ready", "health": "ok", "detail": {}}
    )
    components.append(
        {
            "id": f"kubelet/{node}",
            "kind": "kubelet",
            "name": node,
            "parent": f"node/{node}",
            "status": "Running",
            "health": "ok",
        }
    )
    components.append(
        {
            "id": "pod/default/on-evil",
            "kind": "pod",
            "name": "on-evil",
            "namespace": "default",
            "parent": f"node/{node}",
            "status": "Running",
            "health": "ok",
        }
    )
    for host in ("localhost:5000", LONG_REGISTRY, "x.io@@h99999@@", "fake.io@@s0@@", "a.b\\"):
        components.append(
            {"id": f"registry/{host}", "kind": "registry", "name": host, "status": "InUse", "health": "warning"}
        )
    snapshot = {"type": "snapshot", "seq": 0, "cluster": 'evil\\ "cluster" @@s0@@', "source": "sim"}
    snapshot["components"] = components
    lines: list[dict[str, Any]] = [snapshot]
    # Every third component changes, except the pod named by the longest text: its caps are measured as the
    # snapshot gave them, whichever place the scenario's size gives it in this list.
    changing = [c for c in components[::3] if c["id"] != f"pod/default/{MESSAGE_100K}"]
    for second, (component, h) in enumerate(zip(changing, itertools.cycle(HOSTILE), strict=False)):
        time = f"2026-01-01T09:01:{second % 60:02d}.000Z"
        lines.append({"type": "updated", "seq": 0, "time": time, "component": {**component, "status": h or "?"}})
        lines.append(
            {
                "type": "event",
                "seq": 0,
                "time": time,
                "reason": h,
                "message": MESSAGE_100K if second % 2 else h,
                "involved": component["id"],
                "severity": h,
            }
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


async def test_a_hostile_recording_renders_every_view(tmp_path):
    state, changes = read_recording(hostile_recording(tmp_path / "hostile.jsonl"))
    events = []
    for _, change in changes:
        apply_in_place(state, change)
        if isinstance(change, Event):
            events.append(change)
    assert max(len(e.message) for e in events) == TEXT_LIMIT  # capped where the event was built
    check_every_view(state)
    check_every_view(cap_state(state))


# -- a hostile cluster, read through the kube source ---------------------------------------------------------


def seed_hostile_cluster(api: FakeApiServer) -> None:
    """The kind cluster, plus pods, events, node conditions and leases whose text is hostile."""
    seed_kind_cluster(api)
    template = load("pods/pod-errimagepull.json")[0]
    pods = []
    for i, h in enumerate(HOSTILE):
        pod = copy.deepcopy(template)
        pod["metadata"].update(name=h if h and "/" not in h else f"evil-{i}", namespace="default", uid=f"uid-{i}")
        pod["metadata"].pop("ownerReferences", None)
        pod["spec"]["nodeName"] = "kind-worker"
        pod["spec"]["containers"][0]["image"] = h or "x"
        status = pod["status"]["containerStatuses"][0]
        status["image"] = h or "x"
        status["state"] = {"waiting": {"reason": h or "ErrImagePull", "message": MESSAGE_100K}}
        pods.append(pod)
    long_pod = copy.deepcopy(pods[0])
    long_pod["metadata"]["name"] = "long-registry"
    long_pod["spec"]["containers"][0]["image"] = f"{LONG_REGISTRY}/y"
    port_pod = copy.deepcopy(pods[0])
    port_pod["metadata"]["name"] = "port-registry"
    port_pod["spec"]["containers"][0]["image"] = "localhost:5000/app:1"
    api.seed("pods", [*pods, long_pod, port_pod])

    event = load("events/eventlist-image-pull-fail-troubleshoot.json")[0]
    events = []
    for i, h in enumerate(HOSTILE):
        e = copy.deepcopy(event)
        e["metadata"]["name"] = f"hostile-{i}"
        e.update(reason=h, message=MESSAGE_100K if i % 2 else h, type="Warning")
        e["involvedObject"] = {"kind": "Pod", "namespace": "default", "name": pods[i]["metadata"]["name"]}
        events.append(e)
    api.seed("events", events)

    nodes = load("nodes/nodelist-kind-v1.20-3nodes-worker-notready.json")
    texts = itertools.cycle(HOSTILE)
    for node in nodes:
        node["metadata"]["labels"]["topology.kubernetes.io/zone"] = next(texts)
        for condition in node["status"]["conditions"]:
            condition["reason"], condition["message"] = next(texts), MESSAGE_100K
    api.seed("nodes", nodes)
    for name in ("node-leases", "leader-leases"):
        file = (
            "leaselist-kube-node-lease-v1.21.json"
            if name == "node-leases"
            else "leaselist-kube-system-leader-election-v1.21.json"
        )
        leases = load(f"leases/{file}")
        for lease in leases:
            lease["spec"]["holderIdentity"] = f"{next(texts)}_{lease['spec'].get('holderIdentity', '')}"
        api.seed(name, leases)


@pytest.fixture
def hostile_api():
    api = FakeApiServer()
    seed_hostile_cluster(api)
    yield api
    api.stop()


async def test_a_hostile_cluster_read_by_the_kube_source_renders_every_view(hostile_api, tmp_path):
    source = make_source(hostile_api.kubeconfig(tmp_path / "config"))
    state = await source.start()
    try:
        stream = source.changes()
        event = await until(stream, lambda c: isinstance(c, Event) and c.message.startswith("mmmm"))
        assert len(event.message) == TEXT_LIMIT  # capped where the source built the event
    finally:
        await source.close()
    assert "registry/localhost:5000" in state.components
    assert "registry/localhost" not in state.components
    check_every_view(state)
    check_every_view(cap_state(state))


# -- the site, fed by each source ----------------------------------------------------------------------------


class Utf8Client(AsyncClient):
    """Django's async test client decodes a percent-encoded path as Latin-1; an ASGI server (daphne) as UTF-8."""

    def _get_path(self, parsed: Any) -> str:
        return unquote(parsed.path)


async def check_site(expect_events: bool = True) -> ClusterState:
    """Every page, view, export, panel and fragment answers 200 with capped text; the SVGs are right."""
    runtime = await get_runtime()
    assert runtime.hub is not None, runtime.error
    client = Utf8Client()
    state = runtime.hub.state.copy()
    for url in ("/", "/dashboard/status/", "/api/state.json", "/view/nodes/?node=x"):
        response = await client.get(url)
        assert response.status_code in (200, 302), url
        assert_capped(response.content.decode())
    for view in views_of(state, nodes=2):
        response = await client.get(f"/view/{quote(view)}/")
        assert response.status_code == 200, view
        assert_capped(response.content.decode())
        for fmt in ("svg", "dot", "png"):
            response = await client.get(f"/diagram/{quote(view)}.{fmt}")
            assert response.status_code == 200, (view, fmt)
            if fmt == "svg":
                ET.fromstring(response.content)
    seen_events = False
    for cid in sorted(state.components):
        for headers in ({"HX-Request": "true"}, {}):
            response = await client.get(f"/component/{quote(cid, safe='/')}/", headers=headers)
            assert response.status_code == 200, cid[:80]
            body = response.content.decode()
            assert_capped(body)
            seen_events = seen_events or ("component-events" in body and "<li" in body)
    assert seen_events or not expect_events
    return state


async def post_sim(client: AsyncClient, token: str, payload: dict[str, Any]) -> Any:
    return await client.post(
        "/api/sim/", json.dumps(payload), content_type="application/json", headers={"X-CSRFToken": token}
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_runtime")
async def test_a_visitor_setting_hostile_images_takes_no_page_down():
    client = AsyncClient(enforce_csrf_checks=True)
    token = (await client.get("/api/sim/")).cookies["csrftoken"].value
    await asyncio.sleep(0.3)  # at 100x the web Deployment (created 2 s in) is there by now
    for image in SIM_IMAGES:
        response = await post_sim(client, token, {"action": "set-image", "deployment": "default/web", "image": image})
        # What is no image reference at all is refused with the reason; the rest is drawn, whatever it holds.
        assert response.status_code in (200, 400), response.content[:200]
        if response.status_code == 400:  # not an image reference, or longer than a command may be
            assert response.json()["error"]
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.5)  # at 100x: the rolling update makes pods of the last images
    assert (await post_sim(client, token, {"action": "pause"})).status_code == 200
    state = await check_site()
    assert "registry/localhost:5000" in state.components
    renderer = DiagramRenderer()
    for view in views_of(state, nodes=1):
        check_svg(state, view, renderer.svg(state, view))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_runtime")
async def test_a_hostile_recording_takes_no_page_down(settings, tmp_path):
    settings.EXPLORER_SOURCE = "replay"
    settings.EXPLORER_REPLAY_FILE = str(hostile_recording(tmp_path / "hostile.jsonl"))
    settings.EXPLORER_SPEED = 10000.0
    settings.EXPLORER_REPLAY_AUTOPLAY = True
    runtime = await get_runtime()
    for _ in range(200):  # the recording spans a minute: at 10000x it has played in moments
        if runtime.hub is not None and len(runtime.hub.recent_events) >= 20:
            break
        await asyncio.sleep(0.05)
    state = await check_site()
    renderer = DiagramRenderer()
    for view in views_of(state):
        check_svg(state, view, renderer.svg(state, view))
    pod = state.components[cap_text(f"pod/default/{MESSAGE_100K}")]
    assert len(pod.id) == len(pod.name) == len(pod.status) == len(pod.detail["why"]) == TEXT_LIMIT  # 4 KB of each


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_runtime")
async def test_a_hostile_cluster_takes_no_page_down(settings, hostile_api, tmp_path):
    settings.EXPLORER_SOURCE = "kube"
    settings.KUBECONFIG = str(hostile_api.kubeconfig(tmp_path / "config"))
    runtime = await get_runtime()
    for _ in range(200):
        if runtime.hub is not None and len(runtime.hub.recent_events) >= 10:
            break
        await asyncio.sleep(0.05)
    state = await check_site()
    renderer = DiagramRenderer()
    for view in views_of(state):
        check_svg(state, view, renderer.svg(state, view))


# -- any text at all -----------------------------------------------------------------------------------------


def _base_state() -> ClusterState:
    engine = Engine(get_scenario("steady-state"), seed=5)
    engine.run_until(60)
    return engine.state()


BASE = _base_state()
BASE_VIEWS = ["overview", "control-plane", "storage", "network", "nodes/worker-1"]
BASE_DRAWN = {view: {c.id for c in drawn_in(BASE, view)} for view in BASE_VIEWS}

_characters = st.one_of(
    st.characters(exclude_categories=()),  # surrogates included
    st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp"]),
    st.sampled_from('\\"@<>&:{}[];|'),
)
_text = st.one_of(
    st.text(_characters, max_size=30),
    st.sampled_from(HOSTILE),
    st.tuples(st.text(_characters, min_size=1, max_size=5), st.integers(100, 5000)).map(lambda t: t[0] * t[1]),
)


def _with_texts(state: ClusterState, texts: list[str]) -> ClusterState:
    """Every text field of every component (and the cluster's name) from `texts`, leaving what is drawn alone."""
    pick = itertools.cycle(texts)
    out = ClusterState(cluster=next(pick), source=next(pick))
    for c in sorted(state.components.values(), key=lambda c: c.id):
        detail = {**c.detail, "why": next(pick)}
        changes: dict[str, Any] = {"status": next(pick), "detail": detail}
        if c.kind != "node":  # node names lead to their agents; every other name is only shown
            changes["name"] = next(pick)
        if c.kind == "pod" and not detail.get("claims"):
            changes["namespace"] = next(pick)
        if c.kind == "pod":
            detail["containers"] = [{"name": next(pick), "state": next(pick)}]
        if c.kind == "node":
            detail["labels"] = {**detail.get("labels", {}), "topology.kubernetes.io/zone": next(pick)}
        for key in ("term", "leaseHolder", "capacity", "claim", "provisioner", "volumeBindingMode", "host"):
            if key in detail or c.kind in ("etcd", "scheduler"):
                detail[key] = next(pick)
        out.put(c.with_(**changes))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(texts=st.lists(_text, min_size=1, max_size=12), png_view=st.sampled_from(BASE_VIEWS))
def test_whatever_text_fills_the_components_every_view_draws_the_same_elements(texts, png_view):
    state = _with_texts(BASE, texts)
    renderer = DiagramRenderer()
    for view in BASE_VIEWS:
        svg = renderer.svg(state, view)
        assert {c.id for c in drawn_in(state, view)} == BASE_DRAWN[view]
        check_svg(state, view, svg)
    render_dot(state, png_view)
    assert render_png(state, png_view).startswith(b"\x89PNG")
