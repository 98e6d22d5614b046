"""Too young or too old people are refused at registration and at check-in, with the reason,
writing nothing: registration by the registering organisation's profile for a new donor (no
history), check-in with the donor's whole history (the established-donor extension to 60)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from blood.audit import AuditEvent
from blood.donors import rules
from blood.donors import service as donors
from blood.donors.models import Donor
from blood.errors import ValidationFailed
from blood.plasma import service as plasma
from blood.plasma.models import Visit
from tests.conftest import login, make_resident_id
from tests.helpers import as_user, past_collection, register
from tests.plasma.forms import post


def birth(years_ago: int) -> str:
    """A birth date exactly `years_ago` years old by today (or a few days more), YYYYMMDD."""
    today = date.today()
    return f"{date(today.year - years_ago, today.month, min(today.day, 28)):%Y%m%d}"


def registration(years_ago: int, serial: int = 123) -> donors.DonorRegistration:
    return donors.DonorRegistration(
        resident_id=make_resident_id(birth=birth(years_ago), serial=serial), name="王芳"
    )


@pytest.mark.parametrize("years, code", [(10, "too_young"), (17, "too_young"), (56, "too_old")])
def test_age_rule_at_registration_refuses_and_writes_nothing(app, session, world, years, code):
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        donors.register_donor(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            data=registration(years),
        )
    [message, *rest] = refused.value.fields["resident_id"]
    word = "Younger than 18 years" if code == "too_young" else "Older than 55 years"
    assert message.startswith(word)
    if code == "too_young":  # when they may come back
        assert rest and rest[0].startswith("Next possible date:")
    session.rollback()
    assert session.exec(select(Donor)).all() == []
    assert "donor.register" not in session.exec(select(AuditEvent.action)).all()


def test_age_rule_at_registration_uses_the_registering_organisations_profile(app, session, world):
    """A 58-year-old new donor: the blood centre's profile (18-55, extension only for repeat
    donors) refuses as the station's does; an adult of 30 is accepted by both."""
    with app.app_context():
        for username in ("sca.registrar", "bc.collector"):
            with pytest.raises(ValidationFailed):
                donors.register_donor(
                    session=session,
                    actor=as_user(session, world, username),
                    data=registration(58, serial=131),
                )
        assert donors.register_donor(
            session=session,
            actor=as_user(session, world, "bc.collector"),
            data=registration(30, serial=133),
        ).id


def test_age_rule_at_registration_on_the_web_form(client, world):
    login(client, "sca.registrar")
    response = post(
        client,
        "/station/donors/new",
        {"resident_id": make_resident_id(birth=birth(10)), "name": "王小明"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Younger than 18 years (age 10)." in html
    assert '<a href="#f-resident_id">Resident ID number</a>' in html


def _age_to(session, donor, years: int) -> None:
    """The donor is now `years` old (the past the services cannot create)."""
    today = date.today()
    donor.birth_date = date(today.year - years, 1, 1)
    session.add(donor)
    session.flush()


def test_age_rule_at_check_in_refuses_a_donor_now_too_old_and_writes_nothing(app, session, world):
    with app.app_context():
        donor = register(session, world)
        _age_to(session, donor, 57)
        with pytest.raises(ValidationFailed) as refused:
            plasma.check_in(
                session=session,
                actor=as_user(session, world, "sca.registrar"),
                resident_id=make_resident_id(),
            )
    assert refused.value.fields["resident_id"][0].startswith("Older than 55 years (age 57)")
    assert session.exec(select(Visit)).all() == []


def test_age_rule_at_check_in_extends_to_60_for_an_established_donor(app, session, world):
    with app.app_context():
        donor = register(session, world)
        past_collection(session, donor, world.org("S-CA"), 40)
        _age_to(session, donor, 57)
        visit = plasma.check_in(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            resident_id=make_resident_id(),
        )
        assert visit.id is not None
        # ...but not beyond 60
        other = register(session, world, serial=125)
        past_collection(session, other, world.org("S-CA"), 40)
        _age_to(session, other, 61)
        with pytest.raises(ValidationFailed) as refused:
            plasma.check_in(
                session=session,
                actor=as_user(session, world, "sca.registrar"),
                resident_id=make_resident_id(serial=125),
            )
    assert refused.value.fields["resident_id"][0].startswith("Older than 60 years (age 61)")


def test_age_rule_at_check_in_no_extension_after_a_reaction(app, session, world):
    with app.app_context():
        donor = register(session, world)
        past_collection(session, donor, world.org("S-CA"), 40, adverse_reaction="vasovagal")
        _age_to(session, donor, 57)
        with pytest.raises(ValidationFailed):
            plasma.check_in(
                session=session,
                actor=as_user(session, world, "sca.registrar"),
                resident_id=make_resident_id(),
            )


def test_age_rule_at_check_in_on_the_front_desk(client, app, session, world):
    with app.app_context():
        donor = register(session, world)
        _age_to(session, donor, 57)
        session.commit()
    login(client, "sca.registrar")
    response = post(
        client, "/station/check-in", {"resident_id": make_resident_id()}, page="/station/"
    )
    assert response.status_code == 303
    desk = client.get("/station/").get_data(as_text=True)
    assert "Older than 55 years (age 57)." in desk


def test_age_rule_is_the_engines_own():
    """Registration and check-in call the same rule `decide` applies."""
    profile = rules.CN_PLASMA
    young = rules.DonorFacts("M", date(2010, 6, 1))
    on = date(2026, 11, 16)
    alone = rules.check_age(profile, young, rules.History(), on)
    full = rules.decide(profile, young, rules.Screening(), rules.History(), on)
    assert alone.reasons == tuple(r for r in full.reasons if r.code in ("too_young", "too_old"))
    assert alone.next_eligible_on == date(2028, 6, 1)
