"""The same unit is never transfused or discarded twice, even by racing requests
(real transactions on separate connections; the conditional UPDATE is the guard)."""

from __future__ import annotations

from sqlmodel import Session, select

from blood.accounts.models import User
from blood.accounts.roles import AuthorityLevel, OrgKind, Role
from blood.accounts.scoping import Actor
from blood.accounts.service import (
    OrganisationInput,
    actor_for_user,
    create_organisation,
    create_user,
)
from blood.db import get_db, utcnow
from blood.stock import service as stock
from blood.stock.lifecycle import Action
from blood.stock.models import Unit, UnitMovement
from tests.conftest import wipe_committed
from tests.plasma.test_concurrency import run_at_once


def test_racing_transfusions_and_discards_apply_once(base_app):
    engine = get_db(base_app).engine
    system = Actor.system("tests")
    try:
        with base_app.app_context(), Session(engine) as session:
            create_organisation(
                session=session,
                actor=system,
                data=OrganisationInput(
                    code="ZJ",
                    name_zh="浙江",
                    name_en="ZJ",
                    kind=OrgKind.AUTHORITY,
                    level=AuthorityLevel.PROVINCE,
                    division_code="330000",
                ),
            )
            centre = create_organisation(
                session=session,
                actor=system,
                data=OrganisationInput(
                    code="BC",
                    name_zh="血液中心",
                    name_en="BC",
                    kind=OrgKind.BLOOD_CENTRE,
                    parent_code="ZJ",
                ),
            )
            hospital = create_organisation(
                session=session,
                actor=system,
                data=OrganisationInput(
                    code="H1", name_zh="医院", name_en="H1", kind=OrgKind.HOSPITAL, parent_code="ZJ"
                ),
            )
            for name in ("nurse.one", "nurse.two"):
                create_user(
                    session=session,
                    actor=system,
                    organisation=hospital,
                    username=name,
                    display_name=name,
                    password="a-long-password",
                    roles=[Role.TRANSFUSION_OFFICER],
                )
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
                    expires_at=now + stock.timedelta(days=30),
                    state="received",
                    owner_id=hospital.id,
                    centre_id=centre.id,
                )
            )
            session.commit()

        def act(username, action, reason=None):
            def work():
                with base_app.app_context(), Session(engine) as session:
                    user = session.exec(select(User).where(User.username == username)).one()
                    unit = session.exec(select(Unit)).one()
                    stock.hospital_action(
                        session=session,
                        actor=actor_for_user(session, user),
                        unit=unit,
                        action=action,
                        reason=reason,
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
        with Session(engine) as session:
            assert len(session.exec(select(UnitMovement)).all()) == 1
    finally:
        wipe_committed(engine)
