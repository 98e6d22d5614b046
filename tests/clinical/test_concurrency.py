"""Two systems sending the same transfusion at once (real transactions on separate
connections, committed): one record, and one 409 for the other."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from blood import isbt128
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor
from blood.accounts.service import create_token
from blood.clinical.models import Transfusion
from blood.db import get_db
from blood.stock.models import Unit, UnitMovement
from tests.clinical.helpers import now, payload
from tests.conftest import commit_world, wipe_committed
from tests.plasma.test_concurrency import run_at_once


def test_two_racing_transfusions_of_one_unit_make_one_record_and_one_409(base_app):
    engine = get_db(base_app).engine
    try:
        made = commit_world(
            base_app,
            [("BC", OrgKind.BLOOD_CENTRE, "血液中心"), ("H1", OrgKind.HOSPITAL, "医院")],
            [("officer", "H1", [Role.TRANSFUSION_OFFICER], "en")],
        )
        with base_app.app_context(), get_db(base_app).new_session(bind=engine) as session:
            din = isbt128.make_din("B3300", now().year, 900_001)
            unit = Unit(
                din=din,
                check_character=isbt128.check_character(din),
                product_code="E0001",
                component="red_cells",
                abo="O",
                rhd="+",
                volume_ml=280,
                collected_at=now() - timedelta(days=3),
                expires_at=now() + timedelta(days=20),
                state="received",
                owner_id=made["H1"].id,
                centre_id=made["BC"].id,
            )
            session.add(unit)
            tokens = [
                create_token(
                    session=session, actor=Actor.system(), organisation=made["H1"], name=name
                )[1]
                for name in ("HIS", "bedside scanner")
            ]
            session.commit()
            body = payload(unit)

        def send(token, number):
            def work():
                client = base_app.test_client()
                answer = client.post(
                    "/api/v1/transfusions",
                    headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
                    json={**body, "patient_record_number": number},
                )
                return answer.status_code, answer.json[
                    "error"
                ] if answer.status_code >= 400 else None

            return work

        results = run_at_once([send(tokens[0], "ZY-1"), send(tokens[1], "ZY-2")])
        assert sorted(results, key=lambda r: r[0]) == [
            (201, None),
            (409, "unit_already_transfused"),
        ], results
        with get_db(base_app).new_session(bind=engine) as session:
            assert len(session.exec(select(Transfusion)).all()) == 1
            moves = session.exec(select(UnitMovement)).all()
            assert [m.action for m in moves] == ["transfuse"]
    finally:
        wipe_committed(engine)
