"""axe-core (installed from its npm package, see package.json) run on the main pages: log-in,
a home page of each kind of organisation, the donor registry form, the blood units list and
the regulator's dashboard — no serious or critical violation on any of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser._live import HOME_OF_KIND, browser, live_site, log_in  # noqa: F401

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def serious_violations(page) -> list[str]:
    # The app's CSP refuses injected scripts: the context bypasses it for axe alone.
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run()).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in violations
        if v["impact"] in SERIOUS
    ]


@pytest.fixture
def new_page(browser):  # noqa: F811
    assert AXE.exists(), "axe-core is not installed: run `npm ci --no-audit --no-fund`"

    def make():
        context = browser.new_context(bypass_csp=True, locale="en-GB")
        return context.new_page()

    return make


def test_the_log_in_page(live_site, new_page):  # noqa: F811
    page = new_page()
    page.goto(f"{live_site}/login")
    assert serious_violations(page) == []


@pytest.mark.parametrize("kind", sorted(HOME_OF_KIND))
def test_each_kind_of_home_page(live_site, new_page, kind):  # noqa: F811
    page = new_page()
    log_in(page, live_site, HOME_OF_KIND[kind])
    page.wait_for_selector("main h1")
    assert serious_violations(page) == []


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("st.registrar", "/station/donors/new"),
        ("bc.clerk", "/stock/units"),
        ("zj.inspector", "/supervision/"),
    ],
)
def test_the_main_work_pages(live_site, new_page, username, path):  # noqa: F811
    page = new_page()
    log_in(page, live_site, username)
    page.goto(f"{live_site}{path}")
    assert page.locator("main h1").count() == 1
    assert serious_violations(page) == []
