"""Look-back: a reactive result finds the donor's donations in the window and every unit,
blocks what is in stock anywhere, and notifies the hospital and the manufacturer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from blood.accounts.scoping import Actor
from blood.stock.lifecycle import Action
from blood.stock.service import TransitionRefused
from blood.stock.service.transitions import transition
from blood.stock.service.usage import local_day
from blood.trace import service as trace
from blood.trace.models import CaseUnit, LookbackCase, Notice
from tests.clinical.helpers import payload
from tests.helpers import as_user
from tests.trace.helpers import full_chain, now, reactive


@pytest.fixture
def chain(app, session, world, api_headers):
    with app.app_context():
        made = full_chain(session, world)
        session.commit()
    return made


def _transfuse(client, headers, unit, number="ZY-0042"):
    body = payload(unit, patient_record_number=number)
    return client.post("/api/v1/transfusions", headers=headers, json=body)


def test_full_chain_blocks_in_stock_notifies_hospital_and_manufacturer(
    app, client, session, world, chain, api_headers
):
    hhz, hwz, mf = api_headers("H-HZ"), api_headers("H-WZ"), api_headers("MF")
    assert _transfuse(client, hhz, chain.red_cells).status_code == 201
    with app.app_context():
        reactive(session, world, chain)
        session.commit()
        case = session.exec(select(LookbackCase)).one()
        rows = {(r.din, r.product_code): r for r in session.exec(select(CaseUnit))}
    assert case.origin == "reactive_test" and case.markers == ["nat"]
    # The donation before the 12-month window is not traced.
    assert chain.plasma_old.din not in {din for din, _p in rows}
    assert rows[(chain.red_cells.din, "E0001")].outcome == "transfused"
    assert rows[(chain.ffp.din, "E0004")].outcome == "blocked"
    assert rows[(chain.plasma_shipped.din, None)].outcome == "shipped"
    assert rows[(chain.plasma_in_stock.din, None)].outcome == "blocked"
    assert {rows[(chain.late.din, p)].outcome for p in ("E0001", "E0004")} == {"blocked"}

    # The in-stock unit cannot be transfused: the refusal says why.
    answer = _transfuse(client, hwz, chain.ffp, number="ZY-0099")
    assert answer.status_code == 409
    assert answer.json["error"] == "unit_blocked"
    assert "look-back" in answer.json["message"]

    # The hospital that transfused gets a recipient notice (pseudonym and date only).
    notices = client.get("/api/v1/notifications", headers=hhz).json
    assert [n["kind"] for n in notices] == ["recipient"]
    assert notices[0]["patient_mask"] and "ZY-0042" not in str(notices[0])
    started = now() - timedelta(hours=3)
    assert notices[0]["transfused_on"] == local_day(started, "Asia/Shanghai").isoformat()
    # The hospital holding the blocked unit is told to pull it; the manufacturer to recall.
    assert [n["kind"] for n in client.get("/api/v1/notifications", headers=hwz).json] == ["hold"]
    recall = client.get("/api/v1/notifications", headers=mf).json
    assert [(n["kind"], n["din"]) for n in recall] == [("recall", chain.plasma_shipped.din)]
    assert recall[0]["state"] == "open"

    # Acknowledged once; the state says so.
    done = client.post(
        f"/api/v1/notifications/{recall[0]['id']}/acknowledge",
        headers=mf,
        json={"note": "pool 2026-11 quarantined"},
    )
    assert done.status_code == 200 and done.json["state"] == "acknowledged"
    # Another organisation cannot acknowledge it.
    other = client.post(
        f"/api/v1/notifications/{recall[0]['id']}/acknowledge", headers=hhz, json={}
    )
    assert other.status_code == 404

    # The authority sees the case.
    with app.app_context():
        view = trace.get_case(
            session=session, actor=as_user(session, world, "p.inspector"), case_id=case.id
        )
        assert view.case.number == case.number
        assert {n.kind for n, _r, _s in view.notices} == {"recipient", "recall", "hold"}


def test_block_refuses_issue_release_and_shipment_with_the_reason(app, session, world, chain):
    with app.app_context():
        reactive(session, world, chain)
        session.flush()
        unit = chain.late_units[0]
        session.refresh(unit)
        assert unit.state == "blocked"
        with pytest.raises(TransitionRefused) as refused:
            transition(
                session=session,
                actor=Actor.system(),
                unit=unit,
                action=Action.RELEASE,
                holder=world.org("BC"),
            )
        assert refused.value.code == "unit_blocked"
        from blood.plasma.service.quarantine import release_blockers

        session.refresh(chain.plasma_in_stock)
        assert chain.plasma_in_stock.state == "blocked"
        blockers = release_blockers(session, chain.plasma_in_stock, world.org("S-CA"), now().date())
        assert [b.code for b in blockers] == ["blocked"]


def test_notice_overdue_after_its_due_time(app, session, world, chain):
    with app.app_context():
        reactive(session, world, chain)
        session.flush()
        notice = session.exec(select(Notice).where(Notice.kind == "recall")).one()
        assert trace.notice_state(notice, notice.created_at) == "open"
        assert trace.notice_state(notice, notice.due_at + timedelta(seconds=1)) == "overdue"


def test_an_overdue_notice_raises_a_supervision_alert_until_acknowledged(
    app, session, world, chain
):
    from blood.supervision.models import Alert
    from blood.supervision.service.evaluate import evaluate_alerts

    with app.app_context():
        reactive(session, world, chain)
        session.flush()
        recall = session.exec(select(Notice).where(Notice.kind == "recall")).one()
        later = recall.due_at + timedelta(minutes=1)
        evaluate_alerts(session=session, actor=Actor.system(), now=later)
        alerts = session.exec(select(Alert).where(Alert.rule == "notice_overdue")).all()
        # The manufacturer is not watched: the alert is the opening centre's; the hospitals'
        # notices are overdue too, each at its hospital.
        by_subject = {a.subject: a for a in alerts}
        assert by_subject[f"notice:{recall.id}"].organisation_id == world.org("BC").id
        from blood.supervision.service.messages import alert_message

        with app.test_request_context(headers={"Accept-Language": "en"}):
            text = alert_message(by_subject[f"notice:{recall.id}"], world.org("BC"))
        assert text.startswith("Look-back case ") and "recall of shipped plasma" in text
        assert recall.din in text and text.endswith("not acknowledged (BC organisation).")
        trace.acknowledge_notice(
            session=session, actor=as_user(session, world, "mf.clerk"), notice_id=recall.id
        )
        evaluate_alerts(session=session, actor=Actor.system(), now=later)
        session.refresh(by_subject[f"notice:{recall.id}"])
        assert by_subject[f"notice:{recall.id}"].status == "closed"
