"""A visit's page says where the visit stands, the next step and the role that takes it."""

from __future__ import annotations

import dataclasses

from blood.accounts.roles import Role
from blood.plasma import service as plasma
from tests.conftest import login
from tests.helpers import GOOD_SCREENING, as_user, collect_today


def _step(session, world, visit_id, username):
    page = plasma.visit_overview(
        session=session, actor=as_user(session, world, username), visit_id=visit_id
    )
    return page.next_step


def test_checked_in_visit_waits_for_the_physician(app, session, world, visit):
    with app.app_context():
        step = _step(session, world, visit.id, "sca.registrar")
        assert step.role == Role.PHYSICIAN
        assert not step.yours
        assert _step(session, world, visit.id, "sca.physician").yours


def test_screened_visit_waits_for_the_collector(app, session, world, screened_visit):
    with app.app_context():
        step = _step(session, world, screened_visit.id, "sca.physician")
        assert step.role == Role.COLLECTOR


def test_ineligible_visit_has_no_next_step(app, session, world, visit):
    with app.app_context():
        plasma.record_screening(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            visit_id=visit.id,
            data=dataclasses.replace(GOOD_SCREENING, weight_kg=40),
        )
        step = _step(session, world, visit.id, "sca.physician")
        assert step.step is None and step.role is None


def test_collected_unit_waits_for_the_lab(app, session, world, donor):
    with app.app_context():
        unit = collect_today(session, world, donor)
        step = _step(session, world, unit.visit_id, "sca.lab")
        assert step.role == Role.LAB and step.yours


def test_the_visit_page_shows_the_next_step_and_its_role(app, client, session, world, visit):
    session.commit()
    login(client, "sca.registrar")
    html = client.get(f"/station/visits/{visit.id}").get_data(as_text=True)
    assert 'id="next-step"' in html
    assert "Physician" in html
    assert "physician</" not in html  # the role's name, never its code
