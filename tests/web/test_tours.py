import pytest
from bs4 import BeautifulSoup
from django.test import AsyncClient

from explorer.tours import LANGUAGES, load_tours

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

STEPS = [(slug, step.number) for slug, tour in load_tours().items() for step in tour.steps]


async def get(path: str, language: str, **headers):
    return await AsyncClient().get(path, headers={"Accept-Language": language, **headers})


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("slug", "number"), STEPS)
async def test_every_step_of_every_tour_renders_in_each_language(slug, number, language):
    response = await get(f"/tours/{slug}/{number}/", language)
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    step = load_tours()[slug].step(number)
    assert page.find(id="tour-title").get_text(strip=True) == step.text(language)["title"]
    assert page.find("html")["lang"] == language
    total = len(load_tours()[slug].steps)
    progress = page.find(id="tour-progress").get_text(strip=True)
    assert str(number) in progress
    assert str(total) in progress
    assert page.find(id="diagram").find("svg") is not None


async def test_the_chinese_page_chrome_is_translated():
    page = BeautifulSoup((await get("/tours/control-plane/1/", "zh-hans")).content, "html.parser")
    assert page.find(id="tour-exit").get_text(strip=True) == "退出导览"
    assert "第 1 步" in page.find(id="tour-progress").get_text()


async def test_an_htmx_step_request_gets_just_the_panel():
    response = await get("/tours/control-plane/2/", "en", **{"HX-Request": "true"})
    page = BeautifulSoup(response.content, "html.parser")
    assert page.find(id="tour")["data-step"] == "2"
    assert page.find(id="diagram") is None


async def test_the_tour_list_links_every_tour():
    page = BeautifulSoup((await get("/tours/", "en")).content, "html.parser")
    links = {a["href"] for a in page.select(".tour-list a")}
    for slug in load_tours():
        assert f"/tours/{slug}/1/" in links


@pytest.mark.parametrize("path", ["/tours/nope/1/", "/tours/control-plane/0/", "/tours/control-plane/99/"])
async def test_unknown_tours_and_steps_are_404(path):
    assert (await get(path, "en")).status_code == 404


async def test_projector_mode_and_theme_travel_with_the_step_links():
    page = BeautifulSoup((await get("/tours/control-plane/1/?projector=1&theme=dark", "en")).content, "html.parser")
    assert {"projector", "theme-dark"} <= set(page.body["class"])
    assert page.find(id="tour-next")["href"] == "/tours/control-plane/2/?projector=1&theme=dark"
    assert page.find(class_="topbar") is None
