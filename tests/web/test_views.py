import json
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from django.test import AsyncClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def test_state_json_is_the_snapshot():
    response = await AsyncClient().get("/api/state.json")
    assert response.status_code == 200
    body = response.json()
    assert {"seq", "source", "cluster", "components", "edges"} <= body.keys()
    assert body["source"] == "sim"
    ids = {c["id"] for c in body["components"]}
    assert {"apiserver/cp-1", "etcd/cp-1", "scheduler/cp-1", "controller-manager/cp-1"} <= ids
    assert {"kubelet/worker-1", "kube-proxy/worker-2", "runtime/worker-3"} <= ids
    assert {"storageclass/standard", "pv/pv-0001", "pvc/default/data-db-0", "registry/docker.io"} <= ids
    assert all(c["health"] in {"ok", "warning", "error", "unknown"} for c in body["components"])
    assert all({"from", "to", "kind", "label"} == e.keys() for e in body["edges"])


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("svg", "image/svg+xml"), ("dot", "text/vnd.graphviz"), ("png", "image/png")]
)
async def test_the_overview_comes_in_three_formats(fmt, content_type):
    response = await AsyncClient().get(f"/diagram/overview.{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    if fmt == "svg":
        ET.fromstring(response.content)


async def test_an_unknown_view_is_a_clear_404_and_the_server_goes_on():
    client = AsyncClient()
    response = await client.get("/diagram/nope.svg")
    assert response.status_code == 404
    assert "unknown diagram view 'nope'" in response.json()["error"]
    assert (await client.get("/diagram/overview.svg")).status_code == 200


async def test_healthz_says_ok():
    response = await AsyncClient().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_the_dashboard_shows_the_overview_and_the_controls():
    response = await AsyncClient().get("/")
    page = BeautifulSoup(response.content, "html.parser")
    assert response.status_code == 200
    assert "health-ok" in page.find(id="node/worker-1")["class"]
    assert page.find(id="sim-controls").find("button", id="node-down")
    assert page.find("script", src="/static/vendor/htmx-2.0.11.min.js")


async def sim_client():
    client = AsyncClient(enforce_csrf_checks=True)
    status = await client.get("/api/sim/")
    return client, status, status.cookies["csrftoken"].value


async def test_sim_status_and_commands_follow_the_contract():
    client, status, token = await sim_client()
    assert {"clock", "speed", "paused", "scenario"} <= status.json().keys()
    response = await client.post(
        "/api/sim/", json.dumps({"action": "pause"}), content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200
    assert response.json()["paused"] is True
    response = await client.post(
        "/api/sim/",
        json.dumps({"action": "speed", "value": 10}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.json()["speed"] == 10


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"action": "explode"}', "unknown action 'explode'"),
        ('{"action": "node-down", "node": "nope"}', "unknown node 'nope'"),
        ('{"action": "speed", "value": 1000}', "speed must be"),
    ],
)
async def test_bad_commands_get_a_clear_400(body, message):
    client, _, token = await sim_client()
    response = await client.post("/api/sim/", body, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert message in response.json()["error"]


async def test_a_command_without_the_csrf_token_is_refused_with_directions():
    client, _, _ = await sim_client()
    response = await client.post("/api/sim/", '{"action": "pause"}', content_type="application/json")
    assert response.status_code == 403
    assert "X-CSRFToken" in response.json()["error"]


async def test_a_namespace_filter_keeps_other_namespaces_out_of_the_diagram():
    client = AsyncClient()
    svg = (await client.get("/diagram/overview.svg?namespace=kube-system")).content.decode()
    assert "pvc/default/data" not in svg
    assert "node/worker-1" in svg.replace("&#45;", "-")
    page = BeautifulSoup((await client.get("/?namespace=kube-system")).content, "html.parser")
    assert page.find(id="diagram")["data-src"].endswith("?namespace=kube-system")
    assert page.find(id="namespace-filter").find("option", selected=True)["value"] == "kube-system"


async def test_the_speed_picker_shows_the_speed_there_is(settings):
    settings.EXPLORER_SPEED = 20.0  # not one of the picker's usual speeds
    page = BeautifulSoup((await AsyncClient().get("/")).content, "html.parser")
    picked = page.find(id="sim-speed").find_all("option", selected=True)
    assert [(o["value"], o.get_text()) for o in picked] == [("20.0", "20×")]
    client, _, token = await sim_client()
    response = await client.post(
        "/api/sim/", {"action": "speed", "value": "3"}, headers={"X-CSRFToken": token, "HX-Request": "true"}
    )
    picked = BeautifulSoup(response.content, "html.parser").find(id="sim-speed").find_all("option", selected=True)
    assert [(o["value"], o.get_text()) for o in picked] == [("3.0", "3×")]


@pytest.mark.parametrize(("language", "runtime_word"), [("en", "container runtime"), ("zh-hans", "容器运行时")])
async def test_the_timelines_kind_filter_names_kinds_in_the_readers_language_in_the_registrys_order(
    language, runtime_word
):
    response = await AsyncClient().get("/", headers={"Accept-Language": language})
    options = BeautifulSoup(response.content, "html.parser").select("select[name=kind] option")
    labels = {o["value"]: o.get_text() for o in options if o["value"]}
    assert labels["runtime"] == runtime_word
    order = [o["value"] for o in options if o["value"]]
    assert order.index("etcd") < order.index("pod") < order.index("storageclass")
