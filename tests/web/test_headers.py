"""Security headers on every answer, no inline script or style anywhere, and static path tricks answer 404."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from asgiref.testing import ApplicationCommunicator
from django.test import AsyncClient

from explorer.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["/", "/view/overview/", "/view/storage/", "/tours/", "/tours/node-failure/2/", "/component/node/worker-1/"]


def policy(response) -> dict[str, str]:
    directives = [d.strip() for d in response["Content-Security-Policy"].split(";")]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in directives}


ANSWERS = [*PAGES, "/?kiosk=1", "/diagram/overview.svg", "/api/state.json", "/healthz", "/nope/"]


@pytest.mark.parametrize("path", ANSWERS)
async def test_every_answer_carries_the_security_headers(path):
    response = await AsyncClient().get(path)
    csp = policy(response)
    assert csp["script-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


async def test_the_one_inline_style_allowed_is_the_diagrams_own():
    svg = (await AsyncClient().get("/diagram/overview.svg")).content.decode()
    style = re.search(r"<style>(.*?)</style>", svg, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    allowed = policy(await AsyncClient().get("/"))["style-src"].split()
    assert allowed == ["'self'", f"'sha256-{digest}'"]


def test_no_template_carries_inline_script_handlers_or_style():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert not re.search(r"\sstyle\s*=|<style|javascript:|hx-on", text), template


def test_htmx_neither_evaluates_nor_injects_styles():
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    for setting in ('"includeIndicatorStyles": false', '"allowEval": false', '"allowScriptTags": false'):
        assert setting in base


async def static(path: str) -> dict:
    """The status and headers the whole ASGI application (static files included) answers a GET of `path`."""
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode("latin1", "replace")}
    scope.update({"query_string": b"", "headers": [(b"host", b"127.0.0.1")], "scheme": "http"})
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(timeout=10)
    while True:
        part = await communicator.receive_output(timeout=10)
        if not part.get("more_body"):
            break
    return {"status": start["status"], "headers": start["headers"]}


@pytest.mark.parametrize(
    "path",
    [
        "/static/../manage.py",
        "/static/%2e%2e/manage.py",
        "/static/explorer/../../explorer/settings.py",
        "/static/explorer/css/../../../../etc/passwd",
        "/static/..%2f..%2fetc/passwd",
        "/static/explorer/\x00.css",
        "/static/" + "a" * 5000,
        "/static/",
        "/static/explorer/",
    ],
)
async def test_a_static_path_that_tries_to_leave_static_is_a_404(path):
    response = await static(path)
    assert response["status"] == 404


async def test_static_files_are_served_with_nosniff():
    response = await static("/static/explorer/js/autosubmit.js")
    assert response["status"] == 200
    assert (b"x-content-type-options", b"nosniff") in [(k.lower(), v) for k, v in response["headers"]]
