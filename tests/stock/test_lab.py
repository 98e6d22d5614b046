"""The blood centre's laboratory: results per DIN, what they do, and release only when every
required marker is negative and the group is confirmed."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.donors.models import Deferral, Donor, LookbackTrigger
from blood.errors import Conflict, Forbidden, ValidationFailed
from blood.stock import service as stock
from blood.stock.lifecycle import UnitState
from blood.stock.models import BloodTestResult
from tests.helpers import as_user, register
from tests.stock.helpers import (
    collect,
    donation,
    lab,
    produce,
    quality,
    release,
    test_results,
    use_settings,
)


def split(session, world, d):
    return produce(
        session,
        world,
        d,
        stock.ComponentInput("E0001", 280),
        stock.ComponentInput("E0004", 200),
    )


def refusal(raised) -> str:
    return " ".join(raised.value.fields["units"])


def test_release_requires_every_required_marker_negative_and_the_group_confirmed(
    app, session, world
):
    with app.app_context():
        d = donation(session, world)
        units = split(session, world, d)
        with pytest.raises(ValidationFailed) as none:
            release(session, world, units)
        assert "No laboratory results yet." in refusal(none)

        test_results(session, world, d, nat=None)  # NAT not back yet
        with pytest.raises(ValidationFailed) as missing:
            release(session, world, units)
        assert "Results missing: NAT" in refusal(missing)

        stock.record_lab_results(
            session=session,
            actor=lab(session, world),
            results=[stock.LabInput(din=d.din, results={"nat": "negative"})],
        )
        released = release(session, world, units)
    assert {u.state for u in released} == {UnitState.AVAILABLE}


def test_release_needs_the_group_confirmed_too(app, session, world):
    with app.app_context():
        d = donation(session, world)
        units = split(session, world, d)
        stock.record_lab_results(
            session=session,
            actor=lab(session, world),
            results=[
                stock.LabInput(
                    din=d.din,
                    results={
                        "alt": 20,
                        "hbsag": "negative",
                        "anti_hcv": "negative",
                        "anti_hiv": "negative",
                        "syphilis": "negative",
                        "nat": "negative",
                    },
                )
            ],
        )
        with pytest.raises(ValidationFailed) as refused:
            release(session, world, units)
    assert "ABO/RhD group not yet confirmed by the laboratory." in refusal(refused)


def test_release_is_all_or_nothing_and_names_each_unit_that_cannot_go(app, session, world):
    with app.app_context():
        ready = donation(session, world, serial=301)
        [ok] = produce(session, world, ready, stock.ComponentInput("E0001", 280))
        test_results(session, world, ready)
        waiting = donation(session, world, serial=303)
        [not_ok] = produce(session, world, waiting, stock.ComponentInput("E0001", 280))
        with pytest.raises(ValidationFailed) as refused:
            release(session, world, [ok, not_ok])
        assert refused.value.message == "Nothing was released."
        [message] = refused.value.fields["units"]
        assert message.startswith(f"{not_ok.label} cannot be released: No laboratory results")
        session.refresh(ok)
    assert ok.state == UnitState.PENDING_TESTS


def test_a_reactive_marker_discards_every_component_and_defers_the_donor(app, session, world):
    with app.app_context():
        d = donation(session, world)
        units = split(session, world, d)
        [outcome] = test_results(session, world, d, anti_hcv="reactive")
        status = stock.donation_status(session=session, donation=d)
        with pytest.raises(ValidationFailed) as refused:
            release(session, world, units)
    assert outcome.failed == ["anti_hcv"]
    assert {u.state for u in units} == {UnitState.DISCARDED}
    assert {u.discard_reason for u in units} == {"reactive_test"}
    assert "It is discarded: Reactive screening test, not waiting" in refusal(refused)
    assert [b.message for b in status.blockers] == ["Reactive: anti-HCV."]
    deferral = session.exec(select(Deferral).where(Deferral.donor_id == d.donor_id)).one()
    assert deferral.permanent and deferral.source == "lab"
    trigger = session.exec(select(LookbackTrigger)).one()
    assert trigger.din == d.din and trigger.organisation_id == world.org("BC").id
    assert trigger.markers == ["anti_hcv"]


def test_a_later_reactive_marker_does_not_defer_twice(app, session, world):
    with app.app_context():
        d = donation(session, world)
        split(session, world, d)
        test_results(session, world, d, nat=None, hbsag="reactive")
        stock.record_lab_results(
            session=session,
            actor=lab(session, world),
            results=[stock.LabInput(din=d.din, results={"nat": "reactive"})],
        )
    assert len(session.exec(select(LookbackTrigger)).all()) == 1


def test_alt_above_its_limit_discards_the_components_without_a_permanent_deferral(
    app, session, world
):
    with app.app_context():
        d = donation(session, world)
        units = split(session, world, d)
        [outcome] = test_results(session, world, d, alt=51)
    assert outcome.failed == ["alt"]
    assert {u.discard_reason for u in units} == {"test_out_of_range"}
    row = session.exec(select(BloodTestResult).where(BloodTestResult.marker == "alt")).one()
    assert (row.value, row.limit_value, row.result) == (51, 50, "above_limit")
    assert session.exec(select(Deferral)).all() == []


def test_a_group_differing_from_the_donors_record_is_flagged_not_applied(app, session, world):
    with app.app_context():
        d = donation(session, world, abo="A", rhd="+")
        units = split(session, world, d)
        [outcome] = test_results(session, world, d, abo="B", rhd="+")
        assert outcome.group_status == "discrepant"
        with pytest.raises(ValidationFailed) as refused:
            release(session, world, units)
        assert "The laboratory found B+, the donor's record says A+" in refusal(refused)
        # Nothing was quietly changed: not the donor, not the units.
        assert session.get(Donor, d.donor_id).abo == "A"
        assert {(u.abo, u.rhd) for u in units} == {("A", "+")}

        with pytest.raises(Forbidden):  # the laboratory does not resolve it alone
            stock.resolve_group_discrepancy(
                session=session,
                actor=lab(session, world),
                donation_id=d.id,
                abo="B",
                rhd="+",
                note="repeat",
            )
        with pytest.raises(ValidationFailed) as no_note:
            stock.resolve_group_discrepancy(
                session=session,
                actor=quality(session, world),
                donation_id=d.id,
                abo="B",
                rhd="+",
                note=" ",
            )
        assert "note" in no_note.value.fields
        stock.resolve_group_discrepancy(
            session=session,
            actor=quality(session, world),
            donation_id=d.id,
            abo="B",
            rhd="+",
            note="segment and new donor sample both B+; donor record to be corrected",
        )
        for unit in units:
            session.refresh(unit)
        assert {(u.abo, u.rhd) for u in units} == {("B", "+")}
        released = release(session, world, units)
        with pytest.raises(Conflict):  # once only
            stock.resolve_group_discrepancy(
                session=session,
                actor=quality(session, world),
                donation_id=d.id,
                abo="B",
                rhd="+",
                note="again",
            )
    assert {u.blood_group for u in released} == {"B+"}
    assert d.group_status == "resolved"


def test_an_unknown_donor_group_is_taken_from_the_laboratory(app, session, world):
    with app.app_context():
        register(session, world, serial=301, username="bc.collector", abo=None, rhd=None)
        d = collect(session, world)
        units = split(session, world, d)  # made before the group is known
        assert {u.blood_group for u in units} == {None}
        [outcome] = test_results(session, world, d, abo="AB", rhd="-")
        assert outcome.group_status == "confirmed"
        released = release(session, world, units)
    assert {u.blood_group for u in released} == {"AB-"}


def test_results_are_entered_once_and_never_overwritten(app, session, world):
    with app.app_context():
        d = donation(session, world)
        test_results(session, world, d)
        with pytest.raises(ValidationFailed) as again:
            test_results(session, world, d, hbsag="reactive")
    assert "Already recorded" in again.value.fields["hbsag"][0]
    assert "abo" in again.value.fields


def test_a_batch_is_checked_whole_and_errors_name_the_line(app, session, world):
    with app.app_context():
        first = donation(session, world, serial=301)
        second = donation(session, world, serial=303)
        with pytest.raises(ValidationFailed) as refused:
            stock.record_lab_results(
                session=session,
                actor=lab(session, world),
                results=[
                    stock.LabInput(din=first.din, results={"hbsag": "negative"}),
                    stock.LabInput(din=second.din, results={"hbsag": "maybe", "alt": -1}),
                    stock.LabInput(din="B330026999999", results={"hbsag": "negative"}),
                    stock.LabInput(din=first.din, results={"nat": "negative"}),
                ],
            )
        assert set(refused.value.fields) == {
            "results.1.hbsag",
            "results.1.alt",
            "results.2.din",
            "results.3.din",
        }
        session.rollback()
    assert session.exec(select(BloodTestResult)).all() == []


def test_only_the_laboratory_enters_results(app, session, world):
    with app.app_context():
        d = donation(session, world)
        with pytest.raises(Forbidden):
            stock.record_lab_results(
                session=session,
                actor=as_user(session, world, "bc.clerk"),
                results=[stock.LabInput(din=d.din, results={"hbsag": "negative"})],
            )


def test_the_required_markers_are_configurable(app, session, world):
    use_settings(session, blood_lab_markers=("hbsag", "anti_hiv"))
    with app.app_context():
        d = donation(session, world)
        units = split(session, world, d)
        with pytest.raises(ValidationFailed) as unknown:
            test_results(session, world, d)  # NAT etc. are not this laboratory's
        assert "nat" in unknown.value.fields
        stock.record_lab_results(
            session=session,
            actor=lab(session, world),
            results=[
                stock.LabInput(
                    din=d.din,
                    abo="O",
                    rhd="+",
                    results={"hbsag": "negative", "anti_hiv": "negative"},
                )
            ],
        )
        released = release(session, world, units)
    assert len(released) == 2


def test_the_alt_limit_is_configurable(app, session, world):
    use_settings(session, blood_alt_max_u_l=40)
    with app.app_context():
        d = donation(session, world)
        [outcome] = test_results(session, world, d, alt=45)
    assert outcome.failed == ["alt"]


def test_the_work_list_holds_what_the_laboratory_still_has_to_do(app, session, world):
    from datetime import timedelta

    import sqlalchemy as sa

    from blood.stock.models import BloodDonation, Unit

    with app.app_context():
        unsplit = donation(session, world, serial=301)
        waiting = donation(session, world, serial=303)
        split(session, world, waiting)
        done = donation(session, world, serial=305)
        split(session, world, done)
        test_results(session, world, done)
        # Released before the laboratory kept its results here (before this version).
        legacy = donation(session, world, serial=307)
        [old] = produce(session, world, legacy, stock.ComponentInput("E0001", 280))
        session.execute(sa.update(Unit).where(Unit.id == old.id).values(state="available"))
        # Collected long ago and never split.
        stale = donation(session, world, serial=309)
        session.execute(
            sa.update(BloodDonation)
            .where(BloodDonation.id == stale.id)
            .values(collected_at=stale.collected_at - timedelta(days=30))
        )
        overview = stock.lab_overview(session=session, actor=lab(session, world))
    assert [s.donation.id for s in overview.waiting.items] == [unsplit.id, waiting.id]
