"""A real browser (Debian's Chromium, headless) searches the donor list, filters it, sorts it
and pages through it: the search, filter and sort stay in the URL from page to page, and a
page opened from its address shows the same rows."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor
from blood.db import get_db
from blood.donors import service as donors
from tests.browser.test_dashboard import browser  # noqa: F401  (the Chromium fixture)
from tests.conftest import commit_world, make_resident_id, wipe_committed

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-password"


@pytest.fixture
def live_registry(base_app):
    """A station with 55 donors named 张… (B+ and O+ alternately) and 3 others, committed,
    and a real HTTP server."""
    engine = get_db(base_app).engine
    made = commit_world(
        base_app,
        [("PS-CA", OrgKind.PLASMA_STATION, "淳安县单采血浆站")],
        [("registrar.en", "PS-CA", [Role.REGISTRAR], "en")],
        facility_ids={"PS-CA": "P3327"},
        areas={"PS-CA": ["330127"]},
        password=PASSWORD,
    )
    with base_app.app_context(), get_db(base_app).new_session(bind=engine) as session:
        station = session.merge(made["PS-CA"])
        actor = Actor.for_organisation("user", None, "tests", station, [Role.REGISTRAR])
        for serial in range(300, 358):
            name = f"张{serial}" if serial < 355 else f"李{serial}"
            donors.register_donor(
                session=session,
                actor=actor,
                data=donors.DonorRegistration(
                    resident_id=make_resident_id(serial=serial),
                    name=name,
                    abo="B" if serial % 2 else "O",
                    rhd="+",
                ),
            )
        session.commit()
    server = make_server("127.0.0.1", 0, base_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    wipe_committed(engine)


def _names(page) -> list[str]:
    return page.locator("table tbody tr td:nth-child(2)").all_inner_texts()


def test_a_search_with_paging_keeps_search_and_sort(live_registry, browser):  # noqa: F811
    page = browser.new_page(locale="en-GB")
    page.goto(f"{live_registry}/login")
    page.fill("#f-username", "registrar.en")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_registry}/")
    page.goto(f"{live_registry}/station/donors/list")
    assert len(_names(page)) == 50  # 58 donors, 50 a page

    page.fill("#f-q", "张")
    page.click(".list-filters button[type=submit]")
    page.wait_for_url("**q=**")  # each click below waits for the page it opens
    page.wait_for_load_state()
    page.click("th >> text=Name")  # sort by name, ascending
    page.wait_for_url("**sort=name**")
    page.wait_for_load_state()
    assert "sort=name" in page.url and "q=" in page.url
    first = _names(page)
    assert len(first) == 50 and first == sorted(first) and first[0] == "张300"

    page.click("nav.pager >> text=Next")
    page.wait_for_url("**page=2**")
    page.wait_for_load_state()
    assert "page=2" in page.url and "sort=name" in page.url and "q=" in page.url
    second = _names(page)
    assert second == ["张350", "张351", "张352", "张353", "张354"]

    page.select_option("#f-abo", "B")  # the filter form keeps the sort
    page.click(".list-filters button[type=submit]")
    page.wait_for_url("**abo=B**")
    page.wait_for_load_state()
    assert "abo=B" in page.url and "sort=name" in page.url
    b_only = _names(page)
    assert len(b_only) == 27 and all(int(n[1:]) % 2 for n in b_only)

    shared = page.url  # a bookmark opens the same rows
    other = browser.new_page(locale="en-GB")
    other.context.add_cookies(page.context.cookies())
    other.goto(shared)
    assert _names(other) == b_only
