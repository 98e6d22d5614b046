"""The same unit is never transfused or discarded twice, even by racing requests
(real transactions on separate connections; the conditional UPDATE is the guard)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from blood.accounts.models import User
from blood.accounts.roles import OrgKind, Role
from blood.accounts.service import actor_for_user
from blood.db import get_db, utcnow
from blood.stock import service as stock
from blood.stock.lifecycle import Action
from blood.stock.models import Unit, UnitMovement
from tests.conftest import commit_world, wipe_committed
from tests.plasma.test_concurrency import run_at_once


def test_racing_transfusions_and_discards_apply_once(base_app):
    engine = get_db(base_app).engine
    try:
        made = commit_world(
            base_app,
            [("BC", OrgKind.BLOOD_CENTRE, "血液中心"), ("H1", OrgKind.HOSPITAL, "医院")],
            [(name, "H1", [Role.TRANSFUSION_OFFICER], "en") for name in ("nurse.one", "nurse.two")],
        )
        centre, hospital = made["BC"], made["H1"]
        with base_app.app_context(), get_db(base_app).new_session(bind=engine) as session:
            now = utcnow()
            session.add(
                Unit(
                    din="B330026000001",
                    check_character="X",
                    product_code="E0001",
                    component="red_cells",
                    abo="O",
                    rhd="+",
                    volume_ml=280,
                    collected_at=now,
                    expires_at=now + timedelta(days=30),
                    state="received",
                    owner_id=hospital.id,
                    centre_id=centre.id,
                )
            )
            session.commit()

        def act(username, action, reason=None):
            def work():
                with base_app.app_context(), get_db(base_app).new_session(bind=engine) as session:
                    user = session.exec(select(User).where(User.username == username)).one()
                    unit = session.exec(select(Unit)).one()
                    actor = actor_for_user(session, user)
                    if action is Action.DISCARD:
                        stock.hospital_action(
                            session=session, actor=actor, unit=unit, action=action, reason=reason
                        )
                    else:  # as the clinical record transfuses: the state machine, directly
                        stock.transition(
                            session=session,
                            actor=actor,
                            unit=unit,
                            action=action,
                            holder=stock.acting_hospital(session=session, actor=actor),
                        )
                    session.commit()
                    return "done"

            return work

        results = run_at_once(
            [
                act("nurse.one", Action.TRANSFUSE),
                act("nurse.two", Action.TRANSFUSE),
                act("nurse.two", Action.DISCARD, "damaged"),
            ]
        )
        assert results.count("done") == 1, results
        assert all(isinstance(r, stock.TransitionRefused) for r in results if r != "done")
        with get_db(base_app).new_session(bind=engine) as session:
            assert len(session.exec(select(UnitMovement)).all()) == 1
    finally:
        wipe_committed(engine)
