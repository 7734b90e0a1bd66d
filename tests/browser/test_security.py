"""What a visitor's browser sees of the site's defences: who drives, the policy that no page breaks, no framing."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.conftest import ServerProcess

pytestmark = pytest.mark.browser

POST_PAUSE = """async () => {
    const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
    const response = await fetch("/api/sim/", {
        method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRFToken": token},
        body: JSON.stringify({action: "pause"}),
    });
    return [response.status, await response.json()];
}"""


@pytest.fixture(scope="module")
def presenter_server(tmp_path_factory):
    """The site as a teacher serves it on a LAN: EXPLORER_CONTROLS=presenter."""
    process = ServerProcess(
        env={"EXPLORER_CONTROLS": "presenter"}, database=tmp_path_factory.mktemp("presenter") / "explorer.sqlite3"
    )
    yield process
    process.stop()


def test_the_audience_sees_the_controls_disabled_with_the_reason_and_its_commands_are_refused(
    presenter_server, page, console_errors
):
    page.goto(presenter_server.url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator("#controls-note")).to_have_text("Only the presenter drives the cluster here: you follow along.")
    for button in ("#node-down", "#component-stop", "#deployment-scale", "#scenario-load"):
        expect(page.locator(button)).to_be_disabled()
    expect(page.locator("#sim-speed")).to_be_disabled()
    assert console_errors == []
    # Enabling a button by hand changes nothing: the server refuses the command itself.
    status, body = page.evaluate(POST_PAUSE)
    assert status == 403
    assert "Only the presenter" in body["error"]
    assert page.evaluate("() => fetch('/api/sim/').then((r) => r.json())")["paused"] is False


def test_the_presenters_browser_drives(presenter_server, page, console_errors):
    link = presenter_server.manage("presenter_token", "--base-url", presenter_server.url).strip()
    page.goto(link)
    expect(page.locator("#tour")).to_have_attribute("data-presenting", re.compile(r"\w+"))
    page.goto(presenter_server.url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator("#controls-note")).to_have_count(0)
    expect(page.locator("#node-down")).to_be_enabled()
    page.locator("#sim-controls").get_by_role("button", name="Pause").click()
    expect(page.locator("#sim-controls")).to_have_attribute("data-paused", "true")
    page.locator("#sim-controls").get_by_role("button", name="Resume").click()
    expect(page.locator("#sim-controls")).to_have_attribute("data-paused", "false")
    assert console_errors == []


PAGES = [
    "/",
    "/?namespace=default",
    "/view/overview/",
    "/view/control-plane/",
    "/view/storage/",
    "/view/nodes/worker-1/?component=kubelet/worker-1",
    "/component/node/worker-1/",
    "/tours/",
    "/tours/life-of-a-pod/1/",
    "/tours/node-failure/2/?projector=1&theme=dark",
    "/?kiosk=1",
]


@pytest.mark.parametrize("path", PAGES)
def test_the_content_security_policy_breaks_no_page(server, page, console_errors, path):
    page.goto(f"{server.url}{path}")
    if page.locator("#live-status").count():  # the live pages' socket connects: connect-src allows it
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    # The diagram is styled by its stylesheet: a health outline is drawn, not the browser's default black.
    if page.locator("#diagram svg").count():
        fill = page.evaluate(
            "() => getComputedStyle(document.querySelector('#diagram .component.health-ok > polygon, "
            "#diagram .component.health-ok > path, #diagram .component.health-ok > ellipse')).fill"
        )
        assert fill not in {"rgb(0, 0, 0)", "none"}
    page.wait_for_timeout(500)
    assert console_errors == []


def test_the_select_boxes_that_submit_on_change_still_do(server, page, console_errors):
    page.goto(server.url)
    page.select_option("#namespace-filter", "default")
    expect(page).to_have_url(re.compile(r"\?namespace=default$"))
    page.goto(f"{server.url}/tours/")
    page.select_option("#language-select", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert console_errors == []


def test_a_component_parameter_that_is_a_path_fetches_nothing(server, page):
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{server.url}/view/overview/?component=../../api/sim")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    # Back to the address with the junk in it: the page reads the parameter again (popstate).
    page.evaluate("() => history.pushState({}, '', '?component=node/worker-1')")
    page.go_back()
    page.wait_for_timeout(500)
    assert not [url for url in asked if urlsplit(url).path.startswith("/api/")]
    # Whatever the panel shows after the Back, it is never what the junk path names.
    assert "/api/sim" not in page.locator("#detail").inner_html()


def test_no_other_page_can_frame_the_site(server, page):
    page.set_content(f'<iframe id="framed" src="{server.url}/" width="800" height="600"></iframe>')
    page.wait_for_timeout(1500)
    framed = page.frame_locator("#framed")
    expect(framed.locator("#sim-controls")).to_have_count(0)


@pytest.mark.parametrize(
    "path", ["/static/%2e%2e/manage.py", "/static/../manage.py", "/static/..%2f..%2fetc%2fpasswd", "/static/%00"]
)
def test_static_path_tricks_on_the_real_server_answer_404(server, path):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", path)
    assert connection.getresponse().status == 404
    connection.close()
