"""An over-limit plasma collection is recorded as a deviation, not refused: the plasma exists.
It is kept with its real weight and the collector's reason, and the unit is not released
until the quality manager decides (accept: the normal quarantine rules; reject: destroyed).
A weight no collection can have is still a typing error."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from blood.audit import AuditEvent
from blood.errors import Conflict, Forbidden, ValidationFailed
from blood.plasma import service as plasma
from blood.plasma.models import Collection, UnitState, Visit, VisitStatus
from tests.conftest import login
from tests.helpers import as_user, past_collection, register
from tests.plasma.forms import QUESTIONNAIRE_OK, post

REASON = "Weight alarm failed; stopped by hand at 650 g"


def collect(session, world, visit, weight, reason=None):
    now = datetime.now(UTC)
    return plasma.record_collection(
        session=session,
        actor=as_user(session, world, "sca.collector"),
        visit_id=visit.id,
        data=plasma.CollectionInput(
            machine="PCS2-07",
            kit_lot="LOT-2611",
            started_at=now - timedelta(minutes=50),
            ended_at=now - timedelta(minutes=5),
            total_weight_g=weight,
            anticoagulant_ml=60,
            over_limit_reason=reason,
        ),
    )


def test_over_limit_collection_is_kept_as_a_deviation_with_the_reason(
    app, session, world, screened_visit
):
    with app.app_context():
        unit = collect(session, world, screened_visit, 650, REASON)
    assert unit.total_weight_g == 650 and unit.din
    assert unit.deviation == "collection_over_limit"
    assert unit.deviation_facts == {"limit": 600, "unit": "g", "actual": 650.0}
    assert unit.deviation_reason == REASON and unit.deviation_status == "open"
    assert unit.blocks_release and unit.state == UnitState.QUARANTINE
    assert session.get(Visit, screened_visit.id).status == VisitStatus.COLLECTED
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "plasma.collect")).all()
    assert event.changes["deviation_reason"] == [None, REASON]


def test_over_limit_collection_without_a_reason_is_refused_and_nothing_written(
    app, session, world, screened_visit
):
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        collect(session, world, screened_visit, 650, "  ")
    fields = refused.value.fields
    assert "over the limit of 600 g" in fields["total_weight_g"][0]
    assert "say why the limit was exceeded" in fields["over_limit_reason"][0]
    assert session.exec(select(Collection)).all() == []


def test_plausibility_limit_refuses_a_physically_impossible_weight(
    app, session, world, screened_visit
):
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        collect(session, world, screened_visit, 6500, REASON)  # 650 typed with a zero too many
    assert "mistyped" in refused.value.fields["total_weight_g"][0]
    assert session.exec(select(Collection)).all() == []


def test_within_the_limit_no_deviation_and_a_reason_is_ignored(app, session, world, screened_visit):
    with app.app_context():
        unit = collect(session, world, screened_visit, 600, "nothing happened")
    assert unit.deviation is None and unit.deviation_reason is None
    assert not unit.blocks_release


def _old_deviation(session, world, donor):
    """An over-limit unit collected 100 days ago, tested negative, with a later negative
    donation: releasable but for its open deviation."""
    unit = past_collection(session, donor, world.org("S-CA"), 100)
    unit.total_weight_g = 650
    unit.deviation = "collection_over_limit"
    unit.deviation_facts = {"limit": 600, "unit": "g", "actual": 650.0}
    unit.deviation_reason = REASON
    unit.deviation_status = "open"
    session.add(unit)
    past_collection(session, donor, world.org("S-CA"), 20)
    session.flush()
    return unit


def test_deviation_blocks_release_until_the_quality_manager_accepts(app, session, world):
    with app.app_context():
        donor = register(session, world)
        unit = _old_deviation(session, world, donor)
        quality = as_user(session, world, "sca.quality")
        released, refused = plasma.release_units(session=session, actor=quality, dins=[unit.din])
        assert released == []
        [blocker] = refused[unit.din]
        assert blocker.code == "deviation_over_limit"
        assert plasma.describe_blocker(blocker) == (
            "Deviation: 650 g collected against a limit of 600 g; waiting for the quality "
            "manager's decision."
        )
        # the "release everything releasable" path leaves it too
        assert plasma.release_units(session=session, actor=quality)[0] == []

        plasma.decide_deviation(
            session=session,
            actor=quality,
            collection_id=unit.id,
            decision="accept",
            note="Donor checked, well; plasma within specification",
        )
        released, refused = plasma.release_units(session=session, actor=quality, dins=[unit.din])
    assert [u.din for u in released] == [unit.din] and refused == {}
    actions = session.exec(select(AuditEvent.action)).all()
    assert "plasma.deviation_accept" in actions


def test_rejected_deviation_destroys_the_unit_with_a_reason(app, session, world):
    with app.app_context():
        donor = register(session, world)
        unit = _old_deviation(session, world, donor)
        plasma.decide_deviation(
            session=session,
            actor=as_user(session, world, "sca.quality"),
            collection_id=unit.id,
            decision="reject",
            note="Over-collection beyond the protocol",
        )
    session.refresh(unit)
    assert unit.deviation_status == "rejected" and unit.state == UnitState.DESTROYED
    assert unit.destroyed_reason == "deviation_rejected"
    assert unit.deviation_decision_note == "Over-collection beyond the protocol"
    actions = session.exec(select(AuditEvent.action)).all()
    assert {"plasma.deviation_reject", "plasma.destroy"} <= set(actions)


def test_deviation_decision_is_the_quality_managers_once_with_a_note(app, session, world):
    with app.app_context():
        donor = register(session, world)
        unit = _old_deviation(session, world, donor)
        with pytest.raises(Forbidden):
            plasma.decide_deviation(
                session=session,
                actor=as_user(session, world, "sca.collector"),
                collection_id=unit.id,
                decision="accept",
                note="fine",
            )
        quality = as_user(session, world, "sca.quality")
        with pytest.raises(ValidationFailed) as refused:
            plasma.decide_deviation(
                session=session, actor=quality, collection_id=unit.id, decision="accept", note=" "
            )
        assert "note" in refused.value.fields
        plasma.decide_deviation(
            session=session, actor=quality, collection_id=unit.id, decision="accept", note="ok"
        )
        with pytest.raises(Conflict):
            plasma.decide_deviation(
                session=session, actor=quality, collection_id=unit.id, decision="reject", note="no"
            )


# --- the pages -----------------------------------------------------------------------------


def test_over_limit_collection_on_the_visit_form_asks_for_the_reason(
    client, session, world, visit_url
):
    login(client, "sca.physician")
    post(
        client,
        visit_url + "/screening",
        {
            "weight_kg": "62",
            "systolic": "118",
            "diastolic": "76",
            "pulse": "72",
            **QUESTIONNAIRE_OK,
        },
        page=visit_url,
    )
    client.post("/logout")
    collector = client.application.test_client()
    login(collector, "sca.collector")
    form = {
        "machine": "PCS2-07",
        "kit_lot": "LOT",
        "started_at": (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "ended_at": (datetime.now() - timedelta(hours=1, minutes=-40)).strftime("%Y-%m-%dT%H:%M"),
        "total_weight_g": "650",
        "anticoagulant_ml": "60",
    }
    refused = post(collector, visit_url + "/collection", form, page=visit_url)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Why the limit was exceeded</a>" in html  # the summary names the field by its label
    assert session.exec(select(Collection)).all() == []
    done = post(
        collector, visit_url + "/collection", {**form, "over_limit_reason": REASON}, page=visit_url
    )
    assert done.status_code == 302
    page = collector.get(visit_url).get_data(as_text=True)
    assert "Recorded as a deviation" in page


def test_deviations_page_quality_manager_decides_reject_after_confirmation(
    app, client, session, world
):
    with app.app_context():
        donor = register(session, world)
        unit = _old_deviation(session, world, donor)
        session.commit()
    login(client, "sca.quality")
    quarantine = client.get("/station/quarantine").get_data(as_text=True)
    assert 'data-blocker="deviation_over_limit"' in quarantine
    assert "waiting for the quality manager&#39;s decision" in quarantine
    page = client.get("/station/deviations").get_data(as_text=True)
    assert unit.din in page and REASON in page
    assert 'href="/station/deviations"' in page  # in the menu
    assert " checked" not in page.split(unit.din)[1].split("</form>")[0]  # nothing preselected
    url = f"/station/deviations/{unit.id}/decision"
    missing = post(client, url, {"decision": "reject"}, page="/station/deviations")
    assert missing.status_code == 422
    asked = post(
        client, url, {"decision": "reject", "note": "beyond protocol"}, page="/station/deviations"
    )
    assert asked.status_code == 200
    assert "Reject the deviation and destroy the unit?" in asked.get_data(as_text=True)
    session.expire_all()
    assert session.get(Collection, unit.id).deviation_status == "open"  # nothing written yet
    done = post(
        client,
        url,
        {"decision": "reject", "note": "beyond protocol", "confirmed": "1"},
        page="/station/deviations",
    )
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Collection, unit.id).state == UnitState.DESTROYED
    after = client.get("/station/deviations").get_data(as_text=True)
    assert "No deviation waits for a decision." in after
    assert re.search(r"Rejected, unit destroyed", after)


def test_deviations_page_is_the_quality_managers(client, world):
    login(client, "sca.collector")
    assert client.get("/station/deviations").status_code == 403
