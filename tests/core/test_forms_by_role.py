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


CENTRE_PAGES = [
    ("/stock/collect", "bc.collector", "bc.clerk", "Collector"),
    ("/stock/lab", "bc.lab", "bc.clerk", "Laboratory"),
]


@pytest.mark.parametrize(("path", "allowed", "refused", "role"), CENTRE_PAGES)
def test_blood_centre_forms_are_shown_to_their_role_only(
    app, client, session, world, path, allowed, refused, role
):
    from tests.stock.helpers import lab

    lab(session, world)
    session.commit()
    login(client, allowed)
    assert _forms_in_main(client.get(path).get_data(as_text=True)) >= 1
    other = app.test_client()
    login(other, refused)
    html = other.get(path).get_data(as_text=True)
    assert _forms_in_main(html) == 0
    assert "Done by:" in html and role in html


def test_the_donation_page_offers_components_to_the_clerk_not_the_collector(
    app, client, session, world
):
    from tests.stock.helpers import donation

    with app.app_context():
        collected = donation(session, world, serial=301)
        session.commit()
    path = f"/stock/donations/{collected.id}"
    login(client, "bc.clerk")
    assert 'name="product_code.0"' in client.get(path).get_data(as_text=True)
    collector = app.test_client()
    login(collector, "bc.collector")
    html = collector.get(path).get_data(as_text=True)
    assert 'name="product_code.0"' not in html
    assert "Done by:" in html and "Stock clerk" in html


def test_the_units_page_hides_discard_and_release_from_the_collector(app, client, session, world):
    from blood.accounts.roles import Role
    from blood.stock import service as stock
    from tests.stock.helpers import donation, produce, staff, test_results

    with app.app_context():
        staff(session, world, "bc.desk", Role.COLLECTOR)
        collected = donation(session, world, serial=301)
        produce(
            session, world, collected, stock.ComponentInput(product_code="E0001", volume_ml=280)
        )
        test_results(session, world, collected)
        session.commit()
    login(client, "bc.clerk")  # a stock clerk discards; the quality manager releases
    html = client.get("/stock/units").get_data(as_text=True)
    assert 'value="discard"' in html
    assert 'id="release"' not in html
    assert "Units ready for release: 1." in html and "Quality manager" in html
    desk = app.test_client()
    login(desk, "bc.desk")
    html = desk.get("/stock/units").get_data(as_text=True)
    assert 'value="discard"' not in html
