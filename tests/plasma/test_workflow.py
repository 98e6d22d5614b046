"""The station's day through the services: check-in, screening, collection with its DIN,
lab results, quarantine release, shipment and receipt."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from blood import isbt128
from blood.audit import AuditEvent
from blood.donors.models import Deferral
from blood.errors import Conflict, Forbidden, NotFound, ValidationFailed
from blood.plasma import service as plasma
from blood.plasma.models import Collection, LookbackTrigger, UnitState, VisitStatus
from tests.conftest import make_resident_id
from tests.helpers import GOOD_SCREENING, as_user, collect_today, past_collection, register


def test_full_day_gives_a_unit_with_a_valid_din(app, session, world):
    with app.app_context():
        donor = register(session, world)
        unit = collect_today(session, world, donor)
        second_donor = register(session, world, serial=125)
        second = collect_today(session, world, second_donor)
    year = datetime.now(UTC).year % 100
    assert unit.din == f"P3301{year:02d}000001" and second.din == f"P3301{year:02d}000002"
    assert isbt128.parse_din(unit.din + unit.check_character).din == unit.din
    assert unit.state == UnitState.QUARANTINE
    assert (unit.abo, unit.rhd) == ("A", "+")
    actions = session.exec(select(AuditEvent.action)).all()
    for action in ("visit.check_in", "visit.screen", "plasma.collect"):
        assert action in actions


def test_check_in_needs_the_resident_id_not_the_card(app, session, world):
    with app.app_context():
        donor = register(session, world)
        with pytest.raises(ValidationFailed):
            plasma.check_in(
                session=session,
                actor=as_user(session, world, "sca.registrar"),
                resident_id=donor.card_number,
            )


def test_check_in_twice_the_same_day_returns_the_same_visit(app, session, world):
    with app.app_context():
        register(session, world)
        registrar = as_user(session, world, "sca.registrar")
        first = plasma.check_in(session=session, actor=registrar, resident_id=make_resident_id())
        again = plasma.check_in(session=session, actor=registrar, resident_id=make_resident_id())
    assert first.id == again.id


def test_screening_refusal_lists_every_reason_and_blocks_collection(app, session, world):
    with app.app_context():
        register(session, world)
        visit = plasma.check_in(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            resident_id=make_resident_id(),
        )
        bad = replace(GOOD_SCREENING, weight_kg=48, systolic=145)
        visit, decision = plasma.record_screening(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            visit_id=visit.id,
            data=bad,
        )
        assert visit.status == VisitStatus.INELIGIBLE
        assert {r.code for r in decision.reasons} == {"weight_too_low", "systolic_out_of_range"}
        with pytest.raises(Conflict):
            plasma.record_collection(
                session=session,
                actor=as_user(session, world, "sca.collector"),
                visit_id=visit.id,
                data=plasma.CollectionInput(
                    "M", "K", datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC), 500, 50
                ),
            )
    assert session.exec(select(Collection)).all() == []


@pytest.mark.parametrize("days_ago, eligible", [(14, False), (15, True)])
def test_interval_since_the_last_donation_anywhere(app, session, world, days_ago, eligible):
    with app.app_context():
        donor = register(session, world)
        past_collection(session, donor, world.org("S-CA"), days_ago)
        visit = plasma.check_in(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            resident_id=make_resident_id(),
        )
        _visit, decision = plasma.record_screening(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            visit_id=visit.id,
            data=GOOD_SCREENING,
        )
    assert decision.eligible is eligible
    if not eligible:
        assert [r.code for r in decision.reasons] == ["interval"]
        assert decision.next_eligible_on == visit.visit_date + timedelta(days=1)


def test_collection_over_the_limit_is_refused_not_truncated(app, session, world):
    with app.app_context():
        donor = register(session, world)
        with pytest.raises(ValidationFailed) as refused:
            collect_today(session, world, donor, weight=600.1)
    assert "total_weight_g" in refused.value.fields
    assert "600" in refused.value.fields["total_weight_g"][0]


def test_collection_rejects_impossible_times_and_amounts(app, session, world):
    with app.app_context():
        register(session, world)
        visit = plasma.check_in(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            resident_id=make_resident_id(),
        )
        plasma.record_screening(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            visit_id=visit.id,
            data=GOOD_SCREENING,
        )
        now = datetime.now(UTC)
        with pytest.raises(ValidationFailed) as refused:
            plasma.record_collection(
                session=session,
                actor=as_user(session, world, "sca.collector"),
                visit_id=visit.id,
                data=plasma.CollectionInput(" ", "K", now, now - timedelta(minutes=1), 500, 600),
            )
    assert {"machine", "ended_at", "anticoagulant_ml"} <= set(refused.value.fields)


def test_roles_are_enforced_at_each_step(app, session, world):
    with app.app_context():
        register(session, world)
        with pytest.raises(Forbidden):
            plasma.check_in(
                session=session,
                actor=as_user(session, world, "sca.collector"),
                resident_id=make_resident_id(),
            )
        visit = plasma.check_in(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            resident_id=make_resident_id(),
        )
        with pytest.raises(Forbidden):
            plasma.record_screening(
                session=session,
                actor=as_user(session, world, "sca.registrar"),
                visit_id=visit.id,
                data=GOOD_SCREENING,
            )
        with pytest.raises(NotFound):
            plasma.record_screening(
                session=session,
                actor=as_user(session, world, "swz.physician"),
                visit_id=visit.id,
                data=GOOD_SCREENING,
            )


def test_a_deferral_after_screening_stops_the_collection(app, session, world):
    from blood.donors import service as donors

    with app.app_context():
        donor = register(session, world)
        visit = plasma.check_in(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            resident_id=make_resident_id(),
        )
        plasma.record_screening(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            visit_id=visit.id,
            data=GOOD_SCREENING,
        )
        donors.defer_donor(
            session=session,
            actor=as_user(session, world, "sca.quality"),
            donor=donor,
            permanent=True,
            reason_code="other",
            source="manual",
        )
        with pytest.raises(Conflict):
            now = datetime.now(UTC)
            plasma.record_collection(
                session=session,
                actor=as_user(session, world, "sca.collector"),
                visit_id=visit.id,
                data=plasma.CollectionInput("M", "K", now - timedelta(minutes=40), now, 500, 50),
            )


# --- laboratory ----------------------------------------------------------------------------


def lab_input(unit, **markers):
    values = {m: "negative" for m in plasma.INFECTIOUS_MARKERS} | markers
    return plasma.LabInput(
        din=unit.din + unit.check_character, total_protein_g_l=68, alt_u_l=14, **values
    )


def test_reactive_result_destroys_defers_permanently_and_opens_a_lookback(app, session, world):
    with app.app_context():
        donor = register(session, world)
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
    assert trigger.collection_id == unit.id and trigger.markers == ["anti_hcv"]
    assert earlier.state == UnitState.QUARANTINE  # look-back acts on it in the trace feature


def test_out_of_range_alt_rejects_the_unit_without_deferring(app, session, world):
    with app.app_context():
        donor = register(session, world)
        unit = collect_today(session, world, donor)
        row = replace(lab_input(unit), alt_u_l=60)
        [result] = plasma.record_lab_results(
            session=session, actor=as_user(session, world, "sca.lab"), results=[row]
        )
    assert result.outcome == "out_of_range" and unit.state == UnitState.DESTROYED
    assert session.exec(select(Deferral)).all() == []


def test_a_batch_is_all_or_nothing_and_names_the_bad_rows(app, session, world):
    with app.app_context():
        donor = register(session, world)
        unit = collect_today(session, world, donor)
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
    from blood.plasma.models import LabResult

    assert session.exec(select(LabResult)).all() == []


def test_results_are_entered_once(app, session, world):
    with app.app_context():
        donor = register(session, world)
        unit = collect_today(session, world, donor)
        lab = as_user(session, world, "sca.lab")
        plasma.record_lab_results(session=session, actor=lab, results=[lab_input(unit)])
        with pytest.raises(ValidationFailed) as refused:
            plasma.record_lab_results(session=session, actor=lab, results=[lab_input(unit)])
    assert "already" in refused.value.fields["din"][0]


# --- quarantine ----------------------------------------------------------------------------


def test_release_needs_ninety_days_and_a_later_negative_donation(app, session, world):
    with app.app_context():
        station = world.org("S-CA")
        donor = register(session, world)
        old = past_collection(session, donor, station, 91)
        too_young = past_collection(session, donor, station, 89)
        quality = as_user(session, world, "sca.quality")
        blockers = {
            u.din: {b.code for b in bs}
            for u, bs in plasma.quarantine_overview(session=session, actor=quality)
        }
        # `old` has a later negative donation (too_young); too_young has none after it.
        assert blockers[old.din] == set()
        assert blockers[too_young.din] == {"held_too_short", "no_later_negative"}
        released, refused = plasma.release_units(session=session, actor=quality)
    assert [u.din for u in released] == [old.din]
    assert old.state == UnitState.RELEASED and too_young.state == UnitState.QUARANTINE
    assert refused == {}


def test_no_later_donation_means_no_release_even_after_ninety_days(app, session, world):
    with app.app_context():
        donor = register(session, world)
        lonely = past_collection(session, donor, world.org("S-CA"), 120)
        untested_later = past_collection(session, donor, world.org("S-CA"), 20, outcome=None)
        released, refused = plasma.release_units(
            session=session,
            actor=as_user(session, world, "sca.quality"),
            dins=[lonely.din, untested_later.din],
        )
    assert released == []
    assert {b.code for b in refused[lonely.din]} == {"no_later_negative"}
    assert "no_result" in {b.code for b in refused[untested_later.din]}


def test_only_quality_releases(app, session, world):
    with app.app_context(), pytest.raises(Forbidden):
        plasma.release_units(session=session, actor=as_user(session, world, "sca.lab"))


def test_inventory_counts_by_state_and_group(app, session, world):
    with app.app_context():
        station = world.org("S-CA")
        donor = register(session, world)
        past_collection(session, donor, station, 100)
        past_collection(session, donor, station, 30)
        other = register(session, world, serial=125, abo="O", rhd="-")
        gone = past_collection(session, other, station, 10)
        gone.state = UnitState.DESTROYED
        rows = plasma.inventory(session=session, actor=as_user(session, world, "sca.quality"))
    table = {(r.state, r.blood_group): (r.units, r.weight_g) for r in rows}
    assert table == {
        ("quarantine", "A+"): (1, 580.0),
        ("releasable", "A+"): (1, 580.0),
        ("destroyed", "O-"): (1, 580.0),
    }


# --- shipments -----------------------------------------------------------------------------


def released_units(session, world, n=2):
    station = world.org("S-CA")
    donor = register(session, world)
    units = [past_collection(session, donor, station, 100 + i) for i in range(n)]
    past_collection(session, donor, station, 5)
    plasma.release_units(session=session, actor=as_user(session, world, "sca.quality"))
    return units


def test_shipment_takes_released_units_once_in_boxes(app, session, world):
    with app.app_context():
        units = released_units(session, world, 3)
        quality = as_user(session, world, "sca.quality")
        shipment = plasma.build_shipment(
            session=session,
            actor=quality,
            manufacturer_code="MF",
            dins=[u.din for u in units],
            box_size=2,
        )
        items = plasma.shipment_items(session, shipment)
        assert [item.box_label for item, _unit in items] == ["B01", "B01", "B02"]
        assert all(u.state == UnitState.SHIPPED for u in units)
        with pytest.raises(ValidationFailed) as again:
            plasma.build_shipment(
                session=session, actor=quality, manufacturer_code="MF", dins=[units[0].din]
            )
    assert "already shipped" in again.value.fields["dins"][0]


def test_quarantined_units_cannot_ship(app, session, world):
    with app.app_context():
        donor = register(session, world)
        unit = past_collection(session, donor, world.org("S-CA"), 3)
        with pytest.raises(ValidationFailed):
            plasma.build_shipment(
                session=session,
                actor=as_user(session, world, "sca.quality"),
                manufacturer_code="MF",
                dins=[unit.din],
            )


def test_manufacturer_confirms_receipt_once_with_discrepancies(app, session, world):
    with app.app_context():
        units = released_units(session, world, 2)
        shipment = plasma.build_shipment(
            session=session,
            actor=as_user(session, world, "sca.quality"),
            manufacturer_code="MF",
            dins=[u.din for u in units],
        )
        clerk = as_user(session, world, "mf.clerk")
        with pytest.raises(ValidationFailed):
            plasma.confirm_receipt(
                session=session,
                actor=clerk,
                shipment_id=shipment.id,
                discrepancies=[plasma.DiscrepancyInput("extra", units[0].din)],
            )
        plasma.confirm_receipt(
            session=session,
            actor=clerk,
            shipment_id=shipment.id,
            discrepancies=[plasma.DiscrepancyInput("damaged", units[1].din, "bag torn")],
        )
        statuses = {u.din: i.receipt_status for i, u in plasma.shipment_items(session, shipment)}
        assert statuses == {units[0].din: "ok", units[1].din: "damaged"}
        with pytest.raises(Conflict):
            plasma.confirm_receipt(
                session=session, actor=clerk, shipment_id=shipment.id, discrepancies=[]
            )
        with pytest.raises(Forbidden):
            plasma.confirm_receipt(
                session=session,
                actor=as_user(session, world, "sca.quality"),
                shipment_id=shipment.id,
                discrepancies=[],
            )


def test_screening_needs_every_questionnaire_answer(app, session, world):
    with app.app_context():
        register(session, world)
        visit = plasma.check_in(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            resident_id=make_resident_id(),
        )
        partial = replace(GOOD_SCREENING, questionnaire={"feels_well": True})
        with pytest.raises(ValidationFailed) as refused:
            plasma.record_screening(
                session=session,
                actor=as_user(session, world, "sca.physician"),
                visit_id=visit.id,
                data=partial,
            )
    assert "questionnaire.recent_illness" in refused.value.fields
    assert visit.screened_at is None
