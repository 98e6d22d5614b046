"""Fixtures of the stock tests: API tokens, and units committed for requests to see."""

from __future__ import annotations

import pytest

from blood.accounts.scoping import Actor
from blood.accounts.service import create_token
from tests.stock.helpers import units_in_stock


@pytest.fixture
def bearer(app, session):
    """A factory: the headers of a new API token of the organisation."""

    def make(org):
        with app.app_context():
            _row, plaintext = create_token(
                session=session, actor=Actor.system(), organisation=org, name="HIS"
            )
            session.commit()
        return {"Authorization": f"Bearer {plaintext}", "Accept-Language": "en"}

    return make


@pytest.fixture
def his(bearer, world):
    """Hospital H-HZ's information system."""
    return bearer(world.org("H-HZ"))


@pytest.fixture
def stocked(app, session, world):
    """A factory: units released at BC (see ``units_in_stock``), committed so that the
    test client's requests see them."""

    def make(n=1, **options):
        with app.app_context():
            made = units_in_stock(session, world, n, **options)
            session.commit()
        return made

    return make
