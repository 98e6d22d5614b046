"""Real concurrent transactions (separate connections, real commits): two clerks registering
the same person, collections racing for DIN numbers, two shipments racing for one unit."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from blood.accounts.roles import OrgKind, Role
from blood.accounts.service import actor_for_user
from blood.db import get_db
from blood.donors import service as donors
from blood.donors.models import Donor
from blood.sequences import next_value
from tests.conftest import commit_world, make_resident_id, wipe_committed


@pytest.fixture
def committed(base_app):
    """A committed station (the per-test transaction cannot be seen by other connections);
    every table is emptied afterwards."""
    commit_world(
        base_app,
        [("S-CA", OrgKind.PLASMA_STATION, "淳安站"), ("MF", OrgKind.MANUFACTURER, "之江生物")],
        [(name, "S-CA", [Role.REGISTRAR], "en") for name in ("clerk1", "clerk2")]
        + [(name, "S-CA", [Role.QUALITY], "en") for name in ("quality1", "quality2")],
        facility_ids={"S-CA": "P3301"},
        areas={"S-CA": ["330127"]},
    )
    engine = get_db(base_app).engine
    yield engine
    wipe_committed(engine)


def run_at_once(workers):
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(index, work):
        barrier.wait()
        try:
            results[index] = work()
        except Exception as exc:  # the outcome is what the test inspects
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_clerks_registering_the_same_person_at_once_make_one_donor(base_app, committed):
    def clerk(username):
        def work():
            with base_app.app_context(), get_db(base_app).new_session(bind=committed) as session:
                from blood.accounts.models import User

                user = session.exec(select(User).where(User.username == username)).one()
                donor = donors.register_donor(
                    session=session,
                    actor=actor_for_user(session, user),
                    data=donors.DonorRegistration(resident_id=make_resident_id(), name="王芳"),
                )
                session.commit()
                return donor.card_number

        return work

    results = run_at_once([clerk("clerk1"), clerk("clerk2")])
    cards = [r for r in results if isinstance(r, str)]
    refusals = [r for r in results if isinstance(r, donors.AlreadyRegistered)]
    assert len(cards) == 1 and len(refusals) == 1, results
    assert refusals[0].facts["card_number"] == cards[0]
    with get_db(base_app).new_session(bind=committed) as session:
        assert len(session.exec(select(Donor)).all()) == 1


def test_counters_never_hand_out_a_number_twice(base_app, committed):
    def take(n=10):
        def work():
            values = []
            for _ in range(n):
                with (
                    base_app.app_context(),
                    get_db(base_app).new_session(bind=committed) as session,
                ):
                    values.append(next_value(session, "din:P3301:26"))
                    session.commit()
            return values

        return work

    results = run_at_once([take() for _ in range(4)])
    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(v for r in results for v in r)
    assert numbers == list(range(1, 41))


def test_two_shipments_racing_for_the_same_unit_ship_it_once(base_app, committed):
    from datetime import UTC, datetime, timedelta

    from blood.accounts.models import Organisation, User
    from blood.plasma import service as plasma
    from blood.plasma.models import Collection, ShipmentItem, Visit, VisitStatus

    with base_app.app_context(), get_db(base_app).new_session(bind=committed) as session:
        station = session.exec(select(Organisation).where(Organisation.code == "S-CA")).one()
        donor = donors.register_donor(
            session=session,
            actor=actor_for_user(
                session, session.exec(select(User).where(User.username == "clerk1")).one()
            ),
            data=donors.DonorRegistration(resident_id=make_resident_id(), name="王芳"),
        )
        when = datetime.now(UTC) - timedelta(days=120)
        visit = Visit(
            donor_id=donor.id,
            station_id=station.id,
            visit_date=when.date(),
            status=VisitStatus.COLLECTED,
        )
        session.add(visit)
        session.flush()
        session.add(
            Collection(
                visit_id=visit.id,
                donor_id=donor.id,
                station_id=station.id,
                din="P330126000001",
                check_character="X",
                machine="M",
                kit_lot="K",
                started_at=when,
                ended_at=when,
                total_weight_g=580,
                anticoagulant_ml=55,
                state="released",
            )
        )
        session.commit()

    def ship(username):
        def work():
            with base_app.app_context(), get_db(base_app).new_session(bind=committed) as session:
                user = session.exec(select(User).where(User.username == username)).one()
                shipment = plasma.build_shipment(
                    session=session,
                    actor=actor_for_user(session, user),
                    manufacturer_code="MF",
                    dins=["P330126000001"],
                )
                session.commit()
                return shipment.number

        return work

    results = run_at_once([ship("quality1"), ship("quality2")])
    numbers = [r for r in results if isinstance(r, str)]
    assert len(numbers) == 1, results
    with get_db(base_app).new_session(bind=committed) as session:
        assert len(session.exec(select(ShipmentItem)).all()) == 1
