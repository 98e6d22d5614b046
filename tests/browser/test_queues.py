"""Tablet width (820 px) and the keyboard. A registrar's queue in Chinese (runs of
characters are where a squeezed cell breaks a character per line): the home page counts
today's check-ins and links to the desk, whose table cells are never squeezed to a character
or two; the keyboard alone reaches the skip link, then the queue's link, and follows it. The
widest tables (activity log, users) scroll in their own box, and without layout.css they do
not: the check measures what the stylesheet does."""

from __future__ import annotations

import pytest

from tests.browser._live import browser, live_site, log_in  # noqa: F401

pytestmark = pytest.mark.browser

NARROWEST_CELL = """() => {
  const cells = [...document.querySelectorAll('main td, main th')]
    .filter(c => c.innerText.trim().length >= 3);
  const probe = document.createElement('span');
  probe.textContent = 'MMM';
  document.querySelector('main').appendChild(probe);
  const threeChars = probe.getBoundingClientRect().width;
  probe.remove();
  const widths = cells.map(c => c.getBoundingClientRect().width);
  return {count: cells.length, narrowest: Math.min(...widths), threeChars};
}"""


def test_the_registrar_queue_at_tablet_width(live_site, browser):  # noqa: F811
    page = browser.new_page(locale="zh-CN", viewport={"width": 820, "height": 1100})
    log_in(page, live_site, "st.registrar.zh")
    queue = page.locator("[data-queue=checked_in]")
    assert queue.locator(".queue-count").inner_text() == "2"

    queue.locator("a").click()
    page.wait_for_url("**/station/")
    measured = page.evaluate(NARROWEST_CELL)
    assert measured["count"] > 0
    assert measured["narrowest"] >= measured["threeChars"], measured
    # The page itself never scrolls sideways (a wide table scrolls in its own box).
    assert page.evaluate("document.documentElement.scrollWidth") <= 820


def test_tab_reaches_the_skip_link_then_the_queue(live_site, browser):  # noqa: F811
    page = browser.new_page(locale="en-GB", viewport={"width": 820, "height": 1100})
    log_in(page, live_site, "st.registrar")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    # From the main content, Tab reaches the queue's link before anything else in main.
    target = page.locator("[data-queue=checked_in] a").get_attribute("href")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == target:
            break
    else:
        pytest.fail("Tab never reached the queue's link")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{target}")
    assert page.locator("h1").count() == 1


def _wide_pages_at_tablet_width(browser, live_site, *, without_layout: bool) -> dict:  # noqa: F811
    """The administrator's widest tables (activity log, users) at 820 px: how wide the page
    is and how narrow its cells get; optionally with layout.css withheld."""
    page = browser.new_page(locale="zh-CN", viewport={"width": 820, "height": 1100})
    if without_layout:
        page.route("**/layout.css", lambda route: route.fulfill(body="", content_type="text/css"))
    log_in(page, live_site, "st.admin")
    measured = {}
    for path in ("/activity", "/admin/users"):
        page.goto(live_site + path)
        measured[path] = {
            "page_width": page.evaluate("document.documentElement.scrollWidth"),
            **page.evaluate(NARROWEST_CELL),
        }
    page.close()
    return measured


def test_wide_tables_scroll_in_their_box_at_tablet_width(live_site, browser):  # noqa: F811
    measured = _wide_pages_at_tablet_width(browser, live_site, without_layout=False)
    for path, m in measured.items():
        assert m["count"] > 0, path
        assert m["page_width"] <= 820, (path, m)
        assert m["narrowest"] >= m["threeChars"], (path, m)
    # The check can fail: the same pages without layout.css push the page sideways.
    bare = _wide_pages_at_tablet_width(browser, live_site, without_layout=True)
    assert any(m["page_width"] > 820 for m in bare.values()), bare
