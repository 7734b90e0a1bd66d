"""The view pages, the component detail panel and the diagram URLs of every view."""

import asyncio
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.test import AsyncClient

from explorer.live.runtime import get_runtime
from explorer.model import ChangeType, Component, ComponentChange
from explorer.sources.kube.mapping import map_managed_apiserver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

HEALTH_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "k8s" / "health"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


async def until_status(component_id: str, status: str) -> None:
    """Wait for a command's changes to reach the snapshot (scaled out, the hub stores them after it answers)."""
    runtime = await get_runtime()
    for _ in range(100):
        component = (await runtime.snapshot()).state.get(component_id)
        if component is not None and component.status == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{component_id} never became {status}")


@pytest.mark.parametrize(
    ("view", "crumbs", "element"),
    [
        ("overview", ["Overview"], "node/worker-1"),
        ("control-plane", ["Overview", "Control plane"], "etcd/cp-1"),
        ("nodes/worker-2", ["Overview", "Node worker-2"], "kubelet/worker-2"),
        ("storage", ["Overview", "Storage"], "pvc/default/data-db-0"),
        ("network", ["Overview", "Network"], "service/kube-system/kube-dns"),
    ],
)
async def test_each_view_has_a_page_with_breadcrumbs_legend_exports_and_its_diagram(view, crumbs, element):
    response = await AsyncClient().get(f"/view/{view}/")
    assert response.status_code == 200
    page = soup(response)
    assert [li.get_text(strip=True) for li in page.select("#breadcrumbs li")] == crumbs
    diagram = page.find(id="diagram")
    assert diagram["data-src"] == f"/diagram/{view}.svg"
    assert page.find(id=element) is not None
    assert page.find(id="export-svg")["href"] == f"/diagram/{view}.svg?download=1"
    assert page.find(id="export-png")["href"] == f"/diagram/{view}.png?download=1"
    assert page.find(id="export-dot")["href"] == f"/diagram/{view}.dot?download=1"
    assert "error" in page.find(id="legend").get_text()
    assert page.find(id="live-status")
    assert page.find(id="timeline")


@pytest.mark.parametrize("view", ["control-plane", "nodes/worker-1", "storage", "network"])
@pytest.mark.parametrize(
    ("fmt", "content_type"), [("svg", "image/svg+xml"), ("dot", "text/vnd.graphviz"), ("png", "image/png")]
)
async def test_every_view_comes_in_three_formats(view, fmt, content_type):
    response = await AsyncClient().get(f"/diagram/{view}.{fmt}?download=1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"] == f'attachment; filename="{view.replace("/", "-")}.{fmt}"'
    if fmt == "svg":
        ET.fromstring(response.content)


async def test_an_unknown_node_is_a_clear_404_on_the_page_and_the_diagram_url():
    client = AsyncClient()
    page = await client.get("/view/nodes/worker-9/")
    assert page.status_code == 404
    assert "unknown node 'worker-9'; nodes: cp-1, worker-1" in soup(page).find(id="view-error").get_text()
    diagram = await client.get("/diagram/nodes/worker-9.svg")
    assert diagram.status_code == 404
    assert "unknown node 'worker-9'" in diagram.json()["error"]
    assert (await client.get("/view/overview/")).status_code == 200


async def test_an_unknown_view_page_is_a_clear_404():
    response = await AsyncClient().get("/view/nope/")
    assert response.status_code == 404
    assert "unknown diagram view 'nope'" in soup(response).find(id="view-error").get_text()


async def test_the_node_box_opens_that_nodes_view():
    response = await AsyncClient().get("/view/nodes/", {"node": "worker-3"})
    assert response.status_code == 302
    assert response["Location"] == "/view/nodes/worker-3/"


async def test_the_node_box_without_a_name_says_what_to_type():
    response = await AsyncClient().get("/view/nodes/", {"node": " "})
    assert response.status_code == 404
    assert "name a node" in soup(response).find(id="view-error").get_text()


