"""`?component=` (and the page's `?focus=`) take component ids only: never a path for htmx to fetch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.test import AsyncClient

from explorer.model.ids import is_component_id

ROOT = Path(__file__).resolve().parents[2]


IDS = [
    "pod/default/web-5d8f7-abcde",
    "node/worker-1",
    "apiserver/managed",
    "registry/registry.k8s.io",
    "registry/localhost:5000",
    "registry/[::1]:5000",
    "node-group/no zone/worker",
    "node-group/eu-west-1a/pool-a",
    "pods-of/worker-1",
]
NOT_IDS = [
    "",
    "../../api/sim",
    "node/..",
    "node/.",
    "pod/../api",
    "/api/sim/",
    "node/worker-1/../../api",
    "node/worker-1?x=1",
    "node/worker-1#x",
    "node/a%2e%2e",
    "node\\worker-1",
    "node/worker-1/",
    "Node/worker-1",
    "node/" + "a" * 700,
    "javascript:alert(1)",
    "node/<b>",
]


@pytest.mark.parametrize("text", IDS)
def test_every_kind_of_id_the_explorer_draws_is_an_id(text):
    assert is_component_id(text)


@pytest.mark.parametrize("text", NOT_IDS)
def test_nothing_else_is(text):
    assert not is_component_id(text)


def test_the_page_checks_ids_with_the_same_grammar():
    script = (ROOT / "static" / "explorer" / "js" / "ids.js").read_text(encoding="utf-8")
    page = re.compile(re.search(r"const COMPONENT_ID = /(.*)/;", script).group(1))
    for text in IDS:
        assert page.search(text), text
    for text in NOT_IDS:
        assert not (page.search(text) and len(text) <= 600), text


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_runtime")
@pytest.mark.parametrize("junk", ["../../api/sim", "/api/sim/", "node/..", "x" * 5000])
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
