"""The donor registry: IDs validated and never stored in clear, one donor one station,
the shared deferral registry."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from blood.audit import AuditEvent
from blood.donors import service as donors
from blood.donors.models import Deferral, Donor
from blood.errors import Forbidden, NotFound, ValidationFailed
from tests.conftest import make_resident_id
from tests.helpers import as_user, register


def test_registration_keeps_identifiers_only_hashed_masked_and_encrypted(app, session, world):
    resident_id = make_resident_id(serial=123)
    with app.app_context():
        donor = register(session, world, serial=123, phone="13800138000", address="淳安县千岛湖镇")
        session.commit()
        assert donor.card_number.startswith("S-CA-")
        assert donor.sex == "M" and donor.birth_date.isoformat() == "1990-01-01"
        assert donor.resident_id_masked == resident_id[:4] + "*" * 10 + resident_id[-4:]
        assert donors.pii.vault().decrypt(donor.resident_id_enc) == resident_id
        assert donor.phone_masked == "138****8000"
    row = session.execute(sa.select(Donor.__table__)).mappings().one()
    stored = " ".join(str(value) for value in row.values())
    assert resident_id not in stored
    assert "13800138000" not in stored
    assert "千岛湖" not in stored
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "donor.register")).all()
    assert resident_id not in str(event.changes) and "13800138000" not in str(event.changes)
    assert event.changes["resident_id_key"] == [None, "***"]


@pytest.mark.parametrize(
    "resident_id, message",
    [
        (
            make_resident_id()[:-1] + ("0" if make_resident_id()[-1] != "0" else "1"),
            "check character",
        ),
        ("33012719900101123", "18 characters"),
        ("3301271990010112AX", "17 digits"),
        (make_resident_id(birth="20990101"), "future"),
        (make_resident_id(region="999999"), "Region code 999999 is unknown"),
    ],
)
def test_bad_resident_ids_are_refused_and_nothing_is_written(
    app, session, world, resident_id, message
):
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        donors.register_donor(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            data=donors.DonorRegistration(resident_id=resident_id, name="王芳"),
        )
    assert message in refused.value.fields["resident_id"][0]
    session.rollback()
    assert session.exec(select(Donor)).all() == []


def test_future_birth_dates_are_refused_even_with_a_valid_checksum(app, session, world):
    future = make_resident_id(birth="20990101")
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        donors.parse_resident_id(future, today=donors.local_today(world.org("S-CA")))
    assert "future" in refused.value.fields["resident_id"][0]


def test_sex_and_birth_date_are_cross_checked_against_the_id(app, session, world):
    from datetime import date

    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        register(session, world, sex="F", birth_date=date(1991, 1, 1))
    assert set(refused.value.fields) == {"sex", "birth_date"}


def test_outside_the_designated_area_names_the_station_that_covers_it(app, session, world):
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        register(session, world, region="330302")  # Wenzhou Lucheng: S-WZ's area
    assert refused.value.code == "outside_designated_area"
    assert "S-WZ 机构" in refused.value.fields["household_region"][0]


def test_same_id_twice_at_the_same_station_gives_the_card(app, session, world):
    with app.app_context():
        first = register(session, world)
        with pytest.raises(donors.AlreadyRegistered) as again:
            register(session, world)
    assert again.value.facts["card_number"] == first.card_number


def test_another_station_is_refused_naming_where_the_donor_belongs(app, session, world):
    with app.app_context():
        register(session, world)
        with pytest.raises(donors.RegisteredElsewhere) as refused:
            register(session, world, username="swz.registrar", household_region="330302")
    assert refused.value.facts["station"] == "S-CA 机构"
    assert "*" in refused.value.facts["resident_id"]


def test_only_registrars_register(app, session, world):
    with app.app_context(), pytest.raises(Forbidden):
        register(session, world, username="sca.physician")


def test_find_by_id_or_card_is_scoped(app, session, world):
    with app.app_context():
        donor = register(session, world)
        resident_id = make_resident_id()
        own = as_user(session, world, "sca.registrar")
        assert donors.find_donor(session=session, actor=own, query=resident_id).id == donor.id
        assert donors.find_donor(session=session, actor=own, query=donor.card_number).id == donor.id
        # typed with spaces and a lower-case x: still found
        spaced = f"{resident_id[:6]} {resident_id[6:14]} {resident_id[14:].lower()}"
        assert donors.find_donor(session=session, actor=own, query=spaced).id == donor.id
        other = as_user(session, world, "swz.registrar")
        with pytest.raises(donors.RegisteredElsewhere):
            donors.find_donor(session=session, actor=other, query=resident_id)
        with pytest.raises(NotFound):
            donors.find_donor(session=session, actor=other, query=donor.card_number)
        with pytest.raises(NotFound):
            donors.get_donor(session=session, actor=other, donor_id=donor.id)
        # the authorities above see it; the neighbouring city does not
        hz = as_user(session, world, "hz.inspector")
        assert donors.get_donor(session=session, actor=hz, donor_id=donor.id).id == donor.id
        with pytest.raises(NotFound):
            donors.get_donor(
                session=session, actor=as_user(session, world, "wz.inspector"), donor_id=donor.id
            )


# --- deferrals -----------------------------------------------------------------------------


def test_temporary_deferral_blocks_until_its_end_and_lifting_needs_the_right_role(
    app, session, world
):
    from blood.donors.rules import Screening

    with app.app_context():
        donor = register(session, world)
        physician = as_user(session, world, "sca.physician")
        today = donors.local_today(world.org("S-CA"))
        deferral = donors.defer_donor(
            session=session,
            actor=physician,
            donor=donor,
            permanent=False,
            reason_code="recent_illness",
            source="manual",
            ends_on=today + timedelta(days=10),
        )
        decision = donors.assess(
            session=session, actor=physician, donor=donor, screening=Screening()
        )
        assert "deferred_until" in {r.code for r in decision.reasons}
        assert decision.next_eligible_on == today + timedelta(days=10)

        with pytest.raises(Forbidden):
            donors.lift_deferral(
                session=session,
                actor=as_user(session, world, "sca.registrar"),
                deferral_id=deferral.id,
                reason="recovered",
            )
        with pytest.raises(ValidationFailed):
            donors.lift_deferral(
                session=session, actor=physician, deferral_id=deferral.id, reason=" "
            )
        donors.lift_deferral(
            session=session,
            actor=physician,
            deferral_id=deferral.id,
            reason="recovered, seen by Dr Xu",
        )
        decision = donors.assess(
            session=session, actor=physician, donor=donor, screening=Screening()
        )
        assert "deferred_until" not in {r.code for r in decision.reasons}
    actions = session.exec(select(AuditEvent.action)).all()
    assert "donor.defer" in actions and "donor.lift_deferral" in actions


def test_permanent_deferrals_cannot_be_lifted(app, session, world):
    with app.app_context():
        donor = register(session, world)
        quality = as_user(session, world, "sca.quality")
        deferral = donors.defer_donor(
            session=session,
            actor=quality,
            donor=donor,
            permanent=True,
            reason_code="other",
            source="manual",
        )
        with pytest.raises(donors.PermanentDeferral):
            donors.lift_deferral(
                session=session, actor=quality, deferral_id=deferral.id, reason="please"
            )
    assert session.get(Deferral, deferral.id).lifted_at is None


def test_a_deferral_recorded_at_one_station_blocks_at_every_station(app, session, world):
    """The Wenzhou station asks about a donor of the Chun'an station: deferred, and elsewhere."""
    from blood.donors.rules import Screening

    with app.app_context():
        donor = register(session, world)
        donors.defer_donor(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            donor=donor,
            permanent=True,
            reason_code="high_risk_behaviour",
            source="manual",
        )
        wenzhou = as_user(session, world, "swz.physician")
        found = donors.find_registered(session=session, query=make_resident_id())
        decision = donors.assess(session=session, actor=wenzhou, donor=found, screening=Screening())
    codes = {r.code for r in decision.reasons}
    assert {"deferred_permanently", "registered_elsewhere"} <= codes
    assert decision.eligible is False and decision.next_eligible_on is None


def test_deferral_needs_a_future_end_when_temporary(app, session, world):
    with app.app_context():
        donor = register(session, world)
        with pytest.raises(ValidationFailed) as refused:
            donors.defer_donor(
                session=session,
                actor=as_user(session, world, "sca.physician"),
                donor=donor,
                permanent=False,
                reason_code="medication",
                source="manual",
                ends_on=None,
            )
    assert "ends_on" in refused.value.fields


def test_area_coverage_by_province_city_and_county():
    assert donors.area_covers("330000", "330127")
    assert donors.area_covers("330100", "330127")
    assert donors.area_covers("330127", "330127")
    assert not donors.area_covers("330100", "330302")
    assert not donors.area_covers("330127", "330122")
