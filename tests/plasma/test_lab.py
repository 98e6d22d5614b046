"""Lab results through the services: a reactive marker destroys the unit, defers the donor
everywhere and opens a look-back; a batch is all or nothing; results are entered once."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import select

from blood.donors.models import Deferral, LookbackTrigger
from blood.errors import ValidationFailed
from blood.plasma import service as plasma
from blood.plasma.models import INFECTIOUS_MARKERS, LabResult, UnitState
from tests.helpers import as_user, collect_today, past_collection


def lab_input(unit, **markers):
    values = {m: "negative" for m in INFECTIOUS_MARKERS} | markers
    return plasma.LabInput(
        din=unit.din + unit.check_character, total_protein_g_l=68, alt_u_l=14, **values
    )


@pytest.fixture
def unit(app, session, world, donor):
    """A unit collected from the donor today, waiting for its results."""
    with app.app_context():
        return collect_today(session, world, donor)


def test_reactive_result_destroys_defers_permanently_and_opens_a_lookback(
    app, session, world, donor
):
    with app.app_context():
        earlier = past_collection(session, donor, world.org("S-CA"), 30)
        unit = collect_today(session, world, donor)
        [result] = plasma.record_lab_results(
            session=session,
            actor=as_user(session, world, "sca.lab"),
            results=[lab_input(unit, anti_hcv="reactive")],
        )
    assert result.outcome == "reactive"
    assert unit.state == UnitState.DESTROYED and unit.destroyed_reason == "reactive_marker"
    [deferral] = session.exec(select(Deferral).where(Deferral.donor_id == donor.id)).all()
    assert deferral.permanent and deferral.source == "lab"
    [trigger] = session.exec(select(LookbackTrigger)).all()
    assert trigger.din == unit.din and trigger.markers == ["anti_hcv"]
    assert trigger.organisation_id == world.org("S-CA").id
    # The look-back (blood.trace) blocks the donor's earlier unit in the same transaction.
    assert earlier.state == UnitState.BLOCKED


def test_out_of_range_alt_rejects_the_unit_without_deferring(app, session, world, unit):
    with app.app_context():
        row = replace(lab_input(unit), alt_u_l=60)
        [result] = plasma.record_lab_results(
            session=session, actor=as_user(session, world, "sca.lab"), results=[row]
        )
    assert result.outcome == "out_of_range" and unit.state == UnitState.DESTROYED
    assert session.exec(select(Deferral)).all() == []


def test_a_batch_is_all_or_nothing_and_names_the_bad_rows(app, session, world, unit):
    with app.app_context():
        wrong_check = unit.din + ("0" if unit.check_character != "0" else "1")
        with pytest.raises(ValidationFailed) as refused:
            plasma.record_lab_results(
                session=session,
                actor=as_user(session, world, "sca.lab"),
                results=[
                    lab_input(unit),
                    replace(lab_input(unit), din=wrong_check),
                    replace(lab_input(unit), din="P330126999999"),
                ],
            )
    assert set(refused.value.fields) == {"results.1.din", "results.2.din"}
    assert "does not match" in refused.value.fields["results.1.din"][0]
    session.rollback()
    assert session.exec(select(LabResult)).all() == []


def test_results_are_entered_once(app, session, world, unit):
    with app.app_context():
        lab = as_user(session, world, "sca.lab")
        plasma.record_lab_results(session=session, actor=lab, results=[lab_input(unit)])
        with pytest.raises(ValidationFailed) as refused:
            plasma.record_lab_results(session=session, actor=lab, results=[lab_input(unit)])
    assert "already" in refused.value.fields["din"][0]
