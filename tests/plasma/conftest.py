"""The plasma station's set-ups, arranged through the services as the station's staff would.

Service calls need an app context; each fixture opens its own, so the objects it returns stay
usable in the test's session.
"""

from __future__ import annotations

import pytest

from blood.plasma import service as plasma
from tests.conftest import login, make_resident_id
from tests.helpers import GOOD_SCREENING, as_user, past_collection, register
from tests.plasma.forms import logout, post


@pytest.fixture
def donor(app, session, world):
    """A donor registered at S-CA, resident ID ``make_resident_id()``."""
    with app.app_context():
        return register(session, world)


@pytest.fixture
def visit(app, session, world, donor):
    """The donor checked in at S-CA today."""
    with app.app_context():
        return plasma.check_in(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            resident_id=make_resident_id(),
        )


@pytest.fixture
def screened_visit(app, session, world, visit):
    """Today's visit, screened eligible (GOOD_SCREENING)."""
    with app.app_context():
        plasma.record_screening(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            visit_id=visit.id,
            data=GOOD_SCREENING,
        )
    return visit


@pytest.fixture
def released_units(app, session, world):
    """A factory: ``n`` units of a new donor, collected over 100 days ago and followed by a
    negative donation, released from quarantine by the quality manager."""

    def make(n: int = 2):
        with app.app_context():
            station = world.org("S-CA")
            owner = register(session, world)
            units = [past_collection(session, owner, station, 100 + i) for i in range(n)]
            past_collection(session, owner, station, 5)
            plasma.release_units(session=session, actor=as_user(session, world, "sca.quality"))
        return units

    return make


@pytest.fixture
def shipped(app, session, world, released_units):
    """Two released units shipped to the manufacturer MF, committed: (shipment, units)."""
    units = released_units(2)
    with app.app_context():
        shipment = plasma.build_shipment(
            session=session,
            actor=as_user(session, world, "sca.quality"),
            manufacturer_code="MF",
            dins=[u.din for u in units],
        )
        session.commit()
    return shipment, units


@pytest.fixture
def visit_url(client, session, donor):
    """The donor checked in through the front desk's form by the registrar, who then logs
    out: the address of the visit's page."""
    session.commit()
    login(client, "sca.registrar")
    checked_in = post(
        client, "/station/check-in", {"resident_id": make_resident_id()}, page="/station/"
    )
    logout(client)
    return checked_in.headers["Location"]
