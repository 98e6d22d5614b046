"""Pages that do not invite mistakes: destructive actions are confirmed first, nothing is
preselected, "release everything" is an explicit button showing how many, error summaries
name fields by their labels, the help's examples work, and no raw code, "None" or English
word reaches a Chinese page."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlmodel import select

from blood import isbt128
from blood.plasma.models import Collection, UnitState
from tests.conftest import login
from tests.helpers import as_user, past_collection, register
from tests.plasma.forms import post


def visible_text(page: str) -> str:
    """What a person reads: no tags, attributes, or form values."""
    body = page.split("<body", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body))


def to_chinese(session, world, username):
    user = world.users[username]
    user.locale = "zh_CN"
    session.add(user)
    session.commit()


@pytest.fixture
def releasable(app, session, world):
    """Two releasable units of one donor (held over 90 days, a later negative donation)."""
    with app.app_context():
        donor = register(session, world)
        units = [past_collection(session, donor, world.org("S-CA"), days) for days in (120, 100)]
        past_collection(session, donor, world.org("S-CA"), 20)
        session.commit()
    return units


# --- destructive actions are confirmed; "release all" is explicit ----------------------


def test_release_nothing_ticked_releases_nothing(client, session, world, releasable):
    login(client, "sca.quality")
    page = client.get("/station/quarantine").get_data(as_text=True)
    assert "Release all 2 releasable units" in page and "Release the ticked units" in page
    response = post(
        client, "/station/quarantine/release", {"release": "ticked"}, "/station/quarantine"
    )
    assert response.status_code == 303
    assert "Tick the units to release" in client.get("/station/quarantine").get_data(as_text=True)
    session.expire_all()
    assert {u.state for u in session.exec(select(Collection)).all()} == {UnitState.QUARANTINE}


def test_release_ticked_is_confirmed_first_listing_the_units(client, session, world, releasable):
    login(client, "sca.quality")
    chosen = {"release": "ticked", "din": releasable[0].din}
    asked = post(client, "/station/quarantine/release", chosen, "/station/quarantine")
    assert asked.status_code == 200
    text = asked.get_data(as_text=True)
    assert "Release from quarantine?" in text and releasable[0].din in text
    assert releasable[1].din not in text
    session.expire_all()
    assert session.get(Collection, releasable[0].id).state == UnitState.QUARANTINE
    done = post(
        client, "/station/quarantine/release", {**chosen, "confirmed": "1"}, "/station/quarantine"
    )
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Collection, releasable[0].id).state == UnitState.RELEASED
    assert session.get(Collection, releasable[1].id).state == UnitState.QUARANTINE


def test_shipment_is_confirmed_first_and_nothing_is_preticked(
    client, session, world, released_units
):
    units = released_units(2)
    session.commit()
    login(client, "sca.quality")
    page = client.get("/station/shipments/new").get_data(as_text=True)
    assert " checked " not in page and " checked>" not in page
    assert "Ship all 2 released units" in page
    nothing = post(client, "/station/shipments/new", {"ship": "ticked", "manufacturer_code": "MF"})
    assert nothing.status_code == 422 and "Tick the units to ship" in nothing.get_data(as_text=True)
    form = {"ship": "all", "manufacturer_code": "MF", "released": [u.din for u in units]}
    asked = post(client, "/station/shipments/new", form)
    assert asked.status_code == 200 and "Ship these units?" in asked.get_data(as_text=True)
    assert "MF organisation" in asked.get_data(as_text=True)
    session.expire_all()
    assert {session.get(Collection, u.id).state for u in units} == {UnitState.RELEASED}
    done = post(client, "/station/shipments/new", {**form, "confirmed": "1"})
    assert done.status_code == 302
    session.expire_all()
    assert {session.get(Collection, u.id).state for u in units} == {UnitState.SHIPPED}


# --- labels, examples ---------------------------------------------------------------------


def test_batch_help_examples_parse(client, world):
    # Imported here: the views' schemas must be built after the app installed its
    # translated validation messages (blood.validation_messages.install).
    from blood.plasma.views.lab import BATCH_EXAMPLES, _load_batch

    for example in BATCH_EXAMPLES:
        din = example.split(",")[0]
        assert isbt128.parse_din(din, require_check=True).check == din[-1]
        rows, numbers, errors = _load_batch(example)
        assert errors == {} and numbers == [1] and len(rows) == 1
    login(client, "sca.lab")
    page = client.get("/station/lab").get_data(as_text=True)
    assert all(example in page for example in BATCH_EXAMPLES)
    assert "W123426000001D" not in page


def test_error_summaries_name_batch_lines_and_fields_by_label(client, session, world):
    with client.application.app_context():
        donor = register(session, world)
        unit = past_collection(session, donor, world.org("S-CA"), 3, outcome=None)
        session.commit()
    login(client, "sca.lab")
    good = f"{unit.din}{unit.check_character},66,20,negative,negative,negative,negative"
    wrong = unit.din + ("0" if unit.check_character != "0" else "1")
    batch = "\n".join(
        [
            "DIN,protein,alt,hbsag,anti_hcv,anti_hiv,syphilis",
            good,
            f"{wrong},66,20,negative,negative,negative,negative",
            "P330126000009,66",
        ]
    )
    response = post(client, "/station/lab", {"batch": batch})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Line 4: Number of values</a>" in page
    assert "results." not in visible_text(page)
    # the service's refusal names the line of the text (a header shifts the rows)
    response = post(client, "/station/lab", {"batch": "\n".join(batch.splitlines()[:3])})
    page = response.get_data(as_text=True)
    assert "Line 3: DIN</a>" in page and "does not match" in page


# --- what a page shows --------------------------------------------------------------------

RAW_CODES = (
    "quarantine",
    "released",
    "shipped",
    "destroyed",
    "releasable",
    "checked_in",
    "ineligible",
    "pending_tests",
    "collection_over_limit",
    "whole_blood",
    "out_of_range",
    "None",
)


def test_blood_group_unknown_never_shows_none(client, session, world):
    with client.application.app_context():
        donor = register(session, world, abo=None, rhd=None)
        unit = past_collection(session, donor, world.org("S-CA"), 100)
        past_collection(session, donor, world.org("S-CA"), 20)
        session.commit()
    login(client, "sca.quality")
    for url in (
        "/station/inventory",
        "/station/quarantine",
        f"/station/units/{unit.din}/label",
        f"/station/donors/{donor.id}",
    ):
        text = visible_text(client.get(url).get_data(as_text=True))
        assert "None" not in text, url
    assert "Not known yet" in visible_text(client.get("/station/inventory").get_data(as_text=True))


def test_raw_codes_and_english_never_show_on_chinese_station_pages(app, client, session, world):
    from blood.plasma import service as plasma

    with app.app_context():
        donor = register(session, world)
        old = past_collection(session, donor, world.org("S-CA"), 100)
        past_collection(session, donor, world.org("S-CA"), 20)
        plasma.release_units(session=session, actor=as_user(session, world, "sca.quality"))
        shipped_or_not = past_collection(session, donor, world.org("S-CA"), 40)
        shipped_or_not.state = UnitState.DESTROYED
        session.commit()
    to_chinese(session, world, "sca.quality")
    login(client, "sca.quality")
    # Abbreviations of the trade, units, the language switch ("English") and the user's
    # own name (sca.quality) are not English sentences.
    allowed = {"DIN", "HBsAg", "HCV", "HIV", "ALT", "RhD", "ABO", "GB", "CA", "ISBT", "TP"}
    allowed |= {"kg", "mL", "English", "sca", "quality"}
    for url in (
        "/station/inventory",
        "/station/quarantine",
        "/station/deviations",
        f"/station/donors/{donor.id}",
        f"/station/units/{old.din}/label",
    ):
        text = visible_text(client.get(url).get_data(as_text=True))
        for code in RAW_CODES:
            assert code not in text, (url, code)
        words = set(re.findall(r"[A-Za-z]{2,}", text)) - allowed
        words = {w for w in words if not re.fullmatch(r"[A-Z]\d*|[PBW]\d+", w)}
        assert not words, (url, sorted(words))
    # a refusal names the state in words
    response = post(
        client,
        "/station/quarantine/release",
        {"release": "ticked", "din": old.din, "confirmed": "1"},
        "/station/quarantine",
    )
    flashed = visible_text(client.get("/station/quarantine").get_data(as_text=True))
    assert response.status_code == 302
    assert "不在检疫期中（当前状态：已放行）" in flashed
