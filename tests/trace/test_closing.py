"""Closing a look-back case: by the opener's quality role or an inspector above the opener,
with a required comment, refused while a notice is not acknowledged (naming it), audited; on
the case page through a confirmation step."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.accounts.roles import Role
from blood.accounts.service import actor_for_user
from blood.audit.models import AuditEvent
from blood.db import utcnow
from blood.errors import Conflict, Forbidden, NotFound, ValidationFailed
from blood.trace import service as trace
from blood.trace.models import LookbackCase, Notice
from tests.conftest import csrf_token_of, login
from tests.stock.helpers import quality, staff
from tests.trace.helpers import full_chain, reactive


@pytest.fixture
def case(app, session, world):
    with app.app_context():
        chain = full_chain(session, world)
        reactive(session, world, chain)  # opened by BC, under the province ZJ
        session.commit()
        return session.exec(select(LookbackCase)).one()


def _acknowledge_all(session, case):
    for notice in session.exec(select(Notice).where(Notice.case_id == case.id)):
        notice.acknowledged_at = utcnow()
        session.add(notice)
    session.flush()


def _actor(session, world, username):
    return actor_for_user(session, world.users[username])


def test_unacknowledged_notices_refuse_the_close_and_are_named(app, session, world, case):
    with app.app_context():
        notices = session.exec(select(Notice).where(Notice.case_id == case.id)).all()
        assert notices
        with pytest.raises(Conflict) as refused:
            trace.close_case(
                session=session, actor=quality(session, world), case_id=case.id, comment="done"
            )
        for notice in notices:
            assert notice.din in refused.value.message
        assert session.get(LookbackCase, case.id).status == "open"


def test_the_openers_quality_role_closes_it_with_a_comment_and_it_is_audited(
    app, session, world, case
):
    with app.app_context():
        _acknowledge_all(session, case)
        closed = trace.close_case(
            session=session,
            actor=quality(session, world),
            case_id=case.id,
            comment="All units dealt with.",
        )
        assert closed.status == "closed" and closed.closing_comment == "All units dealt with."
        assert closed.closed_by == "bc.quality" and closed.closed_at is not None
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "lookback.case_closed")
        ).one()
        assert event.entity_id == str(case.id)
        assert event.changes["status"] == ["open", "closed"]
        with pytest.raises(Conflict):  # once
            trace.close_case(
                session=session, actor=quality(session, world), case_id=case.id, comment="again"
            )


def test_a_comment_is_required(app, session, world, case):
    with app.app_context():
        _acknowledge_all(session, case)
        with pytest.raises(ValidationFailed) as refused:
            trace.close_case(
                session=session, actor=quality(session, world), case_id=case.id, comment="  "
            )
        assert "comment" in refused.value.fields
        assert session.get(LookbackCase, case.id).status == "open"


def test_an_inspector_above_the_opener_closes_it(app, session, world, case):
    with app.app_context():
        _acknowledge_all(session, case)
        closed = trace.close_case(
            session=session,
            actor=_actor(session, world, "p.inspector"),
            case_id=case.id,
            comment="Reviewed.",
        )
        assert closed.status == "closed"


def test_neither_an_inspector_beside_the_opener_nor_another_role_may_close_it(
    app, session, world, case
):
    with app.app_context():
        _acknowledge_all(session, case)
        # HZ sees the case (a unit went to H-HZ) but BC is not under HZ.
        with pytest.raises(Forbidden):
            trace.close_case(
                session=session,
                actor=_actor(session, world, "hz.inspector"),
                case_id=case.id,
                comment="no",
            )
        # The opener's laboratory is not its quality role: the case is not even its to see.
        with pytest.raises(NotFound):
            trace.close_case(
                session=session,
                actor=staff(session, world, "bc.lab", Role.LAB),
                case_id=case.id,
                comment="no",
            )
        assert session.get(LookbackCase, case.id).status == "open"


def test_the_case_page_asks_before_closing_then_closes(app, client, session, world, case):
    with app.app_context():
        _acknowledge_all(session, case)
        session.commit()
    login(client, "p.inspector")
    page = client.get(f"/trace/lookback/{case.id}").get_data(as_text=True)
    assert 'id="close"' in page
    token = csrf_token_of(page)
    asked = client.post(
        f"/trace/lookback/{case.id}/close", data={"csrf_token": token, "comment": "Reviewed."}
    )
    assert asked.status_code == 200 and 'name="confirmed"' in asked.get_data(as_text=True)
    session.expire_all()
    assert session.get(LookbackCase, case.id).status == "open"  # nothing written yet
    done = client.post(
        f"/trace/lookback/{case.id}/close",
        data={"csrf_token": token, "comment": "Reviewed.", "confirmed": "1"},
    )
    assert done.status_code == 303
    session.expire_all()
    assert session.get(LookbackCase, case.id).status == "closed"
    after = client.get(f"/trace/lookback/{case.id}").get_data(as_text=True)
    assert "Reviewed." in after and 'id="close"' not in after


def test_the_case_page_names_the_notices_that_block_the_close(app, client, session, case):
    login(client, "p.inspector")
    page = client.get(f"/trace/lookback/{case.id}").get_data(as_text=True)
    refused = client.post(
        f"/trace/lookback/{case.id}/close",
        data={"csrf_token": csrf_token_of(page), "comment": "Reviewed.", "confirmed": "1"},
    )
    assert refused.status_code == 422
    with app.app_context():
        dins = [n.din for n in session.exec(select(Notice).where(Notice.case_id == case.id))]
    assert dins and all(din in refused.get_data(as_text=True) for din in dins)
    session.expire_all()
    assert session.get(LookbackCase, case.id).status == "open"
