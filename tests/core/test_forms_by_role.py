"""A form is shown only to the roles that may submit it: the page asks the same duty the
service requires (``blood.accounts.scoping.Duty``). Others read who does it instead, and
posting anyway is still refused with the role that is needed."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token_of, login


def _forms_in_main(html: str) -> int:
    """Forms that write (method post) inside the page's main content (the menu's log-out
    form is outside it)."""
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return len(re.findall(r'<form[^>]*method="post"', main))


# (page, a user who may submit its form, a user of the same organisation who may not, the
# roles named to the other)
PAGES = [
    ("/station/", "sca.registrar", "sca.physician", "Registrar"),
    ("/station/quarantine", "sca.quality", "sca.registrar", "Quality manager"),
    ("/station/lab", "sca.lab", "sca.collector", "Laboratory"),
    ("/station/shipments/new", "sca.quality", "sca.lab", "Quality manager"),
    ("/station/donors/new", "sca.registrar", "sca.quality", "Registrar"),
]


@pytest.mark.parametrize(("path", "allowed", "refused", "role"), PAGES)
def test_the_form_is_shown_to_its_role_only(app, client, world, path, allowed, refused, role):
    login(client, allowed)
    page = client.get(path)
    assert page.status_code == 200
    assert _forms_in_main(page.get_data(as_text=True)) >= 1
    other = app.test_client()
    login(other, refused)
    page = other.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _forms_in_main(html) == 0
    assert "Done by:" in html and role in html


# (where the hidden form posts, what it would post, who may not)
POSTS = [
    ("/station/check-in", {"resident_id": "330127199001011234"}, "sca.physician"),
    ("/station/quarantine/release", {"din": "P330126000001", "confirmed": "1"}, "sca.registrar"),
    (
        "/station/lab",
        {
            "din": "P330126000001",
            **dict.fromkeys(("hbsag", "anti_hcv", "anti_hiv", "syphilis"), "negative"),
        },
        "sca.collector",
    ),
    ("/station/donors/new", {"resident_id": "330127199001011234", "name": "x"}, "sca.quality"),
]


@pytest.mark.parametrize(("path", "data", "refused"), POSTS)
def test_posting_the_hidden_form_anyway_is_refused(client, world, path, data, refused):
    login(client, refused)
    token = csrf_token_of(client.get("/").get_data(as_text=True))
    answer = client.post(path, data={**data, "csrf_token": token})
    assert answer.status_code == 403


def test_the_note_reads_in_chinese(app, client, session, world):
    user = world.users["sca.physician"]
    user.locale = "zh_CN"
    session.add(user)
    session.commit()
    login(client, "sca.physician", lang="zh_CN")
    html = client.get("/station/").get_data(as_text=True)
    assert "Done by" not in html
    assert "办理人" in html
