"""An administrator disables a user in Chromium: the user's open page is logged out at its
next request, and their log-in is refused with the answer a wrong password gets."""

from __future__ import annotations

import pytest

from tests.browser._live import browser, live_site, log_in  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_user_disabled_by_an_administrator_is_refused_at_login(live_site, browser):  # noqa: F811
    registrar = browser.new_context(locale="en-GB").new_page()
    log_in(registrar, live_site, "st.registrar")
    assert registrar.url.rstrip("/") == live_site  # logged in, on the home page

    admin = browser.new_context(locale="en-GB").new_page()
    log_in(admin, live_site, "st.admin")
    admin.goto(f"{live_site}/admin/users")
    admin.get_by_role("link", name="st.registrar", exact=True).first.click()
    admin.wait_for_load_state()
    admin.get_by_role("button", name="Disable the account").click()
    admin.wait_for_load_state()
    assert "st.registrar is disabled; their sessions have ended." in admin.content()
    assert admin.get_by_role("button", name="Enable the account").count() == 1

    registrar.goto(f"{live_site}/")  # the open session has ended
    assert "/login" in registrar.url
    log_in(registrar, live_site, "st.registrar")
    assert "/login" in registrar.url
    assert "Unknown user name or wrong password." in registrar.content()