async def test_the_component_panel_is_an_htmx_partial_with_status_health_why_and_fields():
    runtime = await get_runtime()
    await runtime.command({"action": "node-down", "node": "worker-1"})
    await until_status("kubelet/worker-1", "Stopped")
    response = await AsyncClient().get("/component/kubelet/worker-1/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = soup(response)
    assert page.find("html") is None
    panel = page.find(id="component-panel")
    assert panel["data-component"] == "kubelet/worker-1"
    assert panel.select_one(".status").get_text() == "✖ Stopped"
    assert panel.select_one(".health").get_text() == "error"
    assert "the machine is down" in panel.select_one(".why").get_text()
    assert "v1.34" in panel.select_one(".fields").get_text()
    assert panel.select_one("a.open-view")["href"].startswith("/view/nodes/worker-1/?component=")


async def test_the_panel_lists_the_components_recent_events():
    runtime = await get_runtime()
    events: list[dict] = []
    for _ in range(200):  # the simulation runs at 100x: its pods' events come within moments
        _, state = await runtime.snapshot()
        for pod in state.of_kind("pod"):
            events = await runtime.recent_events(pod.id)
            if events:
                break
        if events:
            break
        await asyncio.sleep(0.05)
    assert events, "no pod had an event"
    involved = events[0]["involved"]
    response = await AsyncClient().get(f"/component/{involved}/", headers={"HX-Request": "true"})
    # More events may have come meanwhile: the one seen is among those listed, newest first.
    listed = [li.get_text() for li in soup(response).select(".component-events li")]
    assert any(events[0]["reason"] in text for text in listed)
    # A page opened with ?component= shows them too.
    page = soup(await AsyncClient().get("/view/overview/", {"component": involved}))
    assert any(events[0]["reason"] in li.get_text() for li in page.select(".component-events li"))


async def test_a_view_url_with_a_component_reopens_its_panel():
    response = await AsyncClient().get("/view/nodes/worker-1/", {"component": "runtime/worker-1"})
    page = soup(response)
    assert page.find(id="component-panel")["data-component"] == "runtime/worker-1"
    assert [li.get_text(strip=True) for li in page.select("#breadcrumbs li")] == [
        "Overview",
        "Node worker-1",
        "runtime/worker-1",
    ]


async def test_a_panel_url_opened_directly_is_a_page_of_its_own():
    response = await AsyncClient().get("/component/storageclass/standard/")
    page = soup(response)
    assert page.find("html") is not None
    assert page.find(id="component-panel")["data-component"] == "storageclass/standard"


async def test_an_unknown_component_is_a_clear_404():
    response = await AsyncClient().get("/component/pod/default/nope/", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "no component “pod/default/nope”" in soup(response).get_text()


async def test_a_node_group_panel_lists_its_nodes_with_links_to_their_views():
    runtime = await get_runtime()
    await runtime.command({"action": "node-down", "node": "worker-2"})
    response = await AsyncClient().get("/view/overview/", {"component": "node-group/zone-b/worker"})
    panel = soup(response).find(id="component-panel")
    assert panel["data-component"] == "node-group/zone-b/worker"
    links = [(a.get_text(), a["href"]) for a in panel.select(".group-nodes a")]
    assert links == [("worker-2", "/view/nodes/worker-2/")]


async def test_an_unknown_node_group_is_a_clear_404():
    response = await AsyncClient().get("/component/node-group/zone-x/none/", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "node-group/zone-x/none" in soup(response).get_text()


def a_draining_managed_apiserver() -> Component:
    """A managed apiserver's real `/livez` and `/readyz` answers, its shutdown check failing as it drains."""
    livez = (HEALTH_FIXTURES / "livez-verbose-k8s-docs-v1.16-era.txt").read_text()
    readyz = (HEALTH_FIXTURES / "readyz-verbose-exclude-etcd-k8s-docs-v1.16-era.txt").read_text()
    readyz = readyz.replace("[+]shutdown ok", "[-]shutdown failed: reason withheld")
    return map_managed_apiserver(livez, readyz, False, "/readyz answered 500")


@pytest.mark.embedded_only  # a managed control plane no simulated or recorded source draws on demand
async def test_a_managed_control_planes_panel_lists_its_checks_failing_first_and_marked():
    managed = a_draining_managed_apiserver()
    runtime = await get_runtime()
    await runtime.hub.handle([ComponentChange(ChangeType.ADDED, managed, "2026-01-01T09:00:00Z")])

    response = await AsyncClient().get("/component/apiserver/managed/", headers={"HX-Request": "true"})
    panel = soup(response).find(id="component-panel")
    groups = panel.select("section.checks")
    assert [g.find("h4").find("code").get_text() for g in groups] == ["/readyz", "/livez"]
    ready_rows = groups[0].select(".check-list li")
    assert "check-failed" in ready_rows[0]["class"]
    assert ready_rows[0].get_text(" ", strip=True) == "✖ shutdown failed: reason withheld"
    assert all("check-ok" in row["class"] for row in ready_rows[1:])
    assert ready_rows[1].get_text(" ", strip=True) == "✔ ping"  # the apiserver's own order after the failing
    assert "1 failing" in groups[0].find("h4").get_text()
    assert "all pass" in groups[1].find("h4").get_text()
    # The checks are no longer one raw JSON blob among the fields.
    assert "checks" not in [dt.get_text() for dt in panel.select(".fields dt")]
    assert '"readyz"' not in panel.get_text()


async def test_a_scheduled_pods_panel_says_why_this_node_embedded_and_scaled_out():
    """The decision reaches the panel through the pod's detail.scheduling, wherever the snapshot is kept."""
    runtime = await get_runtime()
    pod = None
    for _ in range(200):  # the simulation runs at 100x: the web pods are scheduled within moments
        _, state = await runtime.snapshot()
        pod = next((p for p in state.of_kind("pod") if p.parent and p.detail.get("scheduling")), None)
        if pod is not None:
            break
        await asyncio.sleep(0.05)
    assert pod is not None, "no scheduled pod carried its decision"
    response = await AsyncClient().get(f"/component/{pod.id}/", headers={"HX-Request": "true"})
    why = soup(response).select_one("#component-panel section.scheduling")
    assert why.find("h3").get_text() == "Why this node?"
    tied = pod.detail["scheduling"]["tied"]
    tie = f" {tied} nodes tied for the top score, and the scheduler picked one of them at random." if tied > 1 else ""
    chose = f"The scheduler chose {pod.parent.split('/', 1)[1]} of 4 nodes."
    assert why.select_one(".decision").get_text() == chose + tie
    assert [th.get_text() for th in why.select("table.plugin-scores tbody th")][:3] == [
        "TaintToleration ×3",
        "NodeAffinity ×2",
        "NodeResourcesFit ×1",
    ]
    assert "scheduling" not in [dt.get_text() for dt in soup(response).select(".fields dt")]


@pytest.mark.embedded_only  # a real cluster's pod, handed to the hub as the kube source would
async def test_a_real_pending_pods_panel_shows_its_failed_scheduling_message_as_the_table():
    from explorer.sources.kube.mapping import map_pod
    from tests.sources.kube.apiserver import load

    pod = map_pod(load("pods/pod-pending-unschedulable-insufficient-resources.json")[0])
    runtime = await get_runtime()
    await runtime.hub.handle([ComponentChange(ChangeType.ADDED, pod, "2026-01-01T09:00:00Z")])
    response = await AsyncClient().get(f"/component/{pod.id}/", headers={"HX-Request": "true"})
    why = soup(response).select_one("#component-panel section.scheduling")
    assert why.find("h3").get_text() == "Why no node?"
    assert "FailedScheduling message" in why.select_one(".decision").get_text()
    rows = [tr.get_text(" ", strip=True) for tr in why.select("table.filter-verdicts tbody tr")]
    assert rows == ["✖ Insufficient nvidia.com/gpu 1"]
    assert why.select_one("table.plugin-scores") is None


@pytest.mark.embedded_only  # a real cluster's slice, handed to the hub as the kube source would
async def test_an_endpointslice_panel_lists_its_endpoints_with_their_addresses_and_text_stays_text():
    from explorer.sources.kube.mapping import map_endpointslice
    from tests.sources.kube.apiserver import load

    raw = load("network/endpointslicelist-kind-kube-dns.json")[1]
    raw["endpoints"][0]["targetRef"]["name"] = "<b>coredns</b>"
    raw["endpoints"].append({"addresses": ["10.244.1.9"], "conditions": {"ready": False, "terminating": True}})
    endpoint_slice = map_endpointslice(raw)
    runtime = await get_runtime()
    await runtime.hub.handle([ComponentChange(ChangeType.ADDED, endpoint_slice, "2026-01-01T09:00:00Z")])
    response = await AsyncClient().get(f"/component/{endpoint_slice.id}/", headers={"HX-Request": "true"})
    table = soup(response).select_one("#component-panel section.endpoints table.endpoint-table")
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert rows == [
        ["<b>coredns</b> 10.244.0.3", "kind-control-plane", "✔"],
        ["10.244.1.9", "", "✖ terminating"],
    ]
    assert table.find("b") is None  # a name is text, never markup
    assert "endpoints" not in [dt.get_text() for dt in soup(response).select(".fields dt")]
