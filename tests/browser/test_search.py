"""The dashboard's search in a real browser: a search that finds nothing leaves nothing focused."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_failed_search_clears_the_previous_focus(server, page):
    page.goto(server.url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    worker = page.locator('[id="node/worker-3"]')
    page.fill("#search", "worker-3")
    page.press("#search", "Enter")
    expect(worker).to_have_class(re.compile(r"\bfocused\b"))
    assert "focus=" in page.url

    page.fill("#search", "no-such-thing")
    page.press("#search", "Enter")
    expect(page.locator("#search-status")).to_contain_text("no-such-thing")
    expect(worker).not_to_have_class(re.compile(r"\bfocused\b"))
    expect(page.locator("#diagram .focused")).to_have_count(0)
    assert "focus=" not in page.url
    page.reload()  # a reload focuses nothing either
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator("#diagram .focused")).to_have_count(0)
