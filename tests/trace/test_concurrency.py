"""A transfusion racing the look-back's block (real transactions on separate connections,
committed): it is refused with the reason, or it happened first and the case lists it as
transfused with a recipient notice. Never both, never neither."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlmodel import select

from blood import isbt128
from blood.accounts.models import User
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor
from blood.accounts.service import actor_for_user, create_token
from blood.db import get_db
from blood.donors import service as donors
from blood.donors.models import Donor
from blood.stock.models import BloodDonation, Unit
from blood.trace.models import CaseUnit, Notice
from tests.clinical.helpers import now, payload
from tests.conftest import commit_world, wipe_committed
from tests.plasma.test_concurrency import run_at_once


def _arrange(app, engine):
    made = commit_world(
        app,
        [("BC", OrgKind.BLOOD_CENTRE, "血液中心"), ("H1", OrgKind.HOSPITAL, "医院")],
        [("bclab", "BC", [Role.LAB], "en")],
        facility_ids={"BC": "B3300"},
    )
    with app.app_context(), get_db(app).new_session(bind=engine) as session:
        donor = Donor(
            station_id=made["BC"].id,
            card_number="C-1",
            resident_id_key="k" * 64,
            resident_id_masked="330127********1234",
            resident_id_enc="x",
            name="韩梅",
            sex="F",
            birth_date=date(1990, 1, 1),
            household_region="330127",
        )
        session.add(donor)
        session.flush()
        at = now() - timedelta(days=10)
        din = isbt128.make_din("B3300", at.year, 910_001)
        donation = BloodDonation(
            donor_id=donor.id,
            centre_id=made["BC"].id,
            din=din,
            check_character=isbt128.check_character(din),
            kind="whole_blood",
            volume_ml=400,
            collected_at=at,
        )
        session.add(donation)
        session.flush()
        unit = Unit(
            din=din,
            check_character=donation.check_character,
            product_code="E0001",
            component="red_cells",
            abo="O",
            rhd="+",
            volume_ml=280,
            collected_at=at,
            expires_at=now() + timedelta(days=20),
            state="received",
            owner_id=made["H1"].id,
            centre_id=made["BC"].id,
            donation_id=donation.id,
        )
        session.add(unit)
        token = create_token(
            session=session, actor=Actor.system(), organisation=made["H1"], name="HIS"
        )[1]
        session.commit()
        return made, donor.id, unit.id, payload(unit), token


def _reactive(app, engine, made, donor_id, *, before_commit=None):
    with app.app_context(), get_db(app).new_session(bind=engine) as session:
        lab = actor_for_user(
            session, session.exec(select(User).where(User.username == "bclab")).one()
        )
        donor = session.get(Donor, donor_id)
        din = session.exec(select(BloodDonation.din)).one()
        donors.record_reactive_donation(
            session=session,
            actor=lab,
            donor=donor,
            din=din,
            markers=["nat"],
            organisation=session.get(type(made["BC"]), made["BC"].id),
        )
        if before_commit is not None:
            before_commit()
        session.commit()


def _transfuse(app, token, body):
    answer = app.test_client().post(
        "/api/v1/transfusions",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
        json={**body, "patient_record_number": "ZY-7"},
    )
    return answer.status_code, (answer.json or {}).get("error")


def test_a_transfusion_waiting_on_the_block_is_refused(base_app, backend):
    if backend != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    engine = get_db(base_app).engine
    try:
        made, donor_id, unit_id, body, token = _arrange(base_app, engine)
        results: dict = {}
        blocked = threading.Event()

        def attempt():
            blocked.wait(timeout=30)
            results["transfusion"] = _transfuse(base_app, token, body)

        thread = threading.Thread(target=attempt)
        thread.start()

        def hold_the_block_open():
            # The unit is blocked but not committed: the transfusion starts now and must
            # wait for this transaction, then find the unit blocked.
            blocked.set()
            thread.join(timeout=1)

        _reactive(base_app, engine, made, donor_id, before_commit=hold_the_block_open)
        thread.join(timeout=60)
        assert results["transfusion"] == (409, "unit_blocked")
        with get_db(base_app).new_session(bind=engine) as session:
            assert session.get(Unit, unit_id).state == "blocked"
            assert session.exec(select(CaseUnit.outcome)).all() == ["blocked"]
    finally:
        wipe_committed(engine)


def test_a_transfusion_racing_the_block_happens_first_or_is_refused(base_app, backend):
    if backend != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    engine = get_db(base_app).engine
    try:
        made, donor_id, unit_id, body, token = _arrange(base_app, engine)
        results = run_at_once(
            [
                lambda: _transfuse(base_app, token, body),
                lambda: _reactive(base_app, engine, made, donor_id),
            ]
        )
        assert results[1] is None, results
        with get_db(base_app).new_session(bind=engine) as session:
            outcome = session.exec(select(CaseUnit.outcome)).one()
            notices = session.exec(select(Notice.kind)).all()
            state = session.get(Unit, unit_id).state
        if results[0] == (201, None):
            assert (outcome, notices, state) == ("transfused", ["recipient"], "transfused")
        else:
            assert results[0] == (409, "unit_blocked")
            assert (outcome, notices, state) == ("blocked", ["hold"], "blocked")
    finally:
        wipe_committed(engine)
