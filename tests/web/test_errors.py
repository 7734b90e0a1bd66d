"""Error pages in the site's look and language, each with a way back; scripts still get JSON.
The language switcher is on every page a person browses."""

import pytest
from bs4 import BeautifulSoup
from django.test import AsyncClient, RequestFactory

from explorer.web.errors import server_error

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


@pytest.mark.parametrize(("language", "heading"), [("en", "Page not found"), ("zh-hans", "找不到页面")])
async def test_a_missing_page_is_the_sites_own_in_the_readers_language(language, heading):
    response = await AsyncClient().get("/no/such/page/", headers={**BROWSER, "Accept-Language": language})
    assert response.status_code == 404
    found = page(response)
    assert found.find("html")["lang"] == language
    assert found.find(id="error-heading").get_text(strip=True) == heading
    assert found.find(id="back-home")["href"] == "/"
    assert found.find(id="language-select") is not None
    assert "/no/such/page/" in found.get_text()


async def test_an_unknown_tour_step_gets_the_same_page():
    response = await AsyncClient().get("/tours/nope/1/", headers=BROWSER)
    assert response.status_code == 404
    assert page(response).find(id="back-home") is not None


async def test_scripts_get_json_for_a_missing_address():
    response = await AsyncClient().get("/api/nothing-here")
    assert response.status_code == 404
    assert "error" in response.json()


async def test_a_stale_browser_form_gets_a_page_that_says_to_reload_and_scripts_keep_json():
    client = AsyncClient(enforce_csrf_checks=True)
    response = await client.post("/i18n/setlang/", {"language": "zh-hans"}, headers=BROWSER)
    assert response.status_code == 403
    found = page(response)
    assert found.find(id="error-heading").get_text(strip=True) == "Not allowed"
    assert "Reload the page" in found.find(id="error-reason").get_text()
    assert found.find(id="back-home") is not None
    scripted = await client.post("/api/sim/", '{"action": "pause"}', content_type="application/json")
    assert scripted.status_code == 403
    assert "X-CSRFToken" in scripted.json()["error"]


def test_a_server_error_is_a_page_with_a_way_back():
    request = RequestFactory().get("/", headers=BROWSER)
    response = server_error(request)
    assert response.status_code == 500
    found = page(response)
    assert found.find(id="error-heading").get_text(strip=True) == "Something went wrong"
    assert found.find(id="back-home")["href"] == "/"


@pytest.mark.parametrize(
    "path", ["/", "/tours/", "/tours/control-plane/1/", "/view/overview/", "/view/nodes/worker-9/", "/nope/"]
)
async def test_the_language_switcher_is_on_every_page(path):
    response = await AsyncClient().get(path, headers=BROWSER)
    assert page(response).find(id="language-select") is not None, path
