"""The demo hospitals show clinical use after `make run`: a record for every unit the stock
demo shows as transfused, flags, an RhD emergency, approvals at each tier, reactions (one
life-threatening), a missing outcome, wastage."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.accounts.models import Organisation, User
from blood.accounts.service import actor_for_user
from blood.clinical import service as clinical
from blood.clinical.models import AdverseReaction, Transfusion, TransfusionFlag
from blood.pagination import PageRequest
from blood.stock.lifecycle import UnitState
from blood.stock.models import Unit


@pytest.fixture(scope="session")
def base_app(demo_app):
    """These tests read the demo, loaded once per database (tests/conftest.py)."""
    return demo_app


@pytest.fixture
def demo(demo_output):
    return demo_output


def staff(session, username):
    user = session.exec(select(User).where(User.username == username)).one()
    return actor_for_user(session, user)


def test_every_unit_transfused_at_a_demo_hospital_has_its_record(session, demo):
    hospitals = session.exec(select(Organisation.id).where(Organisation.kind == "hospital")).all()
    transfused = session.exec(
        select(Unit.id).where(Unit.state == UnitState.TRANSFUSED, Unit.owner_id.in_(hospitals))
    ).all()
    recorded = session.exec(select(Transfusion.unit_id)).all()
    assert len(transfused) > 100 and sorted(recorded) == sorted(transfused)


def test_the_demo_shows_what_the_rules_are_for(app, session, demo):
    flags = {f.code for f in session.exec(select(TransfusionFlag)).all()}
    assert {"rhd_positive_emergency", "approval_missing", "red_cells_hb_high"} <= flags
    [reported] = session.exec(select(TransfusionFlag).where(TransfusionFlag.report)).all()
    assert reported.code == "rhd_positive_emergency"
    tiers = set(session.exec(select(Transfusion.required_approval)).all())
    assert {None, "department_head", "medical_department"} <= tiers
    reactions = session.exec(select(AdverseReaction)).all()
    assert len(reactions) >= 3 and any(r.severity == 3 and r.alert_required for r in reactions)
    with app.app_context():
        review = clinical.review_list(
            session=session,
            actor=staff(session, "zju1.transfusion"),
            flagged_page=PageRequest(),
            missing_page=PageRequest(),
        )
        officer = staff(session, "zju1.transfusion")
        figures = clinical.monthly_figures(session=session, actor=officer)
        before = clinical.monthly_figures(session=session, actor=officer, month=figures.previous)
    assert review.flagged.total and review.missing_outcomes.total
    # Early on the first of a month, today's transfusions may still be last month's.
    assert figures.transfusions + before.transfusions and figures.wasted >= 1


def test_the_demo_pages_render_for_a_transfusion_officer(client, demo):
    from blood.demo import DEMO_PASSWORD
    from tests.conftest import login

    login(client, "zju1.transfusion", DEMO_PASSWORD)
    for page in ("/clinical/transfusions", "/clinical/review", "/clinical/figures"):
        assert client.get(page).status_code == 200, page
