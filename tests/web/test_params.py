"""`?component=` (and the page's `?focus=`) take component ids only: never a path step for htmx to follow."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.test import AsyncClient

from explorer.model.ids import KIND, MAX_ID, is_component_id

ROOT = Path(__file__).resolve().parents[2]


IDS = [
    "pod/default/web-5d8f7-abcde",
    "node/worker-1",
    "apiserver/managed",
    "registry/registry.k8s.io",
    "registry/localhost:5000",
    "registry/[::1]:5000",
    "node-group/no zone/worker",
    "pods-of/worker-1",
    # A cluster (or a recording) may name things as it likes: still an id, and its panel opens.
    "pod/default/<b>evil<\\b>",
    "node/worker-1?x=1#y",
    "node/%2e%2e",
    "node/...",
    "pod/default/a\nb",
]
NOT_IDS = [
    "",
    "node",
    "../../api/sim",
    "node/..",
    "node/.",
    "pod/../api",
    "pod/default/..",
    "/api/sim/",
    "node/worker-1/../../api",
    "node/worker-1/",
    "node//worker-1",
    "Node/worker-1",
    "api sim/x",
    "node/" + "a" * 1100,
    "node/a\x00b",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("text", IDS)
def test_every_id_a_cluster_can_name_is_an_id(text):
    assert is_component_id(text)


@pytest.mark.parametrize("text", NOT_IDS)
def test_nothing_else_is_least_of_all_a_path_step(text):
    assert not is_component_id(text)


def test_the_page_checks_ids_with_the_same_rule():
    script = (ROOT / "static" / "explorer" / "js" / "ids.js").read_text(encoding="utf-8")
    assert f"const KIND = /^{KIND.pattern}$/;" in script
    assert f"const MAX_ID = {MAX_ID};" in script
    assert 'n !== "." && n !== ".."' in script


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_runtime")
@pytest.mark.parametrize("junk", ["../../api/sim", "/api/sim/", "node/..", "pod/default/..", "x" * 5000])
async def test_a_view_page_opens_no_panel_for_junk(junk):
    response = await AsyncClient().get("/view/overview/", {"component": junk})
    assert response.status_code == 200
    detail = BeautifulSoup(response.content, "html.parser").find(id="detail")
    assert detail.find(id="component-panel") is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_runtime")
async def test_a_view_page_opens_the_panel_an_id_names():
    response = await AsyncClient().get("/view/overview/", {"component": "node/worker-1"})
    panel = BeautifulSoup(response.content, "html.parser").find(id="component-panel")
    assert panel["data-component"] == "node/worker-1"
