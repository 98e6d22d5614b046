"""The recall list: lapsed donors who may give again, masked, without those just contacted;
the contact log, audited; and who may use it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.analytics.models import DonorContact
from blood.analytics.service import recruitment
from blood.audit import AuditEvent
from blood.errors import Forbidden, NotFound, ValidationFailed
from tests.conftest import csrf_token_of, login
from tests.helpers import as_user, past_collection, register


def _donors(session, world):
    station = world.org("S-CA")
    lapsed = register(
        session, world, serial=201, name="林海", abo="O", rhd="-", phone="13912345678"
    )
    recent = register(session, world, serial=202, name="周雨", abo="O", rhd="-")
    past_collection(session, lapsed, station, 200)
    past_collection(session, recent, station, 20)
    return lapsed, recent


def test_the_list_holds_the_lapsed_donor_only(app, session, world):
    with app.app_context():
        lapsed, _recent = _donors(session, world)
        actor = as_user(session, world, "sca.registrar")
        rows = recruitment.lapsed_donors(session=session, actor=actor)
        assert [r.donor.id for r in rows] == [lapsed.id]
        assert rows[0].last_kind == "plasma"
        only_a = recruitment.lapsed_donors(
            session=session, actor=actor, filters=recruitment.LapsedFilter(abo="A")
        )
        assert only_a == []
        by_region = recruitment.lapsed_donors(
            session=session, actor=actor, filters=recruitment.LapsedFilter(region="3301")
        )
        assert [r.donor.id for r in by_region] == [lapsed.id]


def test_a_contact_takes_the_donor_off_the_list_and_is_audited(app, session, world):
    with app.app_context():
        lapsed, _recent = _donors(session, world)
        actor = as_user(session, world, "sca.registrar")
        recruitment.record_contact(
            session=session, actor=actor, donor_id=lapsed.id, outcome="booked", note="周六上午"
        )
        assert recruitment.lapsed_donors(session=session, actor=actor) == []
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "donor.recall_contact")
        ).one()
        assert event.changes["outcome"] == [None, "booked"]
        assert "13912345678" not in str(event.changes)


def test_refusals(app, session, world):
    with app.app_context():
        lapsed, _recent = _donors(session, world)
        with pytest.raises(NotFound):  # another station's registrar
            recruitment.record_contact(
                session=session,
                actor=as_user(session, world, "swz.registrar"),
                donor_id=lapsed.id,
                outcome="called",
            )
        with pytest.raises(ValidationFailed):
            recruitment.record_contact(
                session=session,
                actor=as_user(session, world, "sca.registrar"),
                donor_id=lapsed.id,
                outcome="shouted",
            )
        with pytest.raises(Forbidden):  # the collector does not recall
            recruitment.lapsed_donors(
                session=session, actor=as_user(session, world, "sca.collector")
            )
        with pytest.raises(Forbidden):  # an authority never sees individual donors
            recruitment.lapsed_donors(session=session, actor=as_user(session, world, "p.inspector"))
        assert session.exec(select(DonorContact)).all() == []


def test_the_page_masks_phones_and_logs_a_contact(app, client, session, world):
    with app.app_context():
        lapsed, _recent = _donors(session, world)
        session.commit()
    login(client, "sca.registrar")
    page = client.get("/analytics/recall")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "林海" in html and "周雨" not in html
    assert "13912345678" not in html and "139****5678" in html
    assert client.get("/analytics/recall?abo=Q").status_code == 422
    token = csrf_token_of(html)
    bad = client.post(
        f"/analytics/recall/{lapsed.id}/contact", data={"outcome": "", "csrf_token": token}
    )
    assert bad.status_code == 422
    good = client.post(
        f"/analytics/recall/{lapsed.id}/contact", data={"outcome": "called", "csrf_token": token}
    )
    assert good.status_code == 302
    assert "林海" not in client.get("/analytics/recall").get_data(as_text=True)
